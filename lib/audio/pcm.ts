/**
 * 16-bit PCM ⇄ little-endian bytes ⇄ base64, host-endianness independent
 * (explicit byte arithmetic, never a typed-array view over the bytes), with no
 * per-sample allocation. Base64 is a table-driven RFC 4648 codec over
 * `Uint8Array`; malformed base64 yields a {@link PcmDecodeError}, never a throw.
 *
 * @module
 */

/** Why base64 or byte input could not be turned into PCM. */
export type PcmDecodeErrorKind = "invalid-base64" | "odd-byte-length";

/** A typed, returned (not thrown) decoding failure. */
export class PcmDecodeError extends Error {
  /** Which check failed. */
  readonly kind: PcmDecodeErrorKind;
  /** Offset of the offending character or byte, when one is to blame. */
  readonly offset: number;

  /** Creates an error of `kind` at `offset`. */
  constructor(kind: PcmDecodeErrorKind, offset: number, message: string) {
    super(message);
    this.name = "PcmDecodeError";
    this.kind = kind;
    this.offset = offset;
  }
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const PAD = 0x3d; // "="
const ENC = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));
/** UTF-16 code unit → 6-bit value, 255 outside the alphabet (64 KiB so any `charCodeAt` indexes it). */
const DEC = new Uint8Array(65536).fill(255);
for (let i = 0; i < 64; i++) DEC[ENC[i]!] = i;
const ascii = new TextDecoder("latin1");

/** Little-endian bytes of `pcm`, in a fresh array of `2 * pcm.length` bytes. */
export function int16ToBytes(pcm: Int16Array): Uint8Array {
  const n = pcm.length;
  const out = new Uint8Array(n * 2);
  for (let i = 0, j = 0; i < n; i++, j += 2) {
    const s = pcm[i]!;
    out[j] = s;
    out[j + 1] = s >> 8;
  }
  return out;
}

/**
 * Samples from little-endian bytes, at any byte offset or alignment, in a fresh
 * array. An odd trailing byte is ignored; use {@link checkedBytesToInt16} to
 * reject it.
 */
export function bytesToInt16(bytes: Uint8Array): Int16Array {
  const n = bytes.length >> 1;
  const out = new Int16Array(n);
  for (let i = 0, j = 0; i < n; i++, j += 2) out[i] = bytes[j]! | (bytes[j + 1]! << 8);
  return out;
}

/** Like {@link bytesToInt16}, but an odd byte count is a `odd-byte-length` error. */
export function checkedBytesToInt16(bytes: Uint8Array): Int16Array | PcmDecodeError {
  if (bytes.length % 2 !== 0) {
    return new PcmDecodeError(
      "odd-byte-length",
      bytes.length - 1,
      `16-bit PCM needs an even byte count, got ${bytes.length}`,
    );
  }
  return bytesToInt16(bytes);
}

/** Standard, padded base64 (RFC 4648 §4) of `bytes`. */
export function bytesToBase64(bytes: Uint8Array): string {
  const n = bytes.length;
  const out = new Uint8Array(Math.ceil(n / 3) * 4);
  const whole = n - (n % 3);
  let o = 0;
  for (let i = 0; i < whole; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = ENC[v >> 18]!;
    out[o++] = ENC[(v >> 12) & 63]!;
    out[o++] = ENC[(v >> 6) & 63]!;
    out[o++] = ENC[v & 63]!;
  }
  if (n - whole === 1) {
    const v = bytes[whole]!;
    out[o++] = ENC[v >> 2]!;
    out[o++] = ENC[(v << 4) & 63]!;
    out[o++] = PAD;
    out[o++] = PAD;
  } else if (n - whole === 2) {
    const v = (bytes[whole]! << 8) | bytes[whole + 1]!;
    out[o++] = ENC[v >> 10]!;
    out[o++] = ENC[(v >> 4) & 63]!;
    out[o++] = ENC[(v << 2) & 63]!;
    out[o++] = PAD;
  }
  return ascii.decode(out);
}

function invalid(offset: number, why: string): PcmDecodeError {
  return new PcmDecodeError("invalid-base64", offset, `invalid base64 at ${offset}: ${why}`);
}

/**
 * Decodes standard base64 (RFC 4648 §4, `+/`), padded or unpadded. Whitespace,
 * the URL-safe alphabet, misplaced `=` and impossible lengths are errors.
 */
export function base64ToBytes(text: string): Uint8Array | PcmDecodeError {
  let len = text.length;
  if (len % 4 === 0 && len > 0 && text.charCodeAt(len - 1) === PAD) {
    len -= text.charCodeAt(len - 2) === PAD ? 2 : 1;
  }
  const rest = len % 4;
  if (rest === 1) {
    return firstBadChar(text, 0, len) ??
      invalid(len - 1, "a lone trailing character encodes no byte");
  }
  const out = new Uint8Array(((len >> 2) * 3) + (rest === 0 ? 0 : rest - 1));
  const whole = len - rest;
  let o = 0;
  for (let i = 0; i < whole; i += 4) {
    const a = DEC[text.charCodeAt(i)]!;
    const b = DEC[text.charCodeAt(i + 1)]!;
    const c = DEC[text.charCodeAt(i + 2)]!;
    const d = DEC[text.charCodeAt(i + 3)]!;
    if ((a | b | c | d) > 63) return firstBadChar(text, i, len)!;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = v >> 16;
    out[o++] = v >> 8;
    out[o++] = v;
  }
  if (rest > 0) {
    let v = 0;
    for (let i = whole; i < len; i++) {
      const x = DEC[text.charCodeAt(i)]!;
      if (x > 63) return firstBadChar(text, i, len)!;
      v = (v << 6) | x;
    }
    if (rest === 2) out[o] = v >> 4;
    else {
      out[o] = v >> 10;
      out[o + 1] = v >> 2;
    }
  }
  return out;
}

/** The first character in `[from, end)` (the data, final padding excluded) outside the alphabet. */
function firstBadChar(text: string, from: number, end: number): PcmDecodeError | undefined {
  for (let i = from; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code === PAD) return invalid(i, "'=' before the end");
    if (DEC[code] === 255) return invalid(i, `unexpected character code ${code}`);
  }
  return undefined;
}

/** Base64 of the little-endian bytes of `pcm` (the `audio/pcm` wire format of OpenAI Realtime). */
export function int16ToBase64(pcm: Int16Array): string {
  return bytesToBase64(int16ToBytes(pcm));
}

/** Samples from base64 of little-endian bytes; bad base64 or an odd byte count is an error. */
export function base64ToInt16(text: string): Int16Array | PcmDecodeError {
  const bytes = base64ToBytes(text);
  return bytes instanceof PcmDecodeError ? bytes : checkedBytesToInt16(bytes);
}

/** Joins PCM chunks (frames, deltas, whole clips) into one fresh array. */
export function concatPcm(parts: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Root-mean-square level of `pcm` (0 for an empty array). */
export function rms(pcm: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < pcm.length; i++) sum += pcm[i]! * pcm[i]!;
  return Math.sqrt(sum / Math.max(1, pcm.length));
}
