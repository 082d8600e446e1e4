/**
 * Constant-time secret comparison for bearer credentials and tokens, shared by
 * the Edge Functions and the bridge. WebCrypto only, so it runs in both.
 *
 * @module
 */

const encoder = new TextEncoder();

// Both sides are hashed to equal-length digests, then compared without an early
// exit, so timing does not reveal how much of a guess was right.
async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

/** True when `given` equals `expected`, in time independent of where they differ. */
export async function secretEquals(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([digest(given), digest(expected)]);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  // An empty expected secret is a misconfiguration and never matches.
  return diff === 0 && expected !== "";
}

/** True when `header` is `Bearer <secret>` (scheme case-insensitive). */
export async function bearerMatches(header: string | null, secret: string): Promise<boolean> {
  const match = header === null ? null : /^bearer\s+(.+)$/i.exec(header.trim());
  return await secretEquals(match?.[1] ?? "", secret);
}
