/**
 * Recording through a real CallSession (fake peer and agent, manual clock):
 * RECORDING=on gives the call a tap whose raw file is complete when the call
 * ends, and a WAV announcement goes out before the agent's first words.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { CallSession } from "../session/call_session.ts";
import { ManualScheduler } from "../media/fake_scheduler.ts";
import { FakeAgent, FakeCaller, FakePeer, META_OFFER } from "../../tests/support/session_fakes.ts";
import { encodeWav } from "../../lib/audio/wav.ts";
import { sine } from "../../lib/audio/tone.ts";
import {
  finishRecording,
  instructionsWithAnnouncement,
  rawRecordingPath,
  type RecordingConfig,
  sessionRecording,
} from "./recordings.ts";
import { ANNOUNCEMENT_TAG, loadAnnouncement } from "./announcement.ts";
import { decodeStereoOgg, framePowers } from "./scenario_test_utils.ts";

async function call(config: RecordingConfig, callId: string) {
  const scheduler = new ManualScheduler();
  const peer = new FakePeer(scheduler);
  const agent = new FakeAgent();
  const session = await CallSession.create(
    { callId, phoneNumberId: "123", from: "16315553602", to: "16315553601", sdp: META_OFFER },
    {
      createPeer: () => Promise.resolve(peer),
      createAgent: () => agent,
      scheduler,
      mediaConnectTimeoutMs: 10_000,
      maxCallMs: 60_000,
      callerSilenceTimeoutMs: 0,
      recording: sessionRecording(config),
    },
  );
  peer.connect();
  session.accept();
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(session.state, "active");
  const caller = new FakeCaller(peer);
  for (let i = 0; i < 100; i++) {
    caller.send(true);
    scheduler.advance(20);
  }
  await session.end("hangup", false);
  return session;
}

Deno.test("RECORDING=on: a session's call leaves a raw file that finishRecording renders", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const config = { enabled: true, dir, announcement: undefined };
    await call(config, "wacid.session1");
    await new Promise((r) => setTimeout(r, 10)); // the session closes the raw file in the background
    assert.ok((await Deno.stat(rawRecordingPath(dir, "wacid.session1"))).size > 1000);
    const done = await finishRecording("wacid.session1", dir);
    assert.ok(done);
    assert.ok(done.durationMs >= 100 * 20 - 40, `${done.durationMs} ms`);
    const { left } = decodeStereoOgg(await Deno.readFile(done.path));
    assert.ok(framePowers(left, 300)[50]!.tone > 1e6, "the caller's 300 Hz, left");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("RECORDING=off: the session gets no tap and writes nothing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.equal(sessionRecording({ enabled: false, dir, announcement: "a.wav" }), undefined);
    await call({ enabled: false, dir, announcement: undefined }, "wacid.session2");
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("RECORDING_ANNOUNCEMENT as a WAV plays to the caller first, right after accept", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const wav = join(dir, "notice.wav");
    await Deno.writeFile(wav, encodeWav(sine(660, 16000, 16000, 8000), 16000)); // 1 s at 16 kHz
    const announcement = loadAnnouncement(wav);
    assert.equal(announcement?.kind, "audio");
    assert.equal(announcement.kind === "audio" && announcement.ms, 1000, "resampled to 24 kHz");
    const config = { enabled: true, dir, announcement: wav };
    const session = await call(config, "wacid.session3");
    // The player counted the announcement's samples as played before anything else.
    assert.equal(session.audio.playedMs(ANNOUNCEMENT_TAG), 1000);
    const done = await finishRecording("wacid.session3", dir);
    const { right } = decodeStereoOgg(await Deno.readFile(done!.path));
    const r = framePowers(right, 660);
    for (const f of [2, 10, 30, 48]) assert.ok(r[f]!.tone > 1e6, `notice in frame ${f}`);
    assert.ok(r[60]!.total < 5e4, "and then quiet (the fake agent says nothing)");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("RECORDING_ANNOUNCEMENT as text: the OpenAI agent's instructions start with it; a bad WAV stops start-up", () => {
  const on = { enabled: true, dir: "x", announcement: "This call is recorded." };
  const text = instructionsWithAnnouncement(on, "Be helpful.");
  assert.ok(text.startsWith("Before anything else"));
  assert.ok(text.includes('"This call is recorded."'));
  assert.ok(text.endsWith("Be helpful."));
  assert.equal(
    instructionsWithAnnouncement({ ...on, enabled: false }, "Be helpful."),
    "Be helpful.",
  );
  assert.equal(instructionsWithAnnouncement({ ...on, announcement: "n.wav" }, "B"), "B");
  assert.throws(
    () => sessionRecording({ ...on, announcement: "/nonexistent/n.wav" }),
    /RECORDING_ANNOUNCEMENT/,
  );
});
