import assert from "node:assert/strict";
import { decodeWav, encodeWav, type WavAudio } from "./wav.ts";

Deno.test("encodeWav and decodeWav round-trip mono PCM", () => {
  const pcm = Int16Array.from([0, 1, -1, 32767, -32768, 1234]);
  const back = decodeWav(encodeWav(pcm, 24000)) as WavAudio;
  assert.equal(back.sampleRate, 24000);
  assert.deepEqual(Array.from(back.samples), Array.from(pcm));
});

Deno.test("decodeWav averages stereo and skips unknown chunks", () => {
  const mono = encodeWav(Int16Array.from([0, 0]), 8000);
  // Build a stereo file with a LIST chunk before data.
  const bytes = new Uint8Array(mono.length + 12 + 4);
  bytes.set(mono.subarray(0, 36));
  const v = new DataView(bytes.buffer);
  v.setUint16(22, 2, true);
  bytes.set([..."LIST"].map((c) => c.charCodeAt(0)), 36);
  v.setUint32(40, 4, true);
  bytes.set([..."data"].map((c) => c.charCodeAt(0)), 48);
  v.setUint32(52, 8, true);
  v.setInt16(56, 100, true);
  v.setInt16(58, 300, true);
  v.setInt16(60, -10, true);
  v.setInt16(62, -30, true);
  const out = decodeWav(bytes.subarray(0, 64)) as WavAudio;
  assert.deepEqual(Array.from(out.samples), [200, -20]);
});

Deno.test("decodeWav names what is wrong with a bad file", () => {
  assert.deepEqual(decodeWav(new Uint8Array(10)), { error: "not a RIFF/WAVE file" });
  const wav = encodeWav(new Int16Array(4), 8000);
  new DataView(wav.buffer).setUint16(34, 8, true);
  assert.match((decodeWav(wav) as { error: string }).error, /16-bit PCM/);
  assert.deepEqual(decodeWav(wav.subarray(0, 36)), { error: "no data chunk" });
});
