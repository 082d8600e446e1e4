import assert from "node:assert/strict";
import { DEFAULT_BUSINESS } from "../../simulator/meta_webhooks.ts";
import { META_OFFER } from "../../tests/support/session_fakes.ts";
import { stalledManager, tick } from "../../tests/support/stalled_manager.ts";
import { CapacityError, DuplicateCallError, SessionOrphanedError } from "./session_manager.ts";

const request = (callId: string) => ({
  callId,
  phoneNumberId: DEFAULT_BUSINESS.phoneNumberId,
  from: "16315553602",
  to: "16315553601",
  sdp: META_OFFER,
});

/** What `p` settles with, its rejection included (handled at once). */
const outcome = (p: Promise<unknown>) => p.catch((e: unknown) => e);

Deno.test("admission is exact under concurrency: 20 creates with maxSessions 3 admit 3", async () => {
  const { manager, peers, answerAll } = stalledManager(3);
  const results = Array.from(
    { length: 20 },
    (_, i) => manager.create(request(`wacid.c${i}`)).then(() => "ok", (e) => e),
  );
  await tick();
  assert.equal(peers.length, 3, "only admitted calls allocate a peer");
  await answerAll();
  const outcomes = await Promise.all(results);
  assert.equal(outcomes.filter((o) => o === "ok").length, 3);
  const refused = outcomes.filter((o) => o instanceof CapacityError);
  assert.equal(refused.length, 17);
  assert.ok(refused.every((e) => e.reason === "max_sessions"));
  assert.equal(manager.list().length, 3);
  assert.equal(manager.counters.refused, 17);
});

Deno.test("one call id gets one session under concurrency, and one terminate at most", async () => {
  const { manager, peers, answerAll, terminator } = stalledManager();
  const results = Array.from(
    { length: 20 },
    () => manager.create(request("wacid.same")).then((s) => s, (e) => e),
  );
  await tick();
  assert.equal(peers.length, 1);
  await answerAll();
  const outcomes = await Promise.all(results);
  const sessions = outcomes.filter((o) => !(o instanceof Error));
  assert.equal(sessions.length, 1);
  assert.equal(outcomes.filter((o) => o instanceof DuplicateCallError).length, 19);
  await manager.drain(0);
  assert.deepEqual(terminator.requested, ["wacid.same"]);
});

Deno.test("a failed creation frees its slot and its call id", async () => {
  const { manager, answerAll } = stalledManager(1);
  await assert.rejects(manager.create({ ...request("wacid.f"), sdp: "v=0\r\n" }));
  const failing = manager.create(request("wacid.f"));
  const failed = assert.rejects(failing, /no ports/);
  await tick();
  await answerAll(false);
  await failed;
  const retry = manager.create(request("wacid.f"));
  await answerAll();
  assert.equal((await retry).callId, "wacid.f");
});

Deno.test("a duplicate of a live call names the live session", async () => {
  const { manager, answerAll } = stalledManager();
  const creating = manager.create(request("wacid.d"));
  await answerAll();
  const session = await creating;
  await assert.rejects(
    manager.create(request("wacid.d")),
    (e) => e instanceof DuplicateCallError && e.sessionId === session.id,
  );
});

/** Asserts the orphan left nothing behind and told no one anything false. */
async function assertQuietOrphan(s: ReturnType<typeof stalledManager>, creating: Promise<unknown>) {
  assert.ok(await creating instanceof SessionOrphanedError);
  assert.ok(s.peers[0]!.closed, "its peer is closed");
  assert.equal(s.manager.list().length, 0);
  s.scheduler.advance(60_000);
  await tick();
  assert.deepEqual(s.terminator.requested, [], "no Graph terminate: the function rejected it");
  assert.deepEqual(s.store.calls, [], "the function's record is left alone");
  assert.deepEqual(s.store.events, ["bridge_session_orphaned"]);
  // The slot and the call id are free again.
  const again = s.manager.create(request("wacid.o"));
  await s.answerAll();
  assert.equal((await again).callId, "wacid.o");
}

Deno.test("a session finished after its creator disconnected ends quietly", async () => {
  const s = stalledManager(1);
  const client = new AbortController();
  const creating = outcome(s.manager.create(request("wacid.o"), { signal: client.signal }));
  await tick();
  client.abort();
  await s.answerAll();
  await assertQuietOrphan(s, creating);
});

Deno.test("a session finished past its creator's deadline ends quietly", async () => {
  const s = stalledManager(1);
  const creating = outcome(s.manager.create(request("wacid.o"), { deadlineMs: 1_500 }));
  await tick();
  s.scheduler.advance(1_500);
  await s.answerAll();
  await assertQuietOrphan(s, creating);
});

Deno.test("a session finished within its creator's deadline lives and leaves no deadline timer", async () => {
  const s = stalledManager(1);
  const creating = s.manager.create(request("wacid.in"), { deadlineMs: 1_500 });
  await tick();
  s.scheduler.advance(1_499);
  await s.answerAll();
  const session = await creating;
  assert.equal(session.state, "answered");
  s.scheduler.advance(1);
  assert.equal(s.manager.list().length, 1);
  assert.equal(s.scheduler.pending, 1, "only the media connect bound is left");
});

Deno.test("endCall cancels a creation still in flight: it ends quietly", async () => {
  const s = stalledManager(1);
  const creating = outcome(s.manager.create(request("wacid.o")));
  await tick();
  assert.equal(await s.manager.endCall("wacid.o", "bridge_timeout"), "cancelled");
  await s.answerAll();
  await assertQuietOrphan(s, creating);
});

Deno.test("endCall ends a live call's session without telling Meta or writing its end reason", async () => {
  const s = stalledManager();
  const creating = s.manager.create(request("wacid.l"));
  await s.answerAll();
  const session = await creating;
  assert.equal(await s.manager.endCall("wacid.l", "bridge_timeout"), session);
  assert.equal(session.state, "ended");
  assert.equal(session.endReason, "bridge_timeout");
  assert.deepEqual(s.terminator.requested, []);
  assert.ok(s.store.calls.every((c) => c.endReason === undefined));
  assert.equal(await s.manager.endCall("wacid.l", "again"), undefined, "gone now");
  assert.equal(await s.manager.endCall("wacid.none", "x"), undefined);
});
