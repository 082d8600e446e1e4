import assert from "node:assert/strict";
import { type HubEvent, LiveHub, type LiveSubscription } from "./live_hub.ts";
import { openStore } from "../../store/open.ts";
import type { Store } from "../../store/store.ts";
import {
  LIVE_CHANNEL,
  LIVE_COMMAND_CHANNEL,
  LIVE_WATCH_CHANNEL,
  type LiveSnapshot,
} from "../../store/live.ts";
import { startTestConsole } from "./test_utils.ts";

function snapshot(callId: string, extra: Partial<LiveSnapshot> = {}): string {
  const s: LiveSnapshot = {
    kind: "snapshot",
    callId,
    bridgeId: "bridge-a",
    state: "active",
    startedAt: 1_000,
    acceptedAt: 2_000,
    agent: "echo",
    levels: { caller: -20, agent: -90 },
    lines: [{ speaker: "caller", text: "hello", partial: true }],
    at: 3_000,
    ...extra,
  };
  return JSON.stringify(s);
}

/** Events of `sub` until `done` holds of them (≤ 5 s). */
async function collect(
  sub: LiveSubscription,
  done: (events: HubEvent[]) => boolean,
): Promise<HubEvent[]> {
  const events: HubEvent[] = [];
  const deadline = Date.now() + 5000;
  while (!done(events) && Date.now() < deadline && !sub.closed) {
    events.push(...await sub.next(100));
  }
  return events;
}

