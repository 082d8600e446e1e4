import assert from "node:assert/strict";
import { CallRecording } from "./call_recording.ts";
import { readRawRecording, Side } from "./raw_recording.ts";
import { placeRecords, renderStereo } from "./stereo_render.ts";
import {
  callerArrivalTick,
  decodeStereoOgg,
  framePowers,
  MemorySink,
  runScenario,
  SCENARIO,
} from "./scenario_test_utils.ts";
import { opusSilencePacket } from "../../lib/audio/opus.ts";

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

async function scenarioRaw() {
  const sink = new MemorySink();
  const trace = await runScenario(new CallRecording("wacid.scenario", sink));
  assert.ok(sink.closed);
  return { ...readRawRecording(sink.bytes()), trace };
}

Deno.test("alignment: each caller payload lands on the frame it was spoken in, despite jitter and a lost stretch", async () => {
  const raw = await scenarioRaw();
  assert.equal(raw.truncated, false);
  // Arrival frames really were jittered (else this test would prove nothing).
  const callers = raw.records.filter((r) => r.side === Side.Caller);
  const delays = new Set(
    callers.map((r) => r.frame - (r.rtpTimestamp - callers[0]!.rtpTimestamp) / 960),
  );
  assert.deepEqual([...delays].sort(), [0, 1, 2]);
  const { caller } = placeRecords(raw.records);
  const expected = range(0, SCENARIO.frames)
    .filter((n) => n < SCENARIO.lostFrom || n >= SCENARIO.lostTo)
    // Packets still in flight at the hang-up never arrived.
    .filter((n) => callerArrivalTick(n) < SCENARIO.frames);
  assert.deepEqual(caller.map((p) => p.frame), expected);
});

Deno.test("alignment: the agent's payloads are on its send frames, and barge-in cuts them as sent", async () => {
  const raw = await scenarioRaw();
  const { agent } = placeRecords(raw.records);
  const { sent, voicedFrames } = raw.trace;
  // The player had voice exactly from 20 until the barge-in flush at 100.
  assert.deepEqual(voicedFrames, range(SCENARIO.agentFrom, SCENARIO.bargeInAt));
  // Stored: every payload that went on the wire, byte for byte on its frame, but the cached
  // silence packet; then the end marker on the last frame.
  const onWire = sent.flatMap((payload, frame) =>
    payload === opusSilencePacket() ? [] : [{ frame, payload: [...payload] }]
  );
  const end = agent.at(-1)!;
  assert.deepEqual({ frame: end.frame, bytes: end.payload.length }, {
    frame: sent.length - 1,
    bytes: 0,
  });
  assert.deepEqual(
    agent.slice(0, -1).map((p) => ({ frame: p.frame, payload: [...p.payload] })),
    onWire,
  );
  assert.ok(onWire.at(-1)!.frame < SCENARIO.bargeInAt + 5, "after the cut, only the quiet tail");
});

for (const transcode of [false, true]) {
  Deno.test(`render (${transcode ? "decode + stereo encode fallback" : "payloads copied, two streams"}): the file decodes back to the caller's tone left and the agent's right, in their frames`, async () => {
    const raw = await scenarioRaw();
    const chunks: Uint8Array[] = [];
    const result = await renderStereo(raw, (pages) => {
      chunks.push(...pages);
      return Promise.resolve();
    }, { transcode });
    const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    chunks.reduce((at, c) => (bytes.set(c, at), at + c.length), 0);
    assert.equal(result.bytes, bytes.length);
    assert.equal(result.durationMs, SCENARIO.frames * 20);
    const { left, right } = decodeStereoOgg(bytes);
    assert.equal(left.length, SCENARIO.frames * 480, "duration trimmed to the media clock");
    const l = framePowers(left, SCENARIO.callerHz);
    const r = framePowers(right, SCENARIO.agentHz);
    const loud = 1e6; // a tone of peak 8000 reads ~3.2e7
    const quiet = 5e4; // 28 dB under the tone: codec tails after a cut stay below it
    // Within one frame of each edge the codec may smear; everywhere else the state must hold.
    const callerOn = range(2, SCENARIO.lostFrom - 1).concat(range(SCENARIO.lostTo + 1, 149));
    for (const f of callerOn) assert.ok(l[f]!.tone > loud, `caller tone in frame ${f}`);
    for (const f of range(SCENARIO.lostFrom + 1, SCENARIO.lostTo - 1)) {
      assert.ok(l[f]!.total < quiet, `lost frame ${f} is silence (${l[f]!.total})`);
    }
    for (const f of range(SCENARIO.agentFrom + 1, SCENARIO.bargeInAt - 1)) {
      assert.ok(r[f]!.tone > loud, `agent tone in frame ${f}`);
    }
    for (const f of range(0, SCENARIO.agentFrom - 1).concat(range(SCENARIO.bargeInAt + 1, 150))) {
      assert.ok(r[f]!.total < quiet, `agent quiet in frame ${f} (${r[f]!.total})`);
    }
    // No crosstalk: while the agent talks, its tone stays out of the left channel,
    // 45 dB down where the caller is silent (the lost stretch), 20 dB under the caller's otherwise.
    const lAgent = framePowers(left, SCENARIO.agentHz);
    for (const f of range(SCENARIO.lostFrom + 1, SCENARIO.lostTo - 1)) {
      assert.ok(lAgent[f]!.tone < 1e3, `left frame ${f}: ${lAgent[f]!.tone}`);
    }
    for (const f of range(SCENARIO.agentFrom + 1, SCENARIO.lostFrom - 1)) {
      assert.ok(lAgent[f]!.tone < l[f]!.tone / 100, `left frame ${f}`);
    }
  });
}

Deno.test("raw file: records are buffered and written in batches, and a sink that falls behind drops, bounded", async () => {
  let release: () => void = () => {};
  const stuck = new Promise<void>((r) => release = r);
  let writes = 0;
  const sink = {
    write: async (b: Uint8Array) => {
      writes++;
      await stuck;
      return b.length;
    },
    close: () => {},
  };
  const rec = new CallRecording("wacid.slow", sink, "", {
    maxBufferedBytes: 4096,
    flushBytes: 512,
  });
  const payload = new Uint8Array(100);
  for (let i = 0; i < 200; i++) rec.agentPayload(payload, i * 960);
  assert.ok(rec.dropped > 0, "past 4 KiB of unwritten records, records are dropped");
  assert.ok(rec.dropped < 200);
  release();
  await rec.close();
  assert.ok(writes > 1 && writes < 200, `batched into ${writes} writes`);
});
