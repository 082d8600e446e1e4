import assert from "node:assert/strict";
import {
  FRAME_MS,
  FRAME_SAMPLES,
  MAX_PACKET_BYTES,
  OPUS_PCM_RATE,
  OpusDecodeError,
  OpusDecoder,
  OpusEncoder,
  opusSilencePacket,
  RTP_CLOCK_RATE,
  RTP_TICKS_PER_FRAME,
} from "./opus.ts";
import { dominantTone, goertzelPower, sine } from "./tone.ts";

function frames(pcm: Int16Array): Int16Array[] {
  const out: Int16Array[] = [];
  for (let i = 0; i + FRAME_SAMPLES <= pcm.length; i += FRAME_SAMPLES) {
    out.push(pcm.subarray(i, i + FRAME_SAMPLES));
  }
  return out;
}

function decodeOk(d: OpusDecoder, p: Uint8Array): Int16Array {
  const r = d.decode(p);
  if (r instanceof OpusDecodeError) throw r;
  return r;
}

/** A voiced-speech stand-in: 140 Hz harmonics under a slow formant sweep, with vibrato. */
function voice(samples: number): Int16Array {
  const out = new Int16Array(samples);
  let phase = 0;
  for (let i = 0; i < samples; i++) {
    const t = i / OPUS_PCM_RATE;
    phase += (2 * Math.PI * (140 + 15 * Math.sin(2 * Math.PI * 3 * t))) / OPUS_PCM_RATE;
    const formant = 700 + 500 * Math.sin(2 * Math.PI * 1.3 * t);
    let v = 0;
    for (let h = 1; h <= 25; h++) {
      const f = 140 * h;
      v += Math.sin(h * phase) / (1 + ((f - formant) / 300) ** 2);
    }
    out[i] = Math.round(3000 * v);
  }
  return out;
}

function rmsError(a: Int16Array, b: Int16Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s / a.length);
}

Deno.test("constants tie 24 kHz PCM frames to the 48 kHz RTP clock", () => {
  assert.equal(FRAME_SAMPLES, (OPUS_PCM_RATE * FRAME_MS) / 1000);
  assert.equal(RTP_TICKS_PER_FRAME, (RTP_CLOCK_RATE * FRAME_MS) / 1000);
});

Deno.test("encode rejects frames that are not 480 samples", () => {
  const e = new OpusEncoder();
  assert.throws(() => e.encode(new Int16Array(479)), RangeError);
  assert.throws(() => e.encode(new Int16Array(960)), RangeError);
});

for (const freq of [440, 1000]) {
  Deno.test(`${freq} Hz sine survives encode → decode`, () => {
    const e = new OpusEncoder();
    const d = new OpusDecoder();
    const input = sine(freq, OPUS_PCM_RATE, OPUS_PCM_RATE, 12000);
    const out = new Int16Array(input.length);
    frames(input).forEach((f, i) => {
      const packet = e.encode(f);
      assert.ok(packet.length > 0 && packet.length < 200, `packet ${packet.length} bytes`);
      const pcm = decodeOk(d, packet);
      assert.equal(pcm.length, FRAME_SAMPLES);
      out.set(pcm, i * FRAME_SAMPLES);
    });
    // Steady state: skip the first 0.2 s, measure 0.5 s (whole cycles for both tones).
    const tail = out.subarray(4800, 4800 + 12000);
    const candidates = [250, 440, 700, 1000, 1500, 2500, 4000];
    assert.equal(dominantTone(tail, OPUS_PCM_RATE, candidates).freqHz, freq);
    let energy = 0;
    for (const v of tail) energy += v * v;
    const tone = goertzelPower(tail, OPUS_PCM_RATE, freq);
    const snrDb = 10 * Math.log10(tone / (energy / tail.length - tone));
    assert.ok(snrDb > 15, `SNR ${snrDb.toFixed(1)} dB`);
    // Level preserved within 1 dB of the input's 12000² / 2.
    assert.ok(Math.abs(10 * Math.log10(tone / (12000 ** 2 / 2))) < 1);
  });
}

Deno.test("in-band FEC rebuilds a lost frame better than PLC", () => {
  const e = new OpusEncoder();
  const packets = frames(voice(OPUS_PCM_RATE)).map((f) => e.encode(f));
  let fecWins = 0;
  const lostFrames = [10, 17, 23, 31, 38, 44];
  for (const lost of lostFrames) {
    const reference = new OpusDecoder();
    const withFec = new OpusDecoder();
    const withPlc = new OpusDecoder();
    for (let i = 0; i < lost; i++) {
      decodeOk(reference, packets[i]!);
      decodeOk(withFec, packets[i]!);
      decodeOk(withPlc, packets[i]!);
    }
    const truth = decodeOk(reference, packets[lost]!);
    const fec = withFec.decodeLost(packets[lost + 1]!);
    const plc = withPlc.decodeLost();
    assert.equal(fec.length, FRAME_SAMPLES);
    assert.equal(plc.length, FRAME_SAMPLES);
    const fecErr = rmsError(fec, truth);
    const plcErr = rmsError(plc, truth);
    if (fecErr < plcErr * 0.7) fecWins++;
    // Both decoders carry on with the next packet.
    assert.equal(decodeOk(withFec, packets[lost + 1]!).length, FRAME_SAMPLES);
    assert.equal(decodeOk(withPlc, packets[lost + 1]!).length, FRAME_SAMPLES);
    for (const d of [reference, withFec, withPlc]) d.close();
  }
  assert.ok(fecWins >= lostFrames.length - 1, `FEC beat PLC on ${fecWins}/${lostFrames.length}`);
});

