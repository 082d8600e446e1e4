/**
 * Time-limited links to a recording on the bridge: the URL of
 * `GET /calls/:callId/recording` with `expires` (Unix seconds) and `sig`, an
 * HMAC-SHA256 of the call id and the expiry. The route serves such a request
 * without the bearer secret until it expires, so a webhook receiver (a CRM)
 * can fetch the file with the link alone and nothing else.
 *
 * The key is `RECORDING_LINK_SECRET`, or else derived from
 * `VOICE_BRIDGE_SECRET` (an HMAC of a fixed label): a link never carries or
 * reveals the bridge secret, and rotating either secret voids every link.
 *
 * @module
 */
import { timingSafeEqual } from "node:crypto";

const encoder = new TextEncoder();

/** An HMAC-SHA256 key for signing links. */
export type LinkKey = CryptoKey;

async function hmacKey(raw: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
}

/**
 * The link key: from `linkSecret` when set, else derived from the bridge
 * secret so that a leaked link key is not the bridge's bearer secret.
 */
export async function linkKey(bridgeSecret: string, linkSecret?: string): Promise<LinkKey> {
  if (linkSecret !== undefined && linkSecret !== "") {
    return await hmacKey(encoder.encode(linkSecret));
  }
  const derive = await hmacKey(encoder.encode(bridgeSecret));
  const derived = await crypto.subtle.sign("HMAC", derive, encoder.encode("recording-link/v1"));
  return await hmacKey(new Uint8Array(derived));
}

async function signature(key: LinkKey, callId: string, expires: number): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(`${callId}\n${expires}`));
  return Array.from(new Uint8Array(mac), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The path of a call's recording on the bridge. */
export function recordingPath(callId: string): string {
  return `/calls/${encodeURIComponent(callId)}/recording`;
}

/**
 * A link to `callId`'s recording under `baseUrl` (the bridge as the receiver
 * reaches it), valid `ttlSeconds` from `now`.
 */
export async function signRecordingLink(
  key: LinkKey,
  baseUrl: string,
  callId: string,
  ttlSeconds: number,
  now: Date = new Date(),
): Promise<string> {
  const expires = Math.floor(now.getTime() / 1000) + Math.max(1, Math.trunc(ttlSeconds));
  const url = new URL(baseUrl.replace(/\/+$/, "") + recordingPath(callId));
  url.searchParams.set("expires", String(expires));
  url.searchParams.set("sig", await signature(key, callId, expires));
  return url.toString();
}

/** Why a link was refused, or `ok`. */
export type LinkCheck = "ok" | "missing" | "expired" | "bad_signature";

/** Checks the `expires` and `sig` query values of a request for `callId` at `now`. */
export async function verifyRecordingLink(
  key: LinkKey,
  callId: string,
  expires: string | undefined,
  sig: string | undefined,
  now: Date = new Date(),
): Promise<LinkCheck> {
  if (expires === undefined || sig === undefined || !/^\d{1,12}$/.test(expires)) return "missing";
  const expected = await signature(key, callId, Number(expires));
  const given = encoder.encode(sig.toLowerCase());
  const want = encoder.encode(expected);
  if (given.length !== want.length || !timingSafeEqual(given, want)) return "bad_signature";
  // Checked after the signature: an attacker learns nothing from which check failed first.
  return Number(expires) * 1000 <= now.getTime() ? "expired" : "ok";
}
