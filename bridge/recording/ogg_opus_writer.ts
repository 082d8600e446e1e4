/**
 * Ogg Opus (RFC 7845) pages around Opus packets we already encoded, so a
 * recording is one small file every browser plays (Chromium's
 * `decodeAudioData` and `<audio>` both take `audio/ogg; codecs=opus`).
 *
 * Hand-written on purpose: the npm registry has Ogg Opus *decoders*
 * (`ogg-opus-decoder`) and whole ffmpeg builds in wasm (`libav.js`, tens of
 * MB), but no small, maintained Ogg *writer*. Ogg framing for one logical
 * stream is ~100 lines: a page header, lacing values and RFC 3533's CRC-32
 * (polynomial 0x04C11DB7, not reflected, initial value 0). The test decodes
 * the output with libopus and with Chromium, a demuxer we did not write.
 *
 * @module
 */

/** Most packets per page: ~1 s of 20 ms packets keeps pages small and seekable. */
const PACKETS_PER_PAGE = 50;
/** Opus granule positions always count 48 kHz samples (RFC 7845 §4). */
export const OGG_OPUS_GRANULE_RATE = 48000;

/** Slicing-by-4 tables: T[k][i] is the CRC of byte i followed by k zero bytes. */
const [T0, T1, T2, T3] = (() => {
  const t = Array.from({ length: 4 }, () => new Uint32Array(256));
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let k = 0; k < 8; k++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    t[0]![i] = r >>> 0;
  }
  for (let k = 1; k < 4; k++) {
    for (let i = 0; i < 256; i++) {
      const prev = t[k - 1]![i]!;
      t[k]![i] = ((prev << 8) ^ t[0]![prev >>> 24]!) >>> 0;
    }
  }
  return t as [Uint32Array, Uint32Array, Uint32Array, Uint32Array];
})();