Deno.test("without FEC in the next packet, decodeLost falls back to PLC", () => {
  const e = new OpusEncoder({ fec: false });
  const packets = frames(voice(OPUS_PCM_RATE / 5)).map((f) => e.encode(f));
  const a = new OpusDecoder();
  const b = new OpusDecoder();
  for (let i = 0; i < 5; i++) {
    decodeOk(a, packets[i]!);
    decodeOk(b, packets[i]!);
  }
  assert.deepEqual(a.decodeLost(packets[6]!), b.decodeLost());
  // A malformed `next` is ignored the same way.
  assert.deepEqual(a.decodeLost(Uint8Array.of(0x03, 0x00)), b.decodeLost());
});

Deno.test("PLC on a fresh decoder and repeated losses give 480 samples each", () => {
  const d = new OpusDecoder();
  for (let i = 0; i < 5; i++) assert.equal(d.decodeLost().length, FRAME_SAMPLES);
  assert.equal(d.decodeLost(new Uint8Array(0)).length, FRAME_SAMPLES);
});

Deno.test("malformed payloads return typed errors and leave the decoder usable", () => {
  const d = new OpusDecoder();
  const cases: [Uint8Array, string, number][] = [
    [new Uint8Array(0), "empty-packet", 0],
    [new Uint8Array(MAX_PACKET_BYTES + 1), "packet-too-large", 0],
    [Uint8Array.of(0x03, 0x00), "libopus", -4], // code 3 with zero frames
    [Uint8Array.of(0x01, 0xaa), "libopus", -4], // code 1: two equal frames in one odd byte
    [Uint8Array.of(0x4b, 0xff, 0xff), "libopus", -4], // code 3, 63 frames: too long
  ];
  for (const [payload, kind, code] of cases) {
    const r = d.decode(payload);
    assert.ok(r instanceof OpusDecodeError, `${payload.slice(0, 4)}`);
    assert.equal(r.kind, kind);
    assert.equal(r.code, code);
  }
  // Fuzz: random payloads never throw; whatever decodes is a whole number of 2.5 ms.
  let x = 2463534242;
  for (let n = 0; n < 2000; n++) {
    const p = new Uint8Array(1 + (n % 300));
    for (let i = 0; i < p.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      p[i] = x;
    }
    const r = d.decode(p);
    if (!(r instanceof OpusDecodeError)) assert.equal(r.length % 60, 0);
  }
  const e = new OpusEncoder();
  assert.equal(decodeOk(d, e.encode(new Int16Array(FRAME_SAMPLES))).length, FRAME_SAMPLES);
});

Deno.test("returned arrays are fresh, and close() frees the decoder", () => {
  const e = new OpusEncoder();
  const d = new OpusDecoder();
  const p1 = e.encode(sine(440, OPUS_PCM_RATE, FRAME_SAMPLES, 8000));
  const copy1 = p1.slice();
  e.encode(sine(1000, OPUS_PCM_RATE, FRAME_SAMPLES, 8000));
  assert.deepEqual(p1, copy1);
  const a = decodeOk(d, p1);
  const snapshot = a.slice();
  decodeOk(d, p1);
  d.decodeLost();
  assert.deepEqual(a, snapshot);
  d.close();
  d.close();
  assert.throws(() => d.decode(p1), /after close/);
});

for (const backend of ["native", "wasm"] as const) {
  Deno.test(`works on @evan/opus's ${backend} encoder`, async () => {
    const code = `
      import { Encoder } from "@evan/opus";
      import { OpusDecoder, OpusEncoder } from "${new URL("./opus.ts", import.meta.url).href}";
      import { dominantTone, sine } from "${new URL("./tone.ts", import.meta.url).href}";
      const e = new OpusEncoder();
      const d = new OpusDecoder();
      const x = sine(1000, 24000, 480 * 25, 10000);
      let y = new Int16Array(0);
      for (let i = 0; i < 25; i++) y = d.decode(e.encode(x.subarray(i * 480, i * 480 + 480)));
      const wasm = typeof Encoder.prototype.drop === "function";
      console.log(JSON.stringify({ wasm, tone: dominantTone(y, 24000, [440, 1000, 2000]).freqHz }));
    `;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", code],
      cwd: new URL(".", import.meta.url),
      // `deno task test` forces wasm for its own threads; an empty value lets the child load native.
      env: { OPUS_FORCE_WASM: backend === "wasm" ? "1" : "" },
      stdout: "piped",
    }).output();
    assert.ok(out.success);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(out.stdout)), {
      wasm: backend === "wasm",
      tone: 1000,
    });
  });
}

Deno.test("opusSilencePacket decodes to 20 ms of silence and is small", () => {
  const packet = opusSilencePacket();
  assert.ok(packet.length > 0 && packet.length < 20, `${packet.length} bytes`);
  const pcm = new OpusDecoder().decode(packet);
  assert.ok(pcm instanceof Int16Array);
  assert.equal(pcm.length, FRAME_SAMPLES);
  assert.ok(pcm.every((s) => Math.abs(s) < 8));
  assert.equal(opusSilencePacket(), packet, "memoized");
});
