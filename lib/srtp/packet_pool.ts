/**
 * Allocation of the packets SRTP returns, carved from shared 8 KiB slabs.
 *
 * In Deno a fresh `Uint8Array` of packet size costs 1–3 µs (each gets its
 * own zeroed backing store, tracked by the GC as external memory), more than
 * encrypting the packet; a view into an existing `ArrayBuffer` costs ~60 ns.
 * This is the trade-off Node's `Buffer.allocUnsafe` pool makes: a packet
 * still referenced keeps its whole slab alive, and a packet's `buffer` is
 * the slab, so consumers must honour `byteOffset` and must not transfer or
 * detach it. Regions are never reused, so no packet sees another's bytes.
 *
 * @module
 */

/** Slab size, as Node's `Buffer.poolSize`. */
export const SLAB_BYTES = 8 * 1024;
/** Larger packets get their own buffer so they never waste a slab's tail. */
const MAX_POOLED = SLAB_BYTES / 4;

let slab = new ArrayBuffer(SLAB_BYTES);
let used = 0;

/** A zero-filled `length`-byte array, usually a view into a shared slab. */
export function allocPacket(length: number): Uint8Array {
  if (length > MAX_POOLED) return new Uint8Array(length);
  if (used + length > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const out = new Uint8Array(slab, used, length);
  // Keep every view 8-byte aligned, as Node's pool does.
  used += (length + 7) & ~7;
  return out;
}
