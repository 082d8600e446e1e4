/**
 * Meta webhook signatures: `X-Hub-Signature-256: sha256=<hex>`, an HMAC-SHA256
 * of the raw request body keyed with the App Secret. Verify before JSON
 * parsing: any re-serialisation changes the bytes and the signature.
 *
 * @module
 */

const PREFIX = "sha256=";
const HEADER_PATTERN = /^sha256=([0-9a-fA-F]{64})$/;
const encoder = new TextEncoder();

function hmacKey(appSecret: string, usage: "sign" | "verify"): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    "raw",
    encoder.encode(appSecret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    [usage],
  );
}

function hexToBytes(hex: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function toBytes(body: Uint8Array | string): Uint8Array<ArrayBuffer> {
  if (typeof body === "string") return encoder.encode(body);
  // WebCrypto wants an ArrayBuffer-backed view; copy only when the body lives in a SharedArrayBuffer.
  return body.buffer instanceof ArrayBuffer
    ? body as Uint8Array<ArrayBuffer>
    : new Uint8Array(body);
}

/**
 * True when `header` is a well-formed `sha256=<64 hex>` (any hex case) whose
 * HMAC matches `rawBody` under `appSecret`. The comparison is WebCrypto's
 * `verify`, which is constant-time. Missing or malformed headers and an empty
 * secret (misconfiguration) fail closed.
 */
export async function verifyMetaSignature(
  rawBody: Uint8Array,
  header: string | null,
  appSecret: string,
): Promise<boolean> {
  if (header === null || appSecret === "") return false;
  const match = HEADER_PATTERN.exec(header.trim());
  if (match === null) return false;
  const key = await hmacKey(appSecret, "verify");
  return crypto.subtle.verify("HMAC", key, hexToBytes(match[1]!), toBytes(rawBody));
}

/** The `X-Hub-Signature-256` header value Meta would send for `rawBody` (lowercase hex). */
export async function signMetaBody(
  rawBody: Uint8Array | string,
  appSecret: string,
): Promise<string> {
  const key = await hmacKey(appSecret, "sign");
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, toBytes(rawBody)));
  return PREFIX + Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}
