/**
 * The call record reaches a final status from the bridge's side: when the
 * bridge ends a call itself, and when a session created directly on the
 * bridge (no function record) ends; never over a status Meta already set,
 * and never over a record the function owns and closes itself.
 */
import assert from "node:assert/strict";
import { openStore } from "../../store/open.ts";
import type { CallStatus, Store } from "../../store/store.ts";
import { ManualScheduler } from "../media/fake_scheduler.ts";
import { FakeAgent, FakePeer, META_OFFER } from "../../tests/support/session_fakes.ts";
import { CallSession } from "./call_session.ts";

const tick = () => new Promise((r) => setTimeout(r, 0));

async function start(store: Store, callId: string, opts: { active?: boolean } = {}) {
  const scheduler = new ManualScheduler();
  const peer = new FakePeer(scheduler);
  const session = await CallSession.create(
    { callId, phoneNumberId: "123", from: "16315553602", to: "16315553601", sdp: META_OFFER },
    {
      createPeer: () => Promise.resolve(peer),
      createAgent: () => new FakeAgent(),
      recorder: store,
      terminator: { terminate: () => Promise.resolve() },
      scheduler,
      mediaConnectTimeoutMs: 10_000,
      maxCallMs: 60_000,
      callerSilenceTimeoutMs: 0,
    },
  );
  if (opts.active) {
    peer.connect();
    session.accept();
    await tick();
    assert.equal(session.state, "active");
  }
  return session;
}

/** A record as the function leaves it before the bridge session exists. */
async function functionRecord(store: Store, callId: string, status: CallStatus) {
  await store.upsertCall({ callId, status, offeredAt: new Date(), endReason: null });
}

const final = async (store: Store, callId: string) => {
  const call = await store.getCall(callId);
  return [call?.status, call?.endReason, call?.endedAt instanceof Date];
};

Deno.test("CallSession moves the record to a final status from the bridge's side", async (t) => {
  const store = await openStore({ pgliteDir: "memory://" });
  try {
    await t.step("the bridge hangs up a live call: completed", async () => {
      await functionRecord(store, "wacid.f1", "accepted");
      const session = await start(store, "wacid.f1", { active: true });
      await session.end("max_duration", true);
      assert.deepEqual(await final(store, "wacid.f1"), ["completed", "max_duration", true]);
    });

    await t.step("the bridge gives up before media: failed", async () => {
      await functionRecord(store, "wacid.f2", "pre_accepted");
      const session = await start(store, "wacid.f2");
      await session.end("media_connect_timeout", true);
      assert.deepEqual(await final(store, "wacid.f2"), ["failed", "media_connect_timeout", true]);
    });

    await t.step("a final status Meta set first stays", async () => {
      await functionRecord(store, "wacid.f3", "accepted");
      const session = await start(store, "wacid.f3", { active: true });
      await store.transitionCall("wacid.f3", "rejected", { endReason: "meta_rejected" });
      await session.end("hangup", true);
      const call = await store.getCall("wacid.f3");
      assert.equal(call?.status, "rejected");
    });

    await t.step("a session created directly on the bridge does not stay offered", async () => {
      const quiet = await start(store, "wacid.f4");
      assert.equal((await store.getCall("wacid.f4"))?.status, "offered");
      await quiet.end("hangup", false);
      assert.deepEqual(await final(store, "wacid.f4"), ["failed", "hangup", true]);
      const talked = await start(store, "wacid.f5", { active: true });
      await talked.end("hangup", false);
      assert.deepEqual(await final(store, "wacid.f5"), ["completed", "hangup", true]);
    });

    await t.step("a session the function ends leaves its record to the function", async () => {
      await functionRecord(store, "wacid.f6", "pre_accepted");
      const session = await start(store, "wacid.f6");
      await session.end("pre_accept_failed", false);
      assert.deepEqual(await final(store, "wacid.f6"), ["pre_accepted", null, false]);
    });
  } finally {
    await store.close();
  }
});
