import assert from "node:assert/strict";
import {
  JitterBuffer,
  type JitterBufferOptions,
  type JitterPacket,
  type PlayoutFrame,
  type PushOutcome,
} from "./jitter_buffer.ts";
import { mulberry32 as rng } from "../../simulator/prng.ts";

const OPUS = { clockRate: 48000, frameTicks: 960 } as const;

/** Packet `i` of a stream: sequence `seq0 + i`, timestamp `ts0 + 960·i`, payload naming `i`. */
function packet(i: number, seq0 = 0, ts0 = 0): JitterPacket {
  return {
    sequenceNumber: (seq0 + i) & 0xffff,
    timestamp: (ts0 + i * 960) >>> 0,
    payload: new Uint8Array(Uint32Array.of(i).buffer),
  };
}

function indexOf(payload: Uint8Array): number {
  return new Uint32Array(payload.slice().buffer)[0]!;
}

/** `f<i>` frame, `l<seq>` lost (`l<seq>><i>` with FEC payload of packet i), `e` empty. */
function show(f: PlayoutFrame): string {
  if (f.kind === "frame") return `f${indexOf(f.payload)}`;
  if (f.kind === "lost") return `l${f.sequenceNumber}${f.next ? `>${indexOf(f.next)}` : ""}`;
  return "e";
}

interface Arrival {
  i: number;
  at: number;
}

/** Arrivals at 20·i ms, each `delay(i)` later; `undefined` drops the packet. */
function schedule(n: number, delay: (i: number) => number | undefined = () => 0): Arrival[] {
  const out: Arrival[] = [];
  for (let i = 0; i < n; i++) {
    const d = delay(i);
    if (d !== undefined) out.push({ i, at: 20 * i + d });
  }
  return out.sort((a, b) => a.at - b.at);
}

interface Run {
  log: string[];
  outcomes: Map<number, PushOutcome>;
}

/**
 * Pushes `arrivals` (absolute ms) and pops every 20 ms at `tick0` + 10 + 20·k for
 * `ticks` ticks; pushes first on ties.
 */
function simulate(
  jb: JitterBuffer,
  arrivals: Arrival[],
  ticks: number,
  stream: { seq0?: number; ts0?: number; tick0?: number } = {},
): Run {
  const { seq0 = 0, ts0 = 0, tick0 = 0 } = stream;
  const log: string[] = [];
  const outcomes = new Map<number, PushOutcome>();
  let a = 0;
  for (let k = 0; k < ticks; k++) {
    const now = tick0 + 10 + 20 * k;
    while (a < arrivals.length && arrivals[a]!.at <= now) {
      const { i, at } = arrivals[a++]!;
      outcomes.set(i, jb.push(packet(i, seq0, ts0), at));
    }
    log.push(show(jb.pop(now)));
  }
  return { log, outcomes };
}

function frames(from: number, to: number): string[] {
  return Array.from({ length: to - from + 1 }, (_, k) => `f${from + k}`);
}

function jb(options: Partial<JitterBufferOptions> = {}): JitterBuffer {
  return new JitterBuffer({ ...OPUS, ...options });
}

Deno.test("in order: each packet plays on the next tick, then empty", () => {
  const b = jb();
  const { log } = simulate(b, schedule(50), 52);
  assert.deepEqual(log, [...frames(0, 49), "e", "e"]);
  const s = b.stats;
  assert.equal(s.received, 50);
  assert.equal(s.lost + s.late + s.duplicates + s.dropped + s.reordered, 0);
  assert.equal(s.depthFrames, 0);
  assert.equal(s.targetDelayMs, 20);
  assert.equal(s.jitterMs, 0);
});

Deno.test("initial fill waits for the target depth, or the target delay for a lone packet", () => {
  const b = jb({ minDelayMs: 60 });
  const { log } = simulate(b, schedule(10), 14);
  assert.deepEqual(log, ["e", "e", ...frames(0, 9), "e", "e"]);
  const lone = jb({ minDelayMs: 60 });
  assert.deepEqual(simulate(lone, schedule(1), 5).log, ["e", "e", "e", "f0", "e"]);
});

