import assert from "node:assert/strict";
import { httpCallPlacer, placeResultOf } from "./placer.ts";
import { callOutcome } from "./outcome.ts";
import type { CallRecord } from "../../store/store.ts";

Deno.test("placer: wa-outbound-calls answers map to what the dialer does", () => {
  assert.deepEqual(placeResultOf(201, { call: { id: "wacid.1" } }), {
    kind: "placed",
    callId: "wacid.1",
  });
  assert.deepEqual(placeResultOf(200, { call: { id: "wacid.1" } }), {
    kind: "placed",
    callId: "wacid.1",
  });
  assert.equal(placeResultOf(409, { error: "permission_expired" }).kind, "no_permission");
  assert.equal(
    placeResultOf(502, { error: "meta_refused", meta_code: 138006 }).kind,
    "no_permission",
  );
  const later = placeResultOf(429, { error: "call_limit", retry_at: "2026-12-01T10:00:00Z" });
  assert.deepEqual(later, {
    kind: "later",
    retryAt: Date.parse("2026-12-01T10:00:00Z"),
    detail: "call_limit",
  });
  assert.equal(placeResultOf(503, { error: "bridge_unavailable" }).kind, "later");
  assert.equal(placeResultOf(409, { error: "request_in_progress" }).kind, "unsure");
  assert.equal(placeResultOf(500, null).kind, "unsure");
  assert.deepEqual(placeResultOf(502, { error: "meta_refused", meta_code: 138001 }), {
    kind: "failed",
    detail: "meta_refused:138001",
  });
  assert.equal(placeResultOf(504, { error: "meta_outcome_unknown" }).kind, "failed");
});

Deno.test("placer: sends the key, the bearer and the purpose; a network failure is unsure", async () => {
  let seen: Request | undefined;
  const placer = httpCallPlacer({
    functionsUrl: "http://fn/functions/v1/",
    serviceRoleKey: "srk",
    fetch: (input, init) => {
      seen = new Request(input, init);
      return Promise.resolve(Response.json({ call: { id: "wacid.9" } }, { status: 201 }));
    },
  });
  const r = await placer.place({
    phoneNumberId: "1",
    user: "34600000001",
    idempotencyKey: "campaign-recipient-1-placement-1",
    bizOpaqueCallbackData: "campaign:1:1:1",
    purpose: { greeting: "Hi {{name}}", variables: { name: "Ana" } },
  });
  assert.deepEqual(r, { kind: "placed", callId: "wacid.9" });
  assert.equal(seen!.url, "http://fn/functions/v1/wa-outbound-calls");
  assert.equal(seen!.headers.get("authorization"), "Bearer srk");
  assert.equal(seen!.headers.get("idempotency-key"), "campaign-recipient-1-placement-1");
  assert.deepEqual((await seen!.json()).purpose.variables, { name: "Ana" });
  const down = httpCallPlacer({
    functionsUrl: "http://fn",
    serviceRoleKey: "srk",
    fetch: () => Promise.reject(new Error("connection reset")),
  });
  assert.equal(
    (await down.place({
      phoneNumberId: "1",
      user: "1",
      idempotencyKey: "k",
      bizOpaqueCallbackData: "b",
    })).kind,
    "unsure",
  );
});

Deno.test("outcome: read from the ended call's record", () => {
  const call = (over: Partial<CallRecord>) =>
    ({ status: "failed", acceptedAt: null, endReason: null, ...over }) as CallRecord;
  assert.equal(callOutcome(call({ status: "ringing" })), undefined);
  assert.equal(callOutcome(call({ status: "completed", acceptedAt: new Date() })), "answered");
  assert.equal(callOutcome(call({ status: "rejected", endReason: "rejected" })), "rejected");
  assert.equal(callOutcome(call({ status: "failed", endReason: "no_answer" })), "no_answer");
  assert.equal(callOutcome(call({ status: "failed", endReason: "meta_answer_invalid" })), "failed");
});
