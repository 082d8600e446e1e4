/**
 * Signing webhooks per the Standard Webhooks specification
 * (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md):
 *
 * - the secret is shown as `whsec_` + base64 of 24 to 64 random bytes (the
 *   spec's "at least 24 bytes, 512 bits maximum");
 * - the signed content is `${webhook-id}.${webhook-timestamp}.${body}`, the
 *   body byte for byte as sent;
 * - `webhook-timestamp` is the attempt's time in integer seconds since the
 *   epoch, `webhook-id` stays the same on every retry of one message;
 * - `webhook-signature` is a space-separated list of `v1,<base64 HMAC-SHA256>`,
 *   one per secret: while a secret is rotated, messages carry a signature by
 *   the new and by the old, so a receiver holding either accepts them
 *   (the spec's "Signature scheme": several signatures for key rotation).
 *
 * WebCrypto only, so it runs in Deno, the Edge runtime and browsers.
 *
 * @module
 */

/** The prefix of a symmetric Standard Webhooks secret. */
export const WEBHOOK_SECRET_PREFIX = "whsec_";

/** Secret length bounds in bytes, from the spec's "Signing secret" row. */
export const WEBHOOK_SECRET_BYTES = { min: 24, max: 64 } as const;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Why a secret is unusable; the message never contains the secret, so it can
 * be printed as a configuration error.
 */
export function webhookSecretProblem(secret: string): string | undefined {
  if (!secret.startsWith(WEBHOOK_SECRET_PREFIX)) {
    return "must start with whsec_ (the Standard Webhooks secret format)";
  }
  const encoded = secret.slice(WEBHOOK_SECRET_PREFIX.length);
  if (!BASE64.test(encoded) || encoded.length % 4 === 1) {
    return "must be whsec_ followed by base64";
  }
  const bytes = decodeBase64(encoded).length;
  if (bytes < WEBHOOK_SECRET_BYTES.min || bytes > WEBHOOK_SECRET_BYTES.max) {
    return `must encode ${WEBHOOK_SECRET_BYTES.min} to ${WEBHOOK_SECRET_BYTES.max} bytes, got ${bytes}`;
  }
  return undefined;
}

/** Most secrets one value may hold: the current one and those being retired. */
export const MAX_WEBHOOK_SECRETS = 3;

/** The `whsec_` secrets of a value like `CALL_WEBHOOK_SECRET`: separated by spaces, the current one first. */
export function splitWebhookSecrets(value: string): string[] {
  return value.split(/\s+/).filter((s) => s !== "");
}

/** {@linkcode webhookSecretProblem} for a value holding one or more secrets (never shows one). */
export function webhookSecretsProblem(value: string): string | undefined {
  const secrets = splitWebhookSecrets(value);
  if (secrets.length === 0) return "must hold a whsec_ secret";
  if (secrets.length > MAX_WEBHOOK_SECRETS) {
    return `holds at most ${MAX_WEBHOOK_SECRETS} secrets (the current one first, then those being retired)`;
  }
  for (const [i, secret] of secrets.entries()) {
    const problem = webhookSecretProblem(secret);
    if (problem !== undefined) return secrets.length === 1 ? problem : `secret ${i + 1} ${problem}`;
  }
  return undefined;
}

/** The key bytes of a `whsec_` secret; throws (without the secret) when it is malformed. */
export function parseWebhookSecret(secret: string): Uint8Array<ArrayBuffer> {
  const problem = webhookSecretProblem(secret);
  if (problem !== undefined) throw new RangeError(`webhook secret ${problem}`);
  return decodeBase64(secret.slice(WEBHOOK_SECRET_PREFIX.length));
}

/** A fresh random `whsec_` secret of 32 bytes (for docs, `deno task dev` and tests). */
export function generateWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + encodeBase64(crypto.getRandomValues(new Uint8Array(32)));
}

/** The HMAC key a `whsec_` secret names, for {@linkcode signWebhook}. */
export async function webhookSigningKey(secret: string): Promise<CryptoKey> {
  return await crypto.subtle.importKey(
    "raw",
    parseWebhookSecret(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
}

/** A new message id: `msg_` and 32 hex digits (never a `.`, which the signed content delimits with). */
export function newWebhookId(): string {
  return `msg_${crypto.randomUUID().replaceAll("-", "")}`;
}

/** The three Standard Webhooks headers of one attempt. */
export interface WebhookHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

/** `v1,<base64 HMAC-SHA256 of id.timestamp.body>`. */
export async function signWebhook(
  key: CryptoKey,
  id: string,
  timestampSeconds: number,
  body: string,
): Promise<string> {
  if (id.includes(".")) throw new RangeError("webhook id must not contain '.'");
  const content = new TextEncoder().encode(`${id}.${timestampSeconds}.${body}`);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, content));
  return `v1,${encodeBase64(mac)}`;
}

/** The headers of an attempt made at `at` to send `body` as message `id`, signed by each key. */
export async function webhookHeaders(
  keys: CryptoKey | readonly CryptoKey[],
  id: string,
  at: Date,
  body: string,
): Promise<WebhookHeaders> {
  const timestamp = Math.floor(at.getTime() / 1000);
  const signatures = await Promise.all(
    (Array.isArray(keys) ? keys : [keys]).map((key) => signWebhook(key, id, timestamp, body)),
  );
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signatures.join(" "),
  };
}

function encodeBase64(bytes: Uint8Array): string {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text);
}

function decodeBase64(encoded: string): Uint8Array<ArrayBuffer> {
  const text = atob(encoded);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}
