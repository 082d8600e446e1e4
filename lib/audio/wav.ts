/**
 * 16-bit PCM WAV files in and out: what `deno task call` plays as the caller
 * and saves of what the caller heard. Only the RIFF/WAVE PCM subset is read;
 * anything else gets a typed error naming the problem.
 *
 * @module
 */

/** Decoded WAV audio: mono int16 samples (channels averaged) and their rate. */
export interface WavAudio {
  sampleRate: number;
  samples: Int16Array;
}

/** Why a WAV file could not be read. */
export interface WavError {
  error: string;
}

/** Encodes mono int16 PCM as a WAV file. */
export function encodeWav(samples: Int16Array, sampleRate: number): Uint8Array {
  const out = new Uint8Array(44 + samples.length * 2);
  const v = new DataView(out.buffer);
  const ascii = (at: number, s: string) =>
    [...s].forEach((c, i) => v.setUint8(at + i, c.charCodeAt(0)));
  ascii(0, "RIFF");
  v.setUint32(4, 36 + samples.length * 2, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true); // PCM
  v.setUint16(22, 1, true); // mono
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * 2, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  ascii(36, "data");
  v.setUint32(40, samples.length * 2, true);
  for (let i = 0; i < samples.length; i++) v.setInt16(44 + i * 2, samples[i]!, true);
  return out;
}

/** Reads a 16-bit PCM WAV file (any channel count, averaged to mono). */
export function decodeWav(bytes: Uint8Array): WavAudio | WavError {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) =>
    at + 4 <= bytes.length ? String.fromCharCode(...bytes.subarray(at, at + 4)) : "";
  if (tag(0) !== "RIFF" || tag(8) !== "WAVE") return { error: "not a RIFF/WAVE file" };
  let format: { channels: number; rate: number; bits: number; codec: number } | undefined;
  for (let at = 12; at + 8 <= bytes.length;) {
    const id = tag(at);
    const size = v.getUint32(at + 4, true);
    const body = at + 8;
    if (id === "fmt " && size >= 16 && body + 16 <= bytes.length) {
      format = {
        codec: v.getUint16(body, true),
        channels: v.getUint16(body + 2, true),
        rate: v.getUint32(body + 4, true),
        bits: v.getUint16(body + 14, true),
      };
    } else if (id === "data") {
      if (!format) return { error: "data chunk before fmt chunk" };
      // 0xFFFE is WAVE_FORMAT_EXTENSIBLE, which sox and espeak-ng may write for plain PCM.
      if ((format.codec !== 1 && format.codec !== 0xfffe) || format.bits !== 16) {
        return {
          error: `only 16-bit PCM is supported (format ${format.codec}, ${format.bits} bits)`,
        };
      }
      if (format.channels < 1) return { error: "no channels" };
      const end = Math.min(bytes.length, body + size);
      const frames = Math.floor((end - body) / (2 * format.channels));
      const samples = new Int16Array(frames);
      for (let f = 0; f < frames; f++) {
        let sum = 0;
        for (let c = 0; c < format.channels; c++) {
          sum += v.getInt16(body + (f * format.channels + c) * 2, true);
        }
        samples[f] = Math.round(sum / format.channels);
      }
      return { sampleRate: format.rate, samples };
    }
    at = body + size + (size & 1);
  }
  return { error: "no data chunk" };
}