Deno.test("reordering within the depth plays in order", () => {
  const b = jb({ minDelayMs: 40 });
  const { log } = simulate(b, schedule(20, (i) => (i === 6 ? 25 : 0)), 24);
  assert.deepEqual(log.filter((x) => x !== "e"), frames(0, 19));
  assert.equal(b.stats.reordered, 1);
  assert.equal(b.stats.lost, 0);
});

Deno.test("a packet reordered before the first one, during the initial fill, still plays", () => {
  const b = jb({ minDelayMs: 40 });
  assert.equal(b.push(packet(1), 0), "queued");
  assert.equal(b.push(packet(0), 5), "queued");
  assert.deepEqual([b.pop(10), b.pop(30), b.pop(50)].map(show), ["f0", "f1", "e"]);
});

Deno.test("duplicates are dropped whether buffered or already played", () => {
  const b = jb();
  assert.equal(b.push(packet(0), 0), "queued");
  assert.equal(b.push(packet(0), 1), "duplicate");
  assert.equal(show(b.pop(10)), "f0");
  assert.equal(b.push(packet(0), 12), "duplicate");
  assert.equal(show(b.pop(30)), "e");
  assert.equal(b.stats.duplicates, 2);
  assert.equal(b.stats.received, 3);
});

Deno.test("a packet arriving after its loss was reported is late", () => {
  const b = jb();
  const { log, outcomes } = simulate(b, schedule(10, (i) => (i === 5 ? 35 : 0)), 11);
  assert.deepEqual(log, [...frames(0, 4), "e", "l5>6", ...frames(6, 9)]);
  assert.equal(outcomes.get(5), "late");
  assert.equal(b.stats.late, 1);
  assert.equal(b.stats.lost, 1);
});

Deno.test("single loss at minimum delay: one lost, with the next payload for FEC", () => {
  const b = jb();
  const { log } = simulate(b, schedule(10, (i) => (i === 5 ? undefined : 0)), 12);
  assert.deepEqual(log, [...frames(0, 4), "e", "l5>6", ...frames(6, 9), "e"]);
  assert.equal(b.stats.lost, 1);
});

Deno.test("single loss with depth: reported in its slot without an underrun", () => {
  const b = jb({ minDelayMs: 60 });
  const { log } = simulate(b, schedule(20, (i) => (i === 5 ? undefined : 0)), 24);
  assert.deepEqual(log, ["e", "e", ...frames(0, 4), "l5>6", ...frames(6, 19), "e", "e"]);
  assert.equal(b.stats.lost, 1);
});

Deno.test("burst loss with depth: each frame reported once, FEC on the last", () => {
  const b = jb({ minDelayMs: 100 });
  const lostSet = new Set([5, 6, 7]);
  const { log } = simulate(b, schedule(30, (i) => (lostSet.has(i) ? undefined : 0)), 36);
  assert.deepEqual(log.filter((x) => x !== "e"), [
    ...frames(0, 4),
    "l5",
    "l6",
    "l7>8",
    ...frames(8, 29),
  ]);
  assert.equal(log.slice(4, 34).filter((x) => x === "e").length, 0);
  assert.equal(b.stats.lost, 3);
});

Deno.test("burst loss through an underrun: empty ticks stand in, last frame gets FEC", () => {
  const b = jb();
  const lostSet = new Set([5, 6, 7]);
  const { log } = simulate(b, schedule(12, (i) => (lostSet.has(i) ? undefined : 0)), 13);
  assert.deepEqual(log, [...frames(0, 4), "e", "e", "e", "l7>8", ...frames(8, 11)]);
  assert.equal(b.stats.lost, 3);
});

