import assert from "node:assert/strict";
import { CallMedia, type MediaPort } from "./call_media.ts";
import { ManualScheduler } from "./fake_scheduler.ts";
import { SharedFrameClock } from "./frame_clock.ts";
import { OutboundPlayer } from "./outbound_player.ts";
import {
  FRAME_SAMPLES,
  OpusDecodeError,
  OpusDecoder,
  OpusEncoder,
  RTP_TICKS_PER_FRAME,
} from "../../lib/audio/opus.ts";
import { sine } from "../../lib/audio/tone.ts";

Deno.test("a port that reads on ticks is polled every tick, before the frame leaves the jitter buffer", () => {
  const scheduler = new ManualScheduler();
  const encoder = new OpusEncoder();
  const voice = encoder.encode(new Int16Array(480).fill(3000));
  const events: string[] = [];
  let deliver: Parameters<MediaPort["onRtp"]>[0] = () => {};
  let seq = 100;
  const port: MediaPort = {
    sendOpus: () => events.push("send"),
    onRtp: (listener) => deliver = listener,
    receiveOnTicks: (on) => events.push(`receiveOnTicks ${on}`),
    // Each poll finds the packet that arrived since the last tick.
    pollRtp: () => {
      events.push("poll");
      deliver({
        payloadType: 111,
        sequenceNumber: seq,
        timestamp: seq * 960,
        marker: false,
        payload: voice,
      });
      seq++;
    },
  };
  const media = new CallMedia({
    port,
    sink: { pushAudio: () => events.push("agent"), pushDtmf: () => {} },
    player: new OutboundPlayer(),
    opusPayloadType: 111,
    telephoneEventPayloadType: 126,
    scheduler,
  });
  media.start();
  for (let i = 0; i < 10; i++) scheduler.advance(20);
  media.stop();
  assert.equal(events[0], "receiveOnTicks true");
  assert.equal(events.at(-1), "receiveOnTicks false");
  const ticks = events.slice(1, -1);
  assert.equal(ticks.filter((e) => e === "poll").length, 11, "the start and each of 10 ticks");
  // Every poll comes before that tick's frame is taken for the agent.
  ticks.forEach((e, i) => {
    if (e === "agent") assert.equal(ticks[i - 1], "poll");
  });
  assert.ok(media.stats().framesToAgent > 0);
  assert.equal(media.stats().packetsReceived, 11);
});

interface Sent {
  at: number;
  seq: number;
  ts: number;
  marker: boolean;
}

/**
 * A call on `scheduler` (or on `clock`) that records what it sends and what
 * reaches the agent; each tick's poll delivers the caller packets `arrivals`
 * names (packet `i`: sequence `i`, payload `packets[i]`).
 */
