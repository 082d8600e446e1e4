import assert from "node:assert/strict";
import { openStore } from "../../store/open.ts";
import type { CallStatus, Store } from "../../store/store.ts";
import { ManualScheduler } from "../media/fake_scheduler.ts";
import { STALE_END_REASON, startStaleCallReconciler } from "./stale_call_reconciler.ts";

const MINUTE = 60_000;
const MAX_CALL_MS = 55 * MINUTE;
const MARGIN_MS = 10 * MINUTE;

/** Calls created now in each status; `completed` one already ended by Meta. */
async function seed(store: Store, prefix: string): Promise<Record<string, CallStatus>> {
  const statuses: Record<string, CallStatus> = {
    [`${prefix}.offered`]: "offered",
    [`${prefix}.accepted`]: "accepted",
    [`${prefix}.active`]: "active",
    [`${prefix}.done`]: "completed",
  };
  for (const [callId, status] of Object.entries(statuses)) {
    await store.upsertCall({
      callId,
      status,
      ...(status === "completed" ? { endReason: "meta_completed" } : {}),
    });
  }
  return statuses;
}

/** Lets a pass started by a timer finish: it re-arms the timer when done. */
async function passDone(scheduler: ManualScheduler): Promise<void> {
  for (let i = 0; i < 500 && scheduler.pending === 0; i++) {
    await new Promise((r) => setTimeout(r, 2));
  }
  assert.equal(scheduler.pending, 1, "the pass finished and re-armed");
}

Deno.test("the reconciler closes calls live past the longest call, a batch per pass, on its clock", async () => {
  const store = await openStore({ pgliteDir: "memory://" });
  const scheduler = new ManualScheduler();
  const base = Date.now();
  const reconciler = startStaleCallReconciler({
    store,
    maxCallMs: MAX_CALL_MS,
    marginMs: MARGIN_MS,
    intervalMs: MINUTE,
    batch: 2,
    scheduler,
    now: () => base + scheduler.now(),
  });
  try {
    const calls = await seed(store, "wacid.r1");
    scheduler.advance(MINUTE);
    await passDone(scheduler);
    scheduler.stall(MAX_CALL_MS + MARGIN_MS - 3 * MINUTE);
    scheduler.advance(MINUTE);
    await passDone(scheduler);
    for (const [callId, status] of Object.entries(calls)) {
      assert.equal((await store.getCall(callId))?.status, status, `${callId} not yet stale`);
    }

    // The next pass runs late (a busy loop), one minute past max + margin.
    scheduler.stall(2 * MINUTE);
    scheduler.advance(0);
    await passDone(scheduler);
    const after = await Promise.all(Object.keys(calls).map((id) => store.getCall(id)));
    assert.equal(after.filter((c) => c?.endReason === STALE_END_REASON).length, 2, "batch of 2");

    assert.equal(await reconciler.pass(), 1, "the rest on the next pass");
    assert.equal(await reconciler.pass(), 0);
    const ended = Object.fromEntries(
      (await Promise.all(Object.keys(calls).map((id) => store.getCall(id))))
        .map((c) => [c!.callId, [c!.status, c!.endReason, c!.endedAt !== null]]),
    );
    assert.deepEqual(ended, {
      "wacid.r1.offered": ["failed", STALE_END_REASON, true],
      "wacid.r1.accepted": ["completed", STALE_END_REASON, true],
      "wacid.r1.active": ["completed", STALE_END_REASON, true],
      "wacid.r1.done": ["completed", "meta_completed", false],
    });
  } finally {
    reconciler.stop();
    await store.close();
  }
  assert.equal(scheduler.pending, 0, "stop clears the timer");
});

Deno.test("a failing pass is logged and the next still runs", async () => {
  const scheduler = new ManualScheduler();
  let passes = 0;
  const reconciler = startStaleCallReconciler({
    store: {
      closeStaleCalls: () => {
        passes++;
        return Promise.reject(new Error("db down"));
      },
    },
    maxCallMs: MAX_CALL_MS,
    intervalMs: MINUTE,
    scheduler,
  });
  try {
    scheduler.advance(MINUTE);
    await passDone(scheduler);
    scheduler.advance(MINUTE);
    await passDone(scheduler);
    assert.equal(passes, 2);
  } finally {
    reconciler.stop();
  }
});
