import assert from "node:assert/strict";
import { LivePublisher } from "./live_publisher.ts";
import { FakeLiveSession, MemoryBus } from "./_test_utils.ts";
import {
  LIVE_CHANNEL,
  LIVE_WATCH_CHANNEL,
  type LiveEnded,
  type LiveMessage,
  liveMessageSchema,
  type LiveSnapshot,
  NOTIFY_MAX_BYTES,
  utf8Bytes,
} from "../../store/live.ts";

/** Lets NOTIFYs already answered settle, as between two 500 ms ticks. */
const settle = () => new Promise((r) => setTimeout(r, 0));

function rig() {
  const bus = new MemoryBus();
  let now = 10_000;
  const sessions: FakeLiveSession[] = [];
  const publisher = new LivePublisher({
    bus,
    sessions: () => sessions,
    bridgeId: "bridge-a",
    agent: "echo",
    now: () => now,
  });
  return {
    bus,
    sessions,
    publisher,
    advance: (ms: number) => (now += ms),
    /** Every message, batches unpacked. */
    live: (): (LiveSnapshot | LiveEnded)[] =>
      (bus.on(LIVE_CHANNEL) as LiveMessage[]).flatMap((m) =>
        m.kind === "batch" ? m.snapshots : [m]
      ),
  };
}

Deno.test("live publisher: nothing but ends while no console watches", async () => {
  const r = rig();
  r.publisher.start();
  try {
    r.sessions.push(new FakeLiveSession("wacid.a"));
    r.publisher.tick();
    r.publisher.tick();
    assert.deepEqual(r.live(), []);
    r.sessions.pop()!.endReason = "meta_completed";
    r.publisher.tick();
    assert.deepEqual(r.live().map((m) => [m.kind, m.callId]), [["ended", "wacid.a"]]);
  } finally {
    await r.publisher.stop();
  }
});

Deno.test("live publisher: a watch notice makes each tick snapshot every call until it runs out", async () => {
  const r = rig();
  r.publisher.start();
  try {
    r.sessions.push(new FakeLiveSession("wacid.a"), new FakeLiveSession("wacid.b"));
    await r.bus.notify(LIVE_WATCH_CHANNEL, JSON.stringify({ ttlMs: 1000 }));
    r.publisher.tick();
    await settle();
    r.publisher.tick();
    await settle();
    assert.deepEqual(r.live().map((m) => `${m.kind} ${m.callId}`), [
      "snapshot wacid.a",
      "snapshot wacid.b",
      "snapshot wacid.a",
      "snapshot wacid.b",
    ]);
    r.advance(1001);
    r.publisher.tick();
    assert.equal(r.live().length, 4, "the notice ran out");
    // A malformed notice is ignored.
    await r.bus.notify(LIVE_WATCH_CHANNEL, "{}");
    r.publisher.tick();
    assert.equal(r.live().length, 4);
  } finally {
    await r.publisher.stop();
  }
});

Deno.test("live publisher: each call that left is announced once, also at stop", async () => {
  const r = rig();
  r.publisher.start();
  const a = new FakeLiveSession("wacid.a");
  r.sessions.push(a);
  r.publisher.tick();
  await a.end("operator_ended", true);
  r.sessions.length = 0;
  r.publisher.tick();
  r.publisher.tick();
  r.sessions.push(new FakeLiveSession("wacid.b"));
  r.publisher.tick();
  r.sessions.length = 0;
  await r.publisher.stop();
  const ends = r.live().filter((m) => m.kind === "ended");
  assert.deepEqual(ends.map((m) => [m.callId, m.kind === "ended" && m.reason]), [
    ["wacid.a", "operator_ended"],
    ["wacid.b", "ended"],
  ]);
});

Deno.test("live publisher: a tick is skipped while the last one's NOTIFYs are still out", async () => {
  const r = rig();
  let release: () => void = () => {};
  const slow = new Promise<void>((resolve) => (release = resolve));
  let calls = 0;
  const bus = {
    listen: r.bus.listen.bind(r.bus),
    notify: (channel: string, payload: string) => {
      if (channel !== LIVE_CHANNEL) return r.bus.notify(channel, payload);
      calls++;
      return slow;
    },
  };
  const publisher = new LivePublisher({
    bus,
    sessions: () => [new FakeLiveSession("wacid.a")],
    bridgeId: "b",
    agent: "echo",
  });
  publisher.start();
  await r.bus.notify(LIVE_WATCH_CHANNEL, JSON.stringify({ ttlMs: 60_000 }));
  publisher.tick();
  publisher.tick();
  assert.equal(calls, 1);
  release();
  await settle();
  publisher.tick();
  assert.equal(calls, 2);
  await publisher.stop();
});

Deno.test("live publisher: many calls go in a few NOTIFYs, each under the limit", async () => {
  const r = rig();
  r.publisher.start();
  try {
    for (let i = 0; i < 60; i++) {
      const s = new FakeLiveSession(`wacid.many${i}`);
      // Long, multi-byte lines: some snapshots alone take most of a NOTIFY.
      s.live.delta("agent", "item", (i % 10 === 0 ? "€" : "a").repeat(600));
      r.sessions.push(s);
    }
    await r.bus.notify(LIVE_WATCH_CHANNEL, JSON.stringify({ ttlMs: 60_000 }));
    r.publisher.tick();
    const sent = r.bus.sent.filter((s) => s.channel === LIVE_CHANNEL);
    for (const { payload } of sent) {
      assert.ok(utf8Bytes(payload) <= NOTIFY_MAX_BYTES, `${utf8Bytes(payload)} bytes`);
      assert.equal(liveMessageSchema.parse(JSON.parse(payload)).kind, "batch");
    }
    assert.deepEqual(
      r.live().map((m) => m.callId),
      r.sessions.map((s) => s.callId),
      "every call, in order",
    );
    assert.ok(sent.length <= 15, `${sent.length} NOTIFYs for 60 calls`);
  } finally {
    await r.publisher.stop();
  }
});