Deno.test("sequence and timestamp wraparound, with a reorder across 65535→0", () => {
  const b = jb({ minDelayMs: 40 });
  const seq0 = 65530;
  const ts0 = 0xffffffff - 960 * 3;
  const { log } = simulate(b, schedule(20, (i) => (i === 5 ? 25 : 0)), 24, { seq0, ts0 });
  assert.deepEqual(log.filter((x) => x !== "e"), frames(0, 19));
  assert.equal(b.stats.lost, 0);
  assert.equal(b.stats.reordered, 1);
  const calm = jb();
  simulate(calm, schedule(20), 22, { seq0, ts0 });
  assert.equal(calm.stats.jitterMs, 0);
});

Deno.test("frames carry their 16-bit sequence number and RTP timestamp", () => {
  const b = jb();
  b.push(packet(0, 65535, 0xfffffc40), 0);
  b.push(packet(1, 65535, 0xfffffc40), 20);
  const f0 = b.pop(10);
  const f1 = b.pop(30);
  assert.ok(f0.kind === "frame" && f1.kind === "frame");
  assert.deepEqual([f0.sequenceNumber, f0.timestamp], [65535, 0xfffffc40]);
  assert.deepEqual([f1.sequenceNumber, f1.timestamp], [0, 0]);
});

Deno.test("adapts: target rises under jitter, then latency falls back when calm", () => {
  const rand = rng(7);
  // 2 s calm, 6 s of 0–60 ms random delay, 6 s calm.
  const delay = (i: number) => (i >= 100 && i < 400 ? rand() * 60 : 0);
  const arrivals = schedule(700, delay);
  const b = jb();
  const early = simulate(b, arrivals.filter((a) => a.i < 100), 100);
  assert.equal(b.stats.targetDelayMs, 20);
  assert.deepEqual(early.log, frames(0, 99));
  const jittery = arrivals.filter((a) => a.i >= 100 && a.i < 400);
  const rough = simulate(b, jittery, 300, { tick0: 2000 });
  const peak = b.stats;
  const glitches = (log: string[]) => log.filter((x) => x[0] !== "f").length;
  assert.ok(peak.jitterMs > 10, `jitter ${peak.jitterMs}`);
  assert.ok(peak.targetDelayMs >= 60, `target ${peak.targetDelayMs}`);
  assert.ok(peak.late < 5, `${peak.late} late of 300`);
  assert.ok(glitches(rough.log) < 15, `${glitches(rough.log)} of 300 ticks empty or lost`);
  const calm = arrivals.filter((a) => a.i >= 400);
  const tail = simulate(b, calm, 300, { tick0: 8000 });
  const end = b.stats;
  assert.ok(end.jitterMs < 1, `jitter ${end.jitterMs}`);
  assert.ok(end.targetDelayMs < 21, `target ${end.targetDelayMs}`);
  assert.ok(end.depthFrames <= 2, `depth ${end.depthFrames}`);
  assert.ok(end.dropped > 0);
  // Back at minimum delay, the last frames play at the tick after they arrive.
  assert.deepEqual(tail.log.slice(-5), frames(695, 699));

  // Without adaptation the same jitter makes many more gaps and late packets.
  const fixed = jb({ maxDelayMs: 20 });
  const fixedLog = simulate(fixed, arrivals, 700).log.slice(100, 400);
  assert.ok(glitches(fixedLog) > 4 * glitches(rough.log), `fixed: ${glitches(fixedLog)} gaps`);
  assert.ok(fixed.stats.late > 5 * peak.late, `fixed: ${fixed.stats.late} late`);
});

Deno.test("jitter follows RFC 3550: J += (|D| - J) / 16 in timestamp units", () => {
  const b = jb();
  b.push(packet(0), 0);
  b.push(packet(1), 36); // 16 ms later than the timestamps say
  assert.ok(Math.abs(b.stats.jitterMs - 1) < 1e-9);
  b.push(packet(2), 40); // 16 ms earlier again
  assert.ok(Math.abs(b.stats.jitterMs - (1 + 15 / 16)) < 1e-9);
  assert.equal(b.stats.targetDelayMs, 20 + 3 * (1 + 15 / 16));
});