/** RFC 3533's CRC-32 of `bytes` (the page with its checksum field zeroed), 4 bytes a step. */
export function oggCrc32(bytes: Uint8Array): number {
  let crc = 0;
  let i = 0;
  for (const end = bytes.length - 3; i < end; i += 4) {
    crc ^= (bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!;
    crc = T3[crc >>> 24]! ^ T2[(crc >>> 16) & 0xff]! ^ T1[(crc >>> 8) & 0xff]! ^ T0[crc & 0xff]!;
  }
  for (; i < bytes.length; i++) crc = (crc << 8) ^ T0[((crc >>> 24) ^ bytes[i]!) & 0xff]!;
  return crc >>> 0;
}

/** Header fields of an Ogg Opus stream. */
export interface OggOpusHead {
  channels: 1 | 2;
  /** Samples (at 48 kHz) the decoder drops at the start: the encoder's lookahead. */
  preSkip: number;
  /** The rate the PCM had before encoding (informational for players). */
  inputSampleRate: number;
  /** Written as the `ENCODER=` comment. */
  vendor?: string;
  /**
   * Two uncoupled mono streams (mapping family 1, streams 2, coupled 0,
   * channel i = stream i) instead of one coupled stereo stream (family 0).
   */
  uncoupled?: boolean;
}

/** Builds an Ogg Opus stream page by page; `pages()` hands out what is ready. */
export class OggOpusWriter {
  #serial: number;
  #sequence = 0;
  #granule = 0;
  #pending: Uint8Array[] = [];
  #segments = 0;
  #out: Uint8Array[] = [];
  #ended = false;

  /** Writes the two header pages (OpusHead, OpusTags) at once. */
  constructor(head: OggOpusHead, serial = crypto.getRandomValues(new Uint32Array(1))[0]!) {
    this.#serial = serial >>> 0;
    this.#page([opusHead(head)], 0, 0x02);
    this.#page([opusTags(head.vendor ?? "whatsapp-voice-agent")], 0, 0);
  }

  /** Adds one packet of `samples48k` 48 kHz samples (960 for 20 ms). */
  addPacket(packet: Uint8Array, samples48k: number): void {
    if (this.#ended) throw new Error("OggOpusWriter: stream already ended");
    const segments = Math.floor(packet.length / 255) + 1;
    if (this.#segments + segments > 255) this.#flush(0);
    this.#pending.push(packet);
    this.#segments += segments;
    this.#granule += samples48k;
    if (this.#pending.length >= PACKETS_PER_PAGE) this.#flush(0);
  }

  /**
   * Ends the stream. `finalGranule` (pre-skip + the real length, 48 kHz) lets
   * the player trim the padding of the last packet (RFC 7845 §4.4).
   */
  end(finalGranule?: number): void {
    if (this.#ended) return;
    if (finalGranule !== undefined) this.#granule = Math.min(this.#granule, finalGranule);
    this.#flush(0x04);
    this.#ended = true;
  }

  /** Pages completed since the last call (and forgets them: stream them to a file). */
  pages(): Uint8Array[] {
    const out = this.#out;
    this.#out = [];
    return out;
  }

  #flush(flags: number): void {
    // An end with nothing pending still needs a page carrying the EOS flag.
    this.#page(this.#pending, this.#granule, flags);
    this.#pending = [];
    this.#segments = 0;
  }

  #page(packets: Uint8Array[], granule: number, flags: number): void {
    const lacing: number[] = [];
    for (const p of packets) {
      for (let n = p.length;; n -= 255) {
        lacing.push(Math.min(255, n));
        if (n < 255) break;
      }
    }
    if (lacing.length > 255) throw new Error("OggOpusWriter: page holds at most 255 segments");
    const bodyLength = packets.reduce((n, p) => n + p.length, 0);
    const page = new Uint8Array(27 + lacing.length + bodyLength);
    const view = new DataView(page.buffer);
    page.set([0x4f, 0x67, 0x67, 0x53]); // "OggS"
    page[5] = flags;
    view.setBigUint64(6, BigInt(granule), true);
    view.setUint32(14, this.#serial, true);
    view.setUint32(18, this.#sequence++, true);
    page[26] = lacing.length;
    page.set(lacing, 27);
    let at = 27 + lacing.length;
    for (const p of packets) {
      page.set(p, at);
      at += p.length;
    }
    view.setUint32(22, oggCrc32(page), true);
    this.#out.push(page);
  }
}

function opusHead(head: OggOpusHead): Uint8Array {
  const out = new Uint8Array(head.uncoupled ? 21 + head.channels : 19);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode("OpusHead"));
  out[8] = 1; // version
  out[9] = head.channels;
  view.setUint16(10, head.preSkip, true);
  view.setUint32(12, head.inputSampleRate, true);
  view.setInt16(16, 0, true); // output gain
  out[18] = 0; // mapping family 0: mono or stereo, no table
  if (head.uncoupled) {
    out[18] = 1; // family 1: a channel mapping table follows
    out[19] = head.channels; // streams
    out[20] = 0; // none coupled
    for (let c = 0; c < head.channels; c++) out[21 + c] = c;
  }
  return out;
}

function opusTags(vendor: string): Uint8Array {
  const v = new TextEncoder().encode(vendor);
  const out = new Uint8Array(8 + 4 + v.length + 4);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode("OpusTags"));
  view.setUint32(8, v.length, true);
  out.set(v, 12);
  view.setUint32(12 + v.length, 0, true); // no user comments
  return out;
}

/** One page read back by {@linkcode readOggPages} (for tests and tools). */
export interface OggPage {
  flags: number;
  granule: number;
  sequence: number;
  packets: Uint8Array[];
  crcOk: boolean;
}

/** Splits an Ogg stream into pages and their (page-complete) packets; checks each CRC. */
export function readOggPages(bytes: Uint8Array): OggPage[] {
  const pages: OggPage[] = [];
  let at = 0;
  while (at + 27 <= bytes.length) {
    const view = new DataView(bytes.buffer, bytes.byteOffset + at);
    const nseg = bytes[at + 26]!;
    const lacing = bytes.subarray(at + 27, at + 27 + nseg);
    const body = lacing.reduce((n, l) => n + l, 0);
    const end = at + 27 + nseg + body;
    if (end > bytes.length) break;
    const page = bytes.slice(at, end);
    const crc = view.getUint32(22, true);
    page.fill(0, 22, 26);
    const packets: Uint8Array[] = [];
    let p = at + 27 + nseg;
    let start = p;
    for (const l of lacing) {
      p += l;
      if (l < 255) {
        packets.push(bytes.subarray(start, p));
        start = p;
      }
    }
    pages.push({
      flags: bytes[at + 5]!,
      granule: Number(view.getBigUint64(6, true)),
      sequence: view.getUint32(18, true),
      packets,
      crcOk: oggCrc32(page) === crc,
    });
    at = end;
  }
  return pages;
}
