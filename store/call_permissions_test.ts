import assert from "node:assert/strict";
import { testOnBothBackends } from "./backends_test_utils.ts";
import { permissionDecision } from "../lib/whatsapp/call_permissions.ts";

const T0 = Date.UTC(2026, 11, 10, 9, 0, 0);
const HOUR = 3_600_000;
const PAIR = { phoneNumberId: "106540352242922", user: "16315553602" };

testOnBothBackends(
  "call permissions",
  "requests are reserved against the limits once per idempotency key",
  async (store) => {
    const reserve = (key: string, now: number) =>
      store.reservePermissionRequest({
        ...PAIR,
        idempotencyKey: key,
        requestHash: "h1",
        now,
        decide: (s) => permissionDecision(s, "request", now),
      });
    const first = await reserve("k1", T0);
    assert.equal(first.kind, "reserved");
    if (first.kind !== "reserved") return;
    assert.equal(first.request.requestStatus, "pending");
    const again = await reserve("k1", T0 + 1000);
    assert.equal(again.kind, "existing");
    const other = await reserve("k2", T0 + HOUR);
    assert.equal(other.kind, "refused");
    if (other.kind === "refused") {
      assert.deepEqual([other.decision.metaCode, other.decision.retryAt], [138009, T0 + 24 * HOUR]);
    }
    // A request Meta refused does not count.
    await store.completePermissionRequest(first.request.id, {
      status: "failed",
      response: { error: "x" },
    });
    assert.equal((await reserve("k3", T0 + 2 * HOUR)).kind, "reserved");
    const state = await store.readCallPermission(PAIR, T0 + 2 * HOUR);
    assert.deepEqual(state.requestTimes, [T0 + 2 * HOUR]);
    const replay = await reserve("k1", T0 + 3 * HOUR);
    assert.ok(replay.kind === "existing");
    assert.equal(replay.request.requestStatus, "failed");
    assert.deepEqual(replay.request.response, { error: "x" });
    // Another user is not limited by this one's requests.
    const bsuid = await store.reservePermissionRequest({
      phoneNumberId: PAIR.phoneNumberId,
      user: "BR.1502576394655843",
      idempotencyKey: "k4",
      requestHash: "h",
      now: T0,
      decide: (s) => permissionDecision(s, "request", T0),
    });
    assert.equal(bsuid.kind, "reserved");
  },
);

testOnBothBackends(
  "call permissions",
  "replies apply once, older replies never overwrite newer ones",
  async (store) => {
    const reply = (messageId: string, at: number, status: "temporary" | "declined") =>
      store.applyPermissionReply({
        ...PAIR,
        messageId,
        contextId: "wamid.req",
        status,
        ...(status === "temporary" ? { expiresAt: at + 7 * 24 * HOUR } : {}),
        source: "user_action",
        scenario: status === "temporary" ? "temporary_accept" : "reject",
        at,
      });
    assert.deepEqual(await reply("wamid.r2", T0 + HOUR, "temporary"), { applied: true });
    assert.deepEqual(await reply("wamid.r2", T0 + HOUR, "temporary"), { applied: false });
    // Delivered late: recorded, but the newer grant stands.
    assert.deepEqual(await reply("wamid.r1", T0, "declined"), { applied: true });
    const state = await store.readCallPermission(PAIR, T0 + 2 * HOUR);
    assert.equal(state.status, "temporary");
    assert.equal(state.expiresAt, T0 + HOUR + 7 * 24 * HOUR);
    assert.equal(state.source, "user_action");
    // Expiry is computed from the stored time.
    const later = T0 + 8 * 24 * HOUR;
    const lapsed = permissionDecision(await store.readCallPermission(PAIR, later), "call", later);
    assert.ok(!lapsed.allowed && lapsed.reason === "permission_expired");
  },
);

