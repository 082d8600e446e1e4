/**
 * Hex in test vectors: `unhex` ignores spaces, so published vectors can be
 * pasted as they are printed.
 *
 * @module
 */

/** Bytes of a hex string (spaces ignored). */
export function unhex(text: string): Uint8Array {
  const s = text.replaceAll(" ", "");
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Lower-case hex of `bytes`. */
export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
