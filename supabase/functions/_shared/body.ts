/**
 * Reading a request body under a byte limit, for both functions.
 * `Content-Length` is checked first (cheap refusal), and the stream is counted
 * as it arrives because the header can be absent (chunked) or lie.
 *
 * @module
 */

/** Meta's webhook bodies are small; anything past 1 MiB is refused. */
export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;

/** The body's bytes, or `too_large` once `maxBytes` is exceeded. */
export type LimitedBody =
  | { ok: true; bytes: Uint8Array<ArrayBuffer> }
  | { ok: false; reason: "too_large" };

/** Reads `req`'s body, refusing more than `maxBytes` without buffering the excess. */
export async function readBodyLimited(
  req: Request,
  maxBytes: number = MAX_WEBHOOK_BODY_BYTES,
): Promise<LimitedBody> {
  const declared = req.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared) > maxBytes) {
    await req.body?.cancel();
    return { ok: false, reason: "too_large" };
  }
  if (req.body === null) return { ok: true, bytes: new Uint8Array(0) };
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      return { ok: false, reason: "too_large" };
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { ok: true, bytes };
}