testOnBothBackends(
  "call permissions",
  "call outcomes count once; connected calls reset request limits and the unanswered streak",
  async (store) => {
    await store.applyPermissionReply({
      ...PAIR,
      messageId: "wamid.grant",
      status: "permanent",
      source: "user_action",
      scenario: "permanent_accept",
      at: T0,
    });
    for (let i = 0; i < 3; i++) {
      const call = {
        ...PAIR,
        callId: `wacid.u${i}`,
        outcome: "unanswered" as const,
        at: T0 + 1 + i,
      };
      assert.deepEqual(await store.recordPermissionCall(call), { inserted: true });
      assert.deepEqual(await store.recordPermissionCall(call), { inserted: false });
    }
    let state = await store.readCallPermission(PAIR, T0 + HOUR);
    assert.equal(state.unansweredStreak, 3);
    await store.reservePermissionRequest({
      ...PAIR,
      idempotencyKey: "r",
      requestHash: "h",
      now: T0 + 10,
      decide: () => ({ allowed: true, status: "permanent" }),
    });
    await store.recordPermissionCall({
      ...PAIR,
      callId: "wacid.c1",
      outcome: "connected",
      at: T0 + 20,
    });
    state = await store.readCallPermission(PAIR, T0 + HOUR);
    assert.equal(state.unansweredStreak, 0);
    assert.deepEqual(state.connectedCallTimes, [T0 + 20]);
    assert.equal(state.lastConnectedCallAt, T0 + 20);
    // The request made before the connected call no longer counts.
    assert.ok(
      permissionDecision({ ...state, status: "no_permission" }, "request", T0 + HOUR).allowed,
    );
    // A user-initiated call that connected resets them too.
    const other = { phoneNumberId: PAIR.phoneNumberId, user: "447700900123" };
    await store.upsertCall({
      callId: "wacid.in",
      direction: "user_initiated",
      phoneNumberId: other.phoneNumberId,
      fromNumber: other.user,
      acceptedAt: new Date(T0 + 5),
    });
    assert.equal((await store.readCallPermission(other, T0 + HOUR)).lastConnectedCallAt, T0 + 5);
  },
);

testOnBothBackends(
  "call permissions",
  "Graph's view is kept, without losing a decline Graph cannot express",
  async (store) => {
    await store.syncPermissionFromGraph(PAIR, {
      status: "temporary",
      expiresAt: T0 + HOUR,
      connectedCallLimit: 5,
      callLimitResetAt: T0 + 2 * HOUR,
    }, T0);
    let state = await store.readCallPermission(PAIR, T0);
    assert.deepEqual(
      [
        state.status,
        state.expiresAt,
        state.connectedCallLimit,
        state.callLimitResetAt,
        state.source,
      ],
      ["temporary", T0 + HOUR, 5, T0 + 2 * HOUR, "graph"],
    );
    await store.applyPermissionReply({
      ...PAIR,
      messageId: "wamid.no",
      status: "declined",
      source: "user_action",
      scenario: "reject",
      at: T0 + 1000,
    });
    await store.syncPermissionFromGraph(PAIR, { status: "no_permission" }, T0 + 2000);
    state = await store.readCallPermission(PAIR, T0 + 2000);
    assert.equal(state.status, "declined");
    assert.equal(state.connectedCallLimit, 5, "a later read without limits keeps the known one");
  },
);

testOnBothBackends(
  "call permissions",
  "concurrent requests with different keys: the limit lets exactly one through",
  async (store) => {
    const pair = { phoneNumberId: PAIR.phoneNumberId, user: "5511999990000" };
    // The row exists already: its insert cannot be what serialises them.
    await store.syncPermissionFromGraph(pair, { status: "no_permission" }, T0 - 1000);
    const results = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        store.reservePermissionRequest({
          ...pair,
          idempotencyKey: `c${i}`,
          requestHash: "h",
          now: T0,
          decide: (s) => permissionDecision(s, "request", T0),
        })),
    );
    assert.deepEqual(results.map((r) => r.kind).sort(), [
      "refused",
      "refused",
      "refused",
      "reserved",
    ]);
  },
);
