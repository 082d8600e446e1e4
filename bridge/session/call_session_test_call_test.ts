/**
 * A test call (the console's "Talk to your agent") runs like any other, with
 * two differences: Meta, which has no such call, is never asked to end it,
 * whichever way it ends; and the bridge closes its record itself (no function
 * or terminate webhook will), with the duration Meta would otherwise report.
 */
import assert from "node:assert/strict";
import { openStore } from "../../store/open.ts";
import type { Store } from "../../store/store.ts";
import { ManualScheduler } from "../media/fake_scheduler.ts";
import { FakeAgent, FakePeer, META_OFFER } from "../../tests/support/session_fakes.ts";
import { CallSession } from "./call_session.ts";

const tick = () => new Promise((r) => setTimeout(r, 0));

async function start(store: Store, callId: string, testCall: boolean) {
  const scheduler = new ManualScheduler();
  const peer = new FakePeer(scheduler);
  const agent = new FakeAgent();
  const terminated: string[] = [];
  const session = await CallSession.create(
    { callId, phoneNumberId: "123", to: "16315553601", sdp: META_OFFER, testCall },
    {
      createPeer: () => Promise.resolve(peer),
      createAgent: () => agent,
      recorder: store,
      terminator: { terminate: (_p, id) => Promise.resolve(terminated.push(id)) },
      scheduler,
      mediaConnectTimeoutMs: 10_000,
      maxCallMs: 60_000,
      callerSilenceTimeoutMs: 0,
    },
  );
  peer.connect();
  session.accept();
  await tick();
  assert.equal(session.state, "active");
  return { session, terminated, peer };
}

/** The row the console writes before it asks the bridge for a session. */
async function consoleRecord(store: Store, callId: string) {
  await store.upsertCall({
    callId,
    status: "accepted",
    offeredAt: new Date(),
    acceptedAt: new Date(),
    testCall: true,
  });
}

Deno.test("a test call is never terminated at Meta, whichever way it ends", async (t) => {
  const store = await openStore({ pgliteDir: "memory://" });
  try {
    for (const reason of ["max_duration", "media_failed", "agent_failed: boom"]) {
      await t.step(`the bridge ends it (${reason})`, async () => {
        const callId = `test-${reason.slice(0, 5)}`;
        await consoleRecord(store, callId);
        const { session, terminated } = await start(store, callId, true);
        await session.end(reason, true);
        assert.deepEqual(terminated, [], "no Graph terminate for a test call");
        const events = (await store.listEvents(callId)).map((e) => e.name);
        assert.ok(!events.includes("terminate_sent") && !events.includes("terminate_failed"));
      });
    }
    await t.step("the same ending of a WhatsApp call does tell Meta (control)", async () => {
      const { session, terminated } = await start(store, "wacid.real", false);
      await session.end("max_duration", true);
      assert.deepEqual(terminated, ["wacid.real"]);
    });
  } finally {
    await store.close();
  }
});

Deno.test("the bridge closes a test call's record, marked as a test call", async () => {
  const store = await openStore({ pgliteDir: "memory://" });
  try {
    await consoleRecord(store, "test-close");
    const { session } = await start(store, "test-close", true);
    assert.equal(session.toJSON().testCall, true);
    // Hung up through the console: DELETE /sessions/:id, so notifyMeta is false.
    await session.end("hangup", false);
    const call = await store.getCall("test-close");
    assert.equal(call?.status, "completed");
    assert.equal(call?.endReason, "hangup");
    assert.ok(call?.endedAt instanceof Date);
    assert.equal(call?.durationSeconds, 0, "the bridge's own duration, accept to hang-up");
    assert.equal(call?.testCall, true);

    // A session created with no console row still leaves a test call's record.
    const { session: bare } = await start(store, "test-bare", true);
    assert.equal((await store.getCall("test-bare"))?.testCall, true);
    await bare.end("hangup", false);
    assert.equal((await store.getCall("test-bare"))?.status, "completed");
  } finally {
    await store.close();
  }
});