Deno.test("memory is bounded when nobody pops: oldest frames make room", () => {
  const b = jb();
  const outcomes = new Set<PushOutcome>();
  for (let i = 0; i < 10_000; i++) outcomes.add(b.push(packet(i), i * 20));
  assert.equal(b.stats.depthFrames, b.capacity);
  assert.ok(outcomes.has("overflow"));
  assert.equal(b.stats.dropped, 10_000 - b.capacity);
  const first = b.pop(200_000);
  // The ring holds the newest 64; one more is dropped as excess depth.
  assert.equal(show(first), `f${10_000 - b.capacity + 1}`);
});

Deno.test("sender restart: a confirmed jump resyncs instead of reporting losses", () => {
  const b = jb();
  simulate(b, schedule(20), 20, { seq0: 100, ts0: 5000 });
  assert.equal(b.push(packet(0, 40000, 123), 400), "discontinuity");
  assert.equal(b.push(packet(1, 40000, 123), 420), "resync");
  assert.equal(b.push(packet(2, 40000, 123), 440), "queued");
  const f = b.pop(450);
  assert.ok(f.kind === "frame");
  assert.equal(f.sequenceNumber, 40001);
  assert.equal(show(b.pop(470)), "f2");
  assert.equal(b.stats.lost, 0);
  assert.equal(b.stats.resyncs, 1);
});

Deno.test("a lone stray packet far away does not disturb the stream", () => {
  const b = jb();
  b.push(packet(0, 1000), 0);
  assert.equal(b.push(packet(0, 9000), 5), "discontinuity");
  assert.equal(b.push(packet(1, 1000), 20), "queued");
  assert.deepEqual([b.pop(10), b.pop(30)].map(show), ["f0", "f1"]);
  assert.equal(b.stats.resyncs, 0);
});

Deno.test("a caller who stops sending yields empty ticks, not losses", () => {
  const b = jb();
  const { log } = simulate(b, schedule(10), 510);
  assert.deepEqual(log.slice(10), new Array(500).fill("e"));
  // Contiguous sequence numbers after the pause, timestamps 10 s on (DTX, talk gap): no loss
  // either, and no jitter.
  const more = schedule(20).map((a) => ({ i: a.i + 10, at: a.at + 10_200 }));
  const { log: resumed } = simulate(b, more, 40, { tick0: 10_000, ts0: 480_000 });
  assert.deepEqual(resumed.filter((x) => x !== "e"), frames(10, 29));
  assert.equal(b.stats.lost, 0);
  assert.equal(b.stats.jitterMs, 0);
  // A pause the timestamps do not show counts as at most maxDelayMs of transit change.
  const stale = jb();
  simulate(stale, schedule(10), 10);
  stale.push(packet(10), 10_200);
  assert.ok(Math.abs(stale.stats.jitterMs - 120 / 16) < 1e-9, `jitter ${stale.stats.jitterMs}`);
});

Deno.test("a long run of missing frames is skipped in one tick, not reported frame by frame", () => {
  const b = jb();
  const arrivals = schedule(60, (i) => (i >= 10 && i < 40 ? undefined : 0));
  const { log } = simulate(b, arrivals, 61);
  assert.deepEqual(log.filter((x) => x !== "e"), [...frames(0, 9), ...frames(40, 59)]);
  assert.equal(b.stats.lost, 30);
});

Deno.test("rejects impossible options", () => {
  assert.throws(() => jb({ clockRate: 0 }), RangeError);
  assert.throws(() => jb({ frameTicks: -1 }), RangeError);
  assert.throws(() => jb({ minDelayMs: 100, maxDelayMs: 50 }), RangeError);
});