function fakeCall(scheduler: ManualScheduler, options: {
  clock?: SharedFrameClock;
  packets?: readonly Uint8Array[];
  arrivals?: (poll: number) => number[];
} = {}) {
  const { packets = [], arrivals = () => [] } = options;
  const sent: Sent[] = [];
  const heard: Int16Array[] = [];
  let deliver: Parameters<MediaPort["onRtp"]>[0] = () => {};
  let polls = 0;
  const port: MediaPort = {
    sendOpus: (_, seq, ts, marker) => sent.push({ at: scheduler.now(), seq, ts, marker }),
    onRtp: (listener) => deliver = listener,
    pollRtp: () => {
      for (const i of arrivals(polls++)) {
        const p = { sequenceNumber: i, timestamp: i * RTP_TICKS_PER_FRAME, marker: false };
        deliver({ ...p, payloadType: 111, payload: packets[i]! });
      }
    },
  };
  const media = new CallMedia({
    port,
    sink: { pushAudio: (pcm) => heard.push(pcm), pushDtmf: () => {} },
    player: new OutboundPlayer(),
    opusPayloadType: 111,
    telephoneEventPayloadType: 126,
    scheduler,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return { media, sent, heard };
}

/** Each sent packet's frame number on the call's RTP clock: (ts − first ts) / 960. */
function rtpFrames(sent: readonly Sent[]): number[] {
  return sent.map((p) => ((p.ts - sent[0]!.ts) >>> 0) / RTP_TICKS_PER_FRAME);
}

function assertContiguous(sent: readonly Sent[]): void {
  sent.forEach((p, i) => {
    if (i > 0) assert.equal((p.seq - sent[i - 1]!.seq) & 0xffff, 1, `sequence gap at ${i}`);
  });
  assert.deepEqual(sent.map((p) => p.marker), sent.map((_, i) => i === 0), "marker on the first");
}

const midPeriodStarts: Array<[number, number[]]> = [
  [13, [13, 40, 60, 80, 100]],
  [5, [5, 20, 40, 60, 80, 100]],
];
for (const [startAt, sendTimes] of midPeriodStarts) {
  Deno.test(`on the shared clock, a call started at ${startAt} ms sends at once, then on its ticks`, () => {
    const scheduler = new ManualScheduler();
    const clock = new SharedFrameClock({ scheduler, phases: 1 });
    clock.join(() => {}); // another call keeps the clock ticking at 0, 20, 40, …
    scheduler.advance(startAt);
    const { media, sent } = fakeCall(scheduler, { clock });
    media.start();
    assert.deepEqual(sent.map((p) => p.at), [startAt], "the first packet left synchronously");
    scheduler.advance(100 - startAt);
    media.stop();
    // The next packet waits for a tick at least half a period away: never two for one slot.
    assert.deepEqual(sent.map((p) => p.at), sendTimes);
    assertContiguous(sent);
    assert.deepEqual(rtpFrames(sent), sent.map((_, i) => i));
  });
}

Deno.test("after a stall the RTP timestamp counts the frames the clock skipped", () => {
  const scheduler = new ManualScheduler();
  const { media, sent } = fakeCall(scheduler);
  media.start();
  scheduler.advance(100); // frames 0…5, due at 0…100
  scheduler.stall(200); // at 300, frames 6…15 are due: 6…11 are skipped, 12…15 catch up
  scheduler.advance(40);
  media.stop();
  assert.deepEqual(sent.map((p) => p.at), [0, 20, 40, 60, 80, 100, 300, 300, 300, 300, 320, 340]);
  assertContiguous(sent);
  // Frame k of media time (due at 20·k ms) carries timestamp first + 960·k.
  assert.deepEqual(rtpFrames(sent), [0, 1, 2, 3, 4, 5, 12, 13, 14, 15, 16, 17]);
  assert.equal(media.stats().skippedTicks, 6);
});

Deno.test("on the shared clock, a stall just after joining advances the RTP clock by the call's own ticks", () => {
  const scheduler = new ManualScheduler();
  const clock = new SharedFrameClock({ scheduler, phases: 1 });
  clock.join(() => {});
  scheduler.advance(13);
  const { media, sent } = fakeCall(scheduler, { clock });
  media.start(); // frame 0 now; frames 1, 2, … due on the ticks at 40, 60, …
  scheduler.stall(187); // at 200: the ticks at 40…120 (frames 1…5) are skipped
  scheduler.advance(40);
  media.stop();
  assert.deepEqual(sent.map((p) => p.at), [13, 200, 200, 200, 200, 220, 240]);
  assertContiguous(sent);
  assert.deepEqual(rtpFrames(sent), [0, 6, 7, 8, 9, 10, 11]);
  assert.equal(media.stats().skippedTicks, 5);
});

/** Caller packets of a 440 Hz tone from an encoder with in-band FEC (the default). */
function tonePackets(count: number): Uint8Array[] {
  const encoder = new OpusEncoder({ fec: true, expectedLossPct: 10 });
  const pcm = sine(440, 24000, count * FRAME_SAMPLES, 8000);
  return Array.from(
    { length: count },
    (_, i) => encoder.encode(pcm.subarray(i * FRAME_SAMPLES, (i + 1) * FRAME_SAMPLES)),
  );
}

/** A step of the reference decode: packet `i`, or a lost frame rebuilt from packet `fec`'s FEC (or by PLC). */
type Step = number | { fec: number | null };

function referenceDecode(packets: readonly Uint8Array[], steps: readonly Step[]): Int16Array[] {
  const decoder = new OpusDecoder();
  const out = steps.map((s) => {
    if (typeof s === "object") {
      return decoder.decodeLost(s.fec === null ? undefined : packets[s.fec]);
    }
    const pcm = decoder.decode(packets[s]!);
    if (pcm instanceof OpusDecodeError) throw pcm;
    return pcm;
  });
  decoder.close();
  return out;
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, k) => from + k);

/** Runs 21 ticks (frames 0…20) of caller audio arriving one frame ahead, as `arrivals` bends it. */
function concealmentRun(packets: readonly Uint8Array[], arrivals: (poll: number) => number[]) {
  const scheduler = new ManualScheduler();
  const call = fakeCall(scheduler, { packets, arrivals });
  call.media.start();
  scheduler.advance(400);
  call.media.stop();
  return { heard: call.heard, stats: call.media.stats() };
}

function assertHeard(heard: readonly Int16Array[], expected: readonly Int16Array[]): void {
  assert.equal(heard.length, expected.length);
  const differ = heard.flatMap((f, i) => String(f) === String(expected[i]) ? [] : [i]);
  assert.deepEqual(differ, [], "frames the agent got that the reference decode did not give");
}

Deno.test("a lost frame is rebuilt from the next packet's in-band FEC when that packet is here", () => {
  const packets = tonePackets(22);
  // Packet i arrives at poll i − 1 (0 and 1 at the start's poll): 13 is buffered when 12's turn comes.
  const { heard, stats } = concealmentRun(
    packets,
    (poll) => (poll === 0 ? [0, 1] : [poll + 1]).filter((i) => i !== 12),
  );
  const expected = referenceDecode(packets, [...range(0, 11), { fec: 13 }, ...range(13, 20)]);
  const plc = referenceDecode(packets, [...range(0, 11), { fec: null }]);
  assert.notEqual(String(plc[12]), String(expected[12]), "the tone's FEC and PLC differ");
  assertHeard(heard, expected);
  assert.equal(stats.framesConcealed, 1);
});

Deno.test("a lost frame is concealed by PLC when the next packet has not arrived", () => {
  const packets = tonePackets(22);
  // 12 and 13 are lost; 14 comes early, at 12's turn: 12 has no FEC source, 13 has 14's.
  const arrivalPoll = (i: number) => i === 14 ? 12 : i === 12 || i === 13 ? -1 : Math.max(0, i - 1);
  const { heard, stats } = concealmentRun(
    packets,
    (poll) => range(0, 21).filter((i) => arrivalPoll(i) === poll),
  );
  const expected = referenceDecode(packets, [
    ...range(0, 11),
    { fec: null },
    { fec: 14 },
    ...range(14, 20),
  ]);
  const wrongFec = referenceDecode(packets, [...range(0, 11), { fec: 14 }]);
  assert.notEqual(String(wrongFec[12]), String(expected[12]), "14's FEC is not frame 12's PLC");
  assertHeard(heard, expected);
  assert.equal(stats.framesConcealed, 2);
});

Deno.test("a tick that throws stops this call's media and reports it once; the shared clock goes on", () => {
  const scheduler = new ManualScheduler();
  const clock = new SharedFrameClock({ scheduler, phases: 1 });
  const failures: unknown[] = [];
  let sends = 0;
  const media = new CallMedia({
    port: {
      sendOpus: () => {
        if (++sends === 3) throw new Error("socket gone");
      },
      onRtp: () => {},
    },
    sink: { pushAudio: () => {}, pushDtmf: () => {} },
    player: new OutboundPlayer(),
    opusPayloadType: 111,
    telephoneEventPayloadType: 126,
    clock,
    onFailure: (error) => failures.push(error),
  });
  const others: number[] = [];
  clock.join((t) => others.push(t.dueAt));
  media.start();
  for (let i = 0; i < 10; i++) scheduler.advance(20);
  assert.equal(failures.length, 1);
  assert.match(String(failures[0]), /socket gone/);
  assert.equal(sends, 3, "nothing more is sent after the fault");
  assert.equal(clock.size, 1, "the faulty call left the clock");
  assert.equal(others.length, 10, "other calls keep their ticks");
});
