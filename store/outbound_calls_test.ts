import assert from "node:assert/strict";
import { testOnBothBackends } from "./backends_test_utils.ts";

const base = {
  phoneNumberId: "106540352242922",
  idempotencyKey: "call-1",
  requestHash: "h1",
  user: "447700900123",
};

testOnBothBackends(
  "outbound calls",
  "a key is reserved once; the request is replayed, completed or released",
  async (store) => {
    const first = await store.reserveOutboundCall(base);
    assert.equal(first.kind, "reserved");
    assert.equal(first.request.status, "pending");
    const again = await store.reserveOutboundCall({ ...base, requestHash: "other" });
    assert.equal(again.kind, "existing");
    assert.equal(again.request.id, first.request.id);
    assert.equal(again.request.requestHash, "h1", "the first body's hash stands");

    const answer = { status: 201, body: { call: { id: "wacid.A" } } };
    await store.completeOutboundCall(first.request.id, {
      status: "placed",
      callId: "wacid.A",
      response: answer,
    });
    const done = await store.reserveOutboundCall(base);
    assert.equal(done.kind, "existing");
    assert.equal(done.request.status, "placed");
    assert.deepEqual(done.request.response, answer);
    assert.equal((await store.outboundCallRequestFor("wacid.A"))?.id, first.request.id);
    // A completed request is never released: its call may ring.
    await store.releaseOutboundCall(first.request.id);
    assert.equal((await store.reserveOutboundCall(base)).kind, "existing");

    // The same key on another business number is another request.
    const elsewhere = await store.reserveOutboundCall({ ...base, phoneNumberId: "2" });
    assert.equal(elsewhere.kind, "reserved");
    // Released before Graph: a retry may place it.
    await store.releaseOutboundCall(elsewhere.request.id);
    assert.equal(
      (await store.reserveOutboundCall({ ...base, phoneNumberId: "2" })).kind,
      "reserved",
    );
  },
);
