/**
 * One-time sign-in links for the embedded console (no Supabase project):
 * `deno task dev` prints `/signin/link?token=…`; the first visit within 15
 * minutes becomes an admin session, every later one is refused. Links live in
 * this process's memory, hashed, so a heap dump or log cannot replay them.
 *
 * @module
 */

/** How long a printed link stays usable. */
export const LINK_TTL_MS = 15 * 60_000;

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Issues and redeems one-time link tokens. */
export class OneTimeLinks {
  readonly #pending = new Map<string, number>();
  readonly #now: () => Date;

  /** `now` is the clock (tests move it). */
  constructor(now: () => Date = () => new Date()) {
    this.#now = now;
  }

  /** A new link token, usable once within {@linkcode LINK_TTL_MS}. */
  async issue(): Promise<string> {
    const token = Array.from(
      crypto.getRandomValues(new Uint8Array(32)),
      (b) => b.toString(16).padStart(2, "0"),
    ).join("");
    this.#pending.set(await sha256(token), this.#now().getTime() + LINK_TTL_MS);
    return token;
  }

  /** Whether `token` was issued, unused and unexpired; it is spent either way. */
  async redeem(token: string): Promise<boolean> {
    const hash = await sha256(token);
    const expires = this.#pending.get(hash);
    this.#pending.delete(hash);
    const now = this.#now().getTime();
    for (const [h, at] of this.#pending) if (at <= now) this.#pending.delete(h);
    return expires !== undefined && now < expires;
  }
}