async function withStore(fn: (store: Store) => Promise<void>): Promise<void> {
  const store = await openStore({ pgliteDir: "memory://" });
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

Deno.test("live hub: every viewer gets the list, then each call's snapshots, caller masked, and ends", () =>
  withStore(async (store) => {
    await store.upsertCall({ callId: "wacid.1", status: "active", fromNumber: "16315553602" });
    const hub = new LiveHub({ store });
    try {
      const a = await hub.subscribe();
      const b = await hub.subscribe();
      assert.equal(hub.clientCount, 2);
      await store.notify(LIVE_CHANNEL, snapshot("wacid.1"));
      await store.notify(LIVE_CHANNEL, "not a live message");
      for (const sub of [a, b]) {
        const [list, snap] = await collect(sub, (e) => e.some((x) => x.kind === "snapshot"));
        assert.ok(list?.kind === "calls");
        assert.deepEqual(list.calls.map((c) => [c.callId, c.caller]), [["wacid.1", "1631•••3602"]]);
        assert.ok(snap?.kind === "snapshot", JSON.stringify(snap));
        assert.equal(snap.call.caller, "1631•••3602");
        assert.equal(snap.call.status, "active");
        assert.equal(snap.call.state, "active");
        assert.deepEqual(snap.call.levels, { caller: -20, agent: -90 });
        assert.deepEqual(snap.call.lines, [{ speaker: "caller", text: "hello", partial: true }]);
        assert.ok(!JSON.stringify([list, snap]).includes("16315553602"), "no whole number");
      }
      await store.notify(
        LIVE_CHANNEL,
        JSON.stringify({ kind: "ended", callId: "wacid.1", bridgeId: "b", reason: "x", at: 1 }),
      );
      for (const sub of [a, b]) {
        const events = await collect(sub, (e) => e.length > 0);
        assert.deepEqual(events, [{ kind: "ended", callId: "wacid.1", reason: "x" }]);
      }
    } finally {
      await hub.close();
    }
  }));

Deno.test("live hub: a number the caller reads out is masked in the live transcript", () =>
  withStore(async (store) => {
    await store.upsertCall({ callId: "wacid.2", status: "active", fromNumber: "16315553602" });
    const hub = new LiveHub({ store });
    try {
      const sub = await hub.subscribe();
      const text = "my other number is 0161 496 0000";
      await store.notify(
        LIVE_CHANNEL,
        snapshot("wacid.2", { lines: [{ speaker: "caller", text, partial: false }] }),
      );
      const events = await collect(sub, (e) => e.some((x) => x.kind === "snapshot"));
      const snap = events.find((e) => e.kind === "snapshot");
      assert.ok(snap?.kind === "snapshot");
      assert.equal(snap.call.lines[0]?.text, "my other number is 0161•••0000");
    } finally {
      await hub.close();
    }
  }));

Deno.test("live hub: snapshots reach a viewer as they come, one per call while it catches up", () =>
  withStore(async (store) => {
    await store.upsertCall({ callId: "wacid.2", status: "active", fromNumber: "16315550000" });
    const hub = new LiveHub({ store });
    try {
      const sub = await hub.subscribe();
      await collect(sub, (e) => e.length > 0); // the list
      for (let i = 0; i < 5; i++) {
        await store.notify(LIVE_CHANNEL, snapshot("wacid.2", { at: i }));
      }
      await new Promise((r) => setTimeout(r, 200));
      const events = await sub.next(100);
      assert.deepEqual(events.map((e) => e.kind === "snapshot" && e.call.callId), ["wacid.2"]);
    } finally {
      await hub.close();
    }
  }));

Deno.test("live hub: a viewer too far behind is cut off; the last one out stops the watch notices", () =>
  withStore(async (store) => {
    const watches: string[] = [];
    await store.listen(LIVE_WATCH_CHANNEL, (p) => watches.push(p));
    const hub = new LiveHub({ store, maxQueue: 3, watchEveryMs: 50 });
    try {
      const slow = await hub.subscribe();
      for (let i = 0; i < 4; i++) await store.notify(LIVE_CHANNEL, snapshot(`wacid.s${i}`));
      for (let i = 0; i < 100 && !slow.closed; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(slow.closedBecause, "slow");
      assert.equal(hub.clientCount, 0);
      assert.ok(watches.length >= 1, "the bridges were told someone watches");
      assert.deepEqual(JSON.parse(watches[0]!), { ttlMs: 150 });
      const seen = watches.length;
      await new Promise((r) => setTimeout(r, 200));
      assert.ok(watches.length <= seen + 1, `watch notices went on: ${watches.length - seen}`);
    } finally {
      await hub.close();
    }
  }));

Deno.test("live hub: end asks the bridges by NOTIFY with the actor", () =>
  withStore(async (store) => {
    const commands: string[] = [];
    await store.listen(LIVE_COMMAND_CHANNEL, (p) => commands.push(p));
    const hub = new LiveHub({ store });
    await hub.endCall("wacid.9", "user-operator");
    await store.listLiveCalls(1);
    assert.deepEqual(commands.map((c) => JSON.parse(c)), [
      { action: "end", callId: "wacid.9", actor: "user-operator" },
    ]);
    await hub.close();
  }));

Deno.test("live stream: SSE to the browser, heartbeats, and the viewer dropped when it disconnects", () =>
  withStore(async (store) => {
    await store.upsertCall({ callId: "wacid.sse", status: "active", fromNumber: "16315553602" });
    const hub = new LiveHub({ store, heartbeatMs: 100 });
    const console = await startTestConsole({ store, deps: { live: hub } });
    try {
      const abort = new AbortController();
      const res = await console.fetch("/live/stream", { role: "viewer", signal: abort.signal });
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      const readUntil = async (needle: string) => {
        for (let i = 0; i < 50 && !text.includes(needle); i++) {
          text += (await reader.read()).value ?? "";
        }
        assert.ok(text.includes(needle), `${needle} in ${text}`);
      };
      await readUntil("event: calls");
      assert.equal(hub.clientCount, 1);
      await store.notify(LIVE_CHANNEL, snapshot("wacid.sse"));
      await readUntil("event: snapshot");
      await readUntil(": ping");
      assert.ok(!text.includes("16315553602"));
      abort.abort();
      await reader.cancel().catch(() => {});
      for (let i = 0; i < 100 && hub.clientCount > 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(hub.clientCount, 0, "the disconnected viewer is gone");
      // Signed out: no stream.
      const anonymous = await console.fetch("/live/stream");
      await anonymous.body?.cancel();
      assert.notEqual(anonymous.status, 200);
    } finally {
      await console.close();
    }
  }));

Deno.test("live hub: a bridge's batch reaches viewers as one snapshot per call", () =>
  withStore(async (store) => {
    const hub = new LiveHub({ store });
    try {
      const sub = await hub.subscribe();
      await collect(sub, (e) => e.length > 0); // the list
      const batch = {
        kind: "batch",
        snapshots: [JSON.parse(snapshot("wacid.b1")), JSON.parse(snapshot("wacid.b2"))],
      };
      await store.notify(LIVE_CHANNEL, JSON.stringify(batch));
      const events = await collect(sub, (e) => e.length >= 2);
      assert.deepEqual(
        events.map((e) => e.kind === "snapshot" && e.call.callId).toSorted(),
        ["wacid.b1", "wacid.b2"],
      );
    } finally {
      await hub.close();
    }
  }));
