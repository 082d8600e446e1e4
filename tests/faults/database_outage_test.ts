/**
 * Fault injection: PostgreSQL stops (`pg_ctl stop -m fast`: every connection killed) while a call
 * is offered and while one is live. The caller is still answered within 2 s,
 * a terminate still ends the bridge session, and once PostgreSQL is back the
 * outbox writes every record and event, with the right final status, once.
 */
import assert from "node:assert/strict";
import { openStore } from "../../store/open.ts";
import type { Store } from "../../store/store.ts";
import { FileOutbox } from "../../store/outbox.ts";
import {
  applyDeferredWrite,
  type DeferredWrite,
  DeferredWriteSchema,
} from "../../store/deferred_write.ts";
import {
  postgresBinariesAvailable,
  type PostgresServer,
  startOwnPostgres,
} from "../support/postgres.ts";
import {
  newCallId,
  offerFor,
  terminateFor,
  type VoiceCallsRig,
  voiceCallsRig,
} from "../functions/harness.ts";

/** The caller must hear an answer or a reject within this. */
const ANSWER_WITHIN_MS = 2000;

interface Outage {
  server: PostgresServer;
  store: Store;
  rig: VoiceCallsRig;
  outbox: FileOutbox<DeferredWrite>;
}

async function withOutageRig(test: (o: Outage) => Promise<void>): Promise<void> {
  // A cluster of its own, never CI's shared one: this test stops it.
  const server = (await startOwnPostgres())!;
  const dir = await Deno.makeTempDir({ prefix: "outbox_test_" });
  const db = await server.createDatabase();
  const store = await openStore({ url: db.url, migrate: true, maxConnections: 2 });
  const outbox = new FileOutbox(`${dir}/outbox.jsonl`, DeferredWriteSchema);
  const rig = await voiceCallsRig({ store, outbox });
  try {
    await test({ server, store, rig, outbox });
  } finally {
    await rig.close();
    await store.close();
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Sends `payload` and the time the function took to answer it. */
async function timed(rig: VoiceCallsRig, payload: Parameters<VoiceCallsRig["send"]>[0]) {
  const started = performance.now();
  const results = await rig.send(payload);
  return { results, ms: performance.now() - started };
}

async function eventNames(store: Store, callId: string): Promise<string[]> {
  return (await store.listEvents(callId)).map((e) => e.name).sort();
}

const ignore = !postgresBinariesAvailable();

Deno.test({
  name:
    "database outage: a call offered while PostgreSQL is down is answered, ended, written later [postgres]",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withOutageRig(async ({ server, store, rig, outbox }) => {
      const callId = newCallId();
      await server.outage!.down();

      const connect = await timed(rig, offerFor(callId));
      assert.equal(connect.results[0]?.outcome, "accepted");
      assert.ok(connect.ms < ANSWER_WITHIN_MS, `answered after ${connect.ms} ms`);
      assert.deepEqual(rig.graph.actionsFor(callId), ["pre_accept", "accept"]);

      const end = await timed(rig, terminateFor(callId));
      assert.equal(end.results[0]?.outcome, "ended");
      assert.ok(end.ms < ANSWER_WITHIN_MS, `terminate took ${end.ms} ms`);
      assert.deepEqual(rig.bridge.sessionsFor(callId).map((s) => s.state), ["ended"]);

      await server.outage!.up();
      assert.ok(await outbox.drain((w) => applyDeferredWrite(store, w)) > 0);
      assert.deepEqual(await outbox.read(), []);
      const call = await store.getCall(callId);
      assert.equal(call?.status, "completed");
      assert.equal(call?.bridgeSessionId, rig.bridge.sessionsFor(callId)[0]?.sessionId);
      assert.ok(call?.acceptedAt);
      assert.deepEqual(await eventNames(store, callId), ["accepted", "connect", "terminate"]);
    }),
});

Deno.test({
  name:
    "database outage: a live call's terminate ends its session and is written later, once [postgres]",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withOutageRig(async ({ server, store, rig, outbox }) => {
      const callId = newCallId();
      assert.equal((await rig.send(offerFor(callId)))[0]?.outcome, "accepted");
      assert.equal((await store.getCall(callId))?.status, "accepted");
      await server.outage!.down();

      const end = await timed(rig, terminateFor(callId));
      assert.equal(end.results[0]?.outcome, "ended");
      assert.ok(end.ms < ANSWER_WITHIN_MS, `terminate took ${end.ms} ms`);
      assert.deepEqual(rig.bridge.sessionsFor(callId).map((s) => s.state), ["ended"]);
      // Meta redelivers the terminate during the outage: still one event once replayed.
      assert.equal((await rig.send(terminateFor(callId)))[0]?.outcome, "ended");

      await server.outage!.up();
      await outbox.drain((w) => applyDeferredWrite(store, w));
      // A second replay (a crash before the truncate) changes nothing.
      for (const w of await outbox.read()) await applyDeferredWrite(store, w);
      const call = await store.getCall(callId);
      assert.equal(call?.status, "completed");
      assert.equal(call?.endReason, "meta_completed");
      assert.deepEqual(await eventNames(store, callId), ["accepted", "connect", "terminate"]);
    }),
});
