import assert from "node:assert/strict";
import { testOnBothBackends } from "./backends_test_utils.ts";

testOnBothBackends(
  "talk numbers",
  "each number once, shown as its latest WhatsApp call's `to`",
  async (store) => {
    assert.deepEqual(await store.knownBusinessNumbers(10), []);
    const at = (s: number) => new Date(Date.UTC(2026, 11, 9, 10, 0, s));
    await store.upsertCall({
      callId: "wacid.a1",
      direction: "user_initiated",
      phoneNumberId: "111",
      toNumber: "15550001111",
      offeredAt: at(0),
    });
    await store.upsertCall({
      callId: "wacid.a2",
      direction: "user_initiated",
      phoneNumberId: "111",
      toNumber: "15550002222",
      offeredAt: at(1),
    });
    // A business-initiated call's `to` is the user, never the business number.
    await store.upsertCall({
      callId: "wacid.b1",
      direction: "business_initiated",
      phoneNumberId: "222",
      toNumber: "447700900123",
    });
    // Only test calls reached 333: known, but with no display number.
    await store.upsertCall({
      callId: "test-1",
      direction: "user_initiated",
      phoneNumberId: "333",
      toNumber: "15559999999",
      testCall: true,
    });
    await store.upsertCall({ callId: "wacid.none" });
    const known = await store.knownBusinessNumbers(10);
    assert.deepEqual(known, [
      { phoneNumberId: "111", displayNumber: "15550002222" },
      { phoneNumberId: "222", displayNumber: null },
      { phoneNumberId: "333", displayNumber: null },
    ]);
    assert.equal((await store.knownBusinessNumbers(2)).length, 2, "bounded by the limit");
  },
);

testOnBothBackends(
  "test calls",
  "`testCall` is stored, read back and false by default",
  async (store) => {
    const real = await store.upsertCall({ callId: "wacid.r" });
    assert.equal(real.testCall, false);
    const test = await store.upsertCall({ callId: "test-x", testCall: true });
    assert.equal(test.testCall, true);
    // Another writer's update leaves the mark alone.
    await store.upsertCall({ callId: "test-x", endReason: "hangup" });
    const moved = await store.transitionCall("test-x", "completed", { endedAt: new Date() });
    assert.equal(moved.call?.testCall, true);
    assert.equal((await store.getCall("test-x"))?.testCall, true);
  },
);
