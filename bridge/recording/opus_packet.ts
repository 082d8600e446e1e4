/**
 * Just enough of Opus's packet layout (RFC 6716 §3) to put two mono streams
 * side by side in one Ogg Opus file without decoding them: a packet's
 * duration from its TOC byte, and the self-delimiting framing (RFC 6716
 * Appendix B) that every stream but the last of a multistream packet needs
 * (RFC 7845 §5.1.1). The inverse split is here too, for tests and tools.
 *
 * @module
 */

/** Milliseconds ×10 of one frame, by TOC config (0–31): SILK, Hybrid, CELT. */
const FRAME_TENTHS_MS = [
  ...[100, 200, 400, 600, 100, 200, 400, 600, 100, 200, 400, 600], // SILK NB/MB/WB
  ...[100, 200, 100, 200], // Hybrid SWB/FB
  ...[25, 50, 100, 200, 25, 50, 100, 200, 25, 50, 100, 200, 25, 50, 100, 200], // CELT
];

/** Each frame's size, and where the size fields end (the self-delimiting size goes there). */
interface Layout {
  sizes: number[];
  /** Where the size fields end (the self-delimiting size goes here). */
  sizesEnd: number;
}

/** Duration of an Opus packet in tenths of a ms, or `undefined` for a malformed one. */
export function packetDurationTenthsMs(packet: Uint8Array): number | undefined {
  const layout = parse(packet);
  return layout ? FRAME_TENTHS_MS[packet[0]! >> 3]! * layout.sizes.length : undefined;
}

/** The self-delimited form of a (valid) packet: its last frame's size written out too. */
export function toSelfDelimited(packet: Uint8Array): Uint8Array | undefined {
  return concatSelfDelimited(packet, new Uint8Array(0));
}

/**
 * `first` self-delimited followed by `second` as is, in one fresh array: a
 * two-stream multistream packet. `undefined` when `first` is malformed.
 */
export function concatSelfDelimited(first: Uint8Array, second: Uint8Array): Uint8Array | undefined {
  const layout = parse(first);
  if (!layout) return undefined;
  const code = first[0]! & 3;
  // Code 1 (and CBR code 3) carry one size for all frames; the others, the last frame's.
  const cbr = code === 1 || (code === 3 && (first[1]! & 0x80) === 0);
  const size = cbr ? layout.sizes[0]! : layout.sizes.at(-1)!;
  const extra = size < 252 ? 1 : 2;
  const out = new Uint8Array(first.length + extra + second.length);
  const at = layout.sizesEnd;
  out.set(first.subarray(0, at));
  if (extra === 1) {
    out[at] = size;
  } else {
    out[at] = 252 + (size & 3);
    out[at + 1] = (size - out[at]!) >> 2;
  }
  out.set(first.subarray(at), at + extra);
  out.set(second, first.length + extra);
  return out;
}

/** Splits a multistream packet into its streams' ordinary packets (all but the last self-delimited). */
export function splitMultistream(packet: Uint8Array, streams: number): Uint8Array[] | undefined {
  const out: Uint8Array[] = [];
  let rest = packet;
  for (let s = 0; s < streams - 1; s++) {
    const sd = parseSelfDelimited(rest);
    if (!sd) return undefined;
    out.push(sd.packet);
    rest = rest.subarray(sd.length);
  }
  out.push(rest);
  return out;
}

function readSize(p: Uint8Array, at: number): [number, number] | undefined {
  const a = p[at];
  if (a === undefined) return undefined;
  if (a < 252) return [a, 1];
  const b = p[at + 1];
  return b === undefined ? undefined : [a + 4 * b, 2];
}

/**
 * A code 3 packet's padding length (RFC 6716 §3.2.5) and where its frame
 * sizes start; `undefined` when the padding bytes run past the end.
 */
function readPadding(p: Uint8Array): { padding: number; at: number } | undefined {
  let at = 2;
  let padding = 0;
  if (p[1]! & 0x40) {
    for (;;) {
      const b = p[at++];
      if (b === undefined) return undefined;
      padding += b === 255 ? 254 : b;
      if (b !== 255) break;
    }
  }
  return { padding, at };
}

/** RFC 6716 §3.2 for an undelimited packet; `undefined` when malformed. */
function parse(p: Uint8Array): Layout | undefined {
  if (p.length < 1) return undefined;
  const code = p[0]! & 3;
  const n = p.length;
  if (code === 0) return { sizesEnd: 1, sizes: [n - 1] };
  if (code === 1) {
    if ((n - 1) % 2 !== 0) return undefined;
    return { sizesEnd: 1, sizes: [(n - 1) / 2, (n - 1) / 2] };
  }
  if (code === 2) {
    const s = readSize(p, 1);
    if (!s || 1 + s[1] + s[0] > n) return undefined;
    return { sizesEnd: 1 + s[1], sizes: [s[0], n - 1 - s[1] - s[0]] };
  }
  if (n < 2) return undefined;
  const count = p[1]! & 0x3f;
  if (count === 0) return undefined;
  const pad = readPadding(p);
  if (!pad) return undefined;
  let at = pad.at;
  const padding = pad.padding;
  const sizes: number[] = [];
  if (p[1]! & 0x80) {
    for (let i = 0; i < count - 1; i++) {
      const s = readSize(p, at);
      if (!s) return undefined;
      sizes.push(s[0]);
      at += s[1];
    }
    const last = n - at - padding - sizes.reduce((a, b) => a + b, 0);
    if (last < 0) return undefined;
    sizes.push(last);
  } else {
    const data = n - at - padding;
    if (data < 0 || data % count !== 0) return undefined;
    for (let i = 0; i < count; i++) sizes.push(data / count);
  }
  return { sizesEnd: at, sizes };
}

/** A self-delimited packet at the start of `p`: its undelimited form and its length in `p`. */
function parseSelfDelimited(p: Uint8Array): { packet: Uint8Array; length: number } | undefined {
  if (p.length < 2) return undefined;
  const code = p[0]! & 3;
  let at = 1;
  let padding = 0;
  let count = code === 0 ? 1 : 2;
  const sizes: number[] = [];
  if (code === 3) {
    count = p[1]! & 0x3f;
    const pad = readPadding(p);
    if (!pad) return undefined;
    ({ at, padding } = pad);
  }
  const vbr = code === 2 || (code === 3 && (p[1]! & 0x80) !== 0);
  const explicit = vbr ? count - 1 : 0;
  for (let i = 0; i < explicit; i++) {
    const s = readSize(p, at);
    if (!s) return undefined;
    sizes.push(s[0]);
    at += s[1];
  }
  const extraAt = at;
  const last = readSize(p, at);
  if (!last) return undefined;
  at += last[1];
  if (vbr) sizes.push(last[0]);
  else for (let i = 0; i < count; i++) sizes.push(last[0]);
  const length = at + sizes.reduce((a, b) => a + b, 0) + padding;
  if (length > p.length) return undefined;
  const packet = new Uint8Array(length - last[1]);
  packet.set(p.subarray(0, extraAt));
  packet.set(p.subarray(at, length), extraAt);
  return { packet, length };
}
