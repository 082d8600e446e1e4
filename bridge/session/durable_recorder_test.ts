import assert from "node:assert/strict";
import { emptyUsage } from "../../lib/realtime/usage.ts";
import {
  applyDeferredWrite,
  type DeferredWrite,
  DeferredWriteSchema,
} from "../../store/deferred_write.ts";
import { openStore } from "../../store/open.ts";
import { FileOutbox } from "../../store/outbox.ts";
import { OutboxFlusher } from "../../store/outbox_flusher.ts";
import { LIVE_CALL_STATUSES, type Store } from "../../store/store.ts";
import { DurableRecorder } from "./durable_recorder.ts";

const CALL = "wacid.durable";
const T0 = new Date("2026-12-07T10:00:00.000Z");

function line(text: string) {
  return { callId: CALL, speaker: "agent" as const, text, startedAt: T0, endedAt: T0 };
}

function usage(requests: number) {
  return { callId: CALL, ...emptyUsage("gpt-realtime"), requests };
}

interface Ctx {
  db: Store;
  outbox: FileOutbox<DeferredWrite>;
  /** Deterministic ids: id-1, id-2, ... */
  newId: () => string;
}

async function withCtx(test: (ctx: Ctx) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  const db = await openStore({ pgliteDir: "memory://" });
  let n = 0;
  try {
    const outbox = new FileOutbox(`${dir}/outbox.jsonl`, DeferredWriteSchema);
    await test({ db, outbox, newId: () => `id-${++n}` });
  } finally {
    await db.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** One flusher pass on a stepped clock: what the bridge's flusher does once its timer fires. */
async function flushOnce(outbox: FileOutbox<DeferredWrite>, db: Store): Promise<void> {
  const fired: (() => void)[] = [];
  const flusher = new OutboxFlusher({
    drain: () => outbox.drain((write) => applyDeferredWrite(db, write)),
    timers: { setTimeout: (fn) => fired.push(fn), clearTimeout: () => {} },
  });
  fired.shift()!();
  await flusher.close();
}

async function stored(db: Store) {
  return {
    events: (await db.listEvents(CALL)).map((e) => e.name),
    lines: (await db.listTranscripts(CALL)).map((t) => t.text),
    requests: (await db.listUsage(CALL)).map((u) => u.requests),
    call: await db.getCall(CALL).then((c) => [c?.status, c?.endReason, c?.bridgeSessionId]),
  };
}

Deno.test("durable recorder: with the database down every write is kept in order, then made once", () =>
  withCtx(async ({ db, outbox, newId }) => {
    const recorder = new DurableRecorder(() => Promise.reject(new Error("down")), outbox, {
      newId,
      onDefer: () => {},
    });
    // As a session writes: without waiting for one write before the next.
    const writes = [
      recorder.upsertCall({ callId: CALL, bridgeSessionId: "s1" }),
      recorder.recordEvent({ callId: CALL, name: "agent_tool", data: { n: 1 } }),
      recorder.addTranscript(line("hello")),
      recorder.recordEvent({ callId: CALL, name: "agent_tool", data: { n: 2 } }),
      recorder.addUsage(usage(1)),
      recorder.addTranscript(line("bye")),
      recorder.addUsage(usage(2)),
    ];
    const results = await Promise.all(writes);
    assert.equal(results[0], undefined, "a deferred upsert has no row to return");
    const closed = await recorder.transitionCall(
      CALL,
      "completed",
      { endReason: "agent_hangup", endedAt: T0 },
      { from: LIVE_CALL_STATUSES },
    );
    assert.deepEqual(closed, { applied: false, call: null });
    await recorder.upsertCall({ callId: CALL, endReason: "agent_hangup" });

    const kept = await outbox.read();
    assert.deepEqual(kept.map((w) => w.op), [
      "upsertCall",
      "recordEvent",
      "addTranscript",
      "recordEvent",
      "addUsage",
      "addTranscript",
      "addUsage",
      "transitionCall",
      "upsertCall",
    ]);

    await flushOnce(outbox, db);
    assert.deepEqual(await outbox.read(), []);
    const after = await stored(db);
    assert.deepEqual(after.events, ["agent_tool", "agent_tool"]);
    assert.deepEqual(after.lines, ["hello", "bye"]);
    assert.deepEqual(after.requests, [3]);
    assert.deepEqual(after.call, ["completed", "agent_hangup", "s1"]);

    // The whole outbox replayed again (each write timed out yet landed): nothing doubles.
    await outbox.append(kept);
    await flushOnce(outbox, db);
    assert.deepEqual(await stored(db), after);
  }));

for (const hung of ["addTranscript", "addUsage"] as const) {
  Deno.test(`durable recorder: a hung ${hung} that lands late is replayed without a duplicate`, () =>
    withCtx(async ({ db, outbox, newId }) => {
      await db.upsertCall({ callId: CALL, status: "active" });
      let release!: () => void;
      const gate = new Promise<void>((resolve) => release = resolve);
      const late: Promise<unknown>[] = [];
      const tried: string[] = [];
      // The database takes the first write, answers only after the deadline, and is then down.
      const slow: Store = {
        ...db,
        addTranscript: (l) => {
          tried.push("addTranscript");
          const landed = gate.then(() => db.addTranscript(l));
          late.push(landed);
          return landed;
        },
        addUsage: (u) => {
          tried.push("addUsage");
          const landed = gate.then(() => db.addUsage(u));
          late.push(landed);
          return landed;
        },
        recordEvent: () => {
          tried.push("recordEvent");
          return Promise.reject(new Error("down"));
        },
      };
      const recorder = new DurableRecorder(() => Promise.resolve(slow), outbox, {
        newId,
        deadlineMs: 1,
        onDefer: () => {},
      });
      const first = hung === "addTranscript"
        ? recorder.addTranscript(line("hello"))
        : recorder.addUsage(usage(1));
      const rest = [
        recorder.recordEvent({ callId: CALL, name: "agent_tool" }),
        recorder.addTranscript(line("bye")),
        recorder.addUsage(usage(2)),
      ];
      await Promise.all([first, ...rest]);
      // Only the hung write reached the database; the later ones queued behind it.
      assert.deepEqual(tried, [hung]);
      assert.deepEqual((await outbox.read()).map((w) => w.op), [
        hung,
        "recordEvent",
        "addTranscript",
        "addUsage",
      ]);
      release();
      await Promise.all(late);

      await flushOnce(outbox, db);
      const after = await stored(db);
      assert.deepEqual(after.events, ["agent_tool"]);
      assert.deepEqual(after.lines, hung === "addTranscript" ? ["hello", "bye"] : ["bye"]);
      assert.deepEqual(after.requests, [hung === "addUsage" ? 3 : 2]);
    }));
}
