import assert from "node:assert/strict";
import {
  CUSTOMER_SERVICE_WINDOW_MS,
  customerServiceWindowOpen,
  inboundUserMessages,
} from "./customer_service_window.ts";
import { requestDecisionFor } from "./call_permissions.ts";

const metadata = { phone_number_id: "106540352242922", display_phone_number: "15550783881" };
const state = (lastUserMessageAt?: number) => ({
  status: "no_permission" as const,
  requestTimes: [],
  connectedCallTimes: [],
  unansweredStreak: 0,
  lastUserMessageAt,
});

Deno.test("inboundUserMessages: latest per user; statuses, echoes and malformed messages skipped", () => {
  const value = {
    messaging_product: "whatsapp",
    metadata,
    messages: [
      { from: "16315551111", id: "a", timestamp: "1700000000", type: "text" },
      { from: "16315551111", id: "b", timestamp: "1700000100", type: "text" },
      { from: "15550783881", id: "echo", timestamp: "1700000200", type: "text" },
      { from: "16315552222", id: "bad", timestamp: "yesterday", type: "text" },
      { from_user_id: "US.1349", id: "c", timestamp: 1700000050, type: "text" },
      null,
    ],
  };
  assert.deepEqual(inboundUserMessages(value), [
    { phoneNumberId: metadata.phone_number_id, user: "16315551111", at: 1700000100_000 },
    { phoneNumberId: metadata.phone_number_id, user: "US.1349", at: 1700000050_000 },
  ]);
  const statuses = { metadata, statuses: [{ id: "s", status: "read", timestamp: "1700000000" }] };
  assert.deepEqual(inboundUserMessages(statuses), []);
  assert.deepEqual(inboundUserMessages("garbage"), []);
  assert.deepEqual(inboundUserMessages({ messages: [{ from: "1", timestamp: "1" }] }), []);
});

Deno.test("window: open for 24 h after the latest message; interactive refused outside, templates not", () => {
  const t = Date.UTC(2026, 11, 12);
  assert.equal(customerServiceWindowOpen(undefined, t), false);
  assert.equal(customerServiceWindowOpen(t, t + CUSTOMER_SERVICE_WINDOW_MS - 1), true);
  assert.equal(customerServiceWindowOpen(t, t + CUSTOMER_SERVICE_WINDOW_MS), false);
  assert.equal(requestDecisionFor("interactive", state(t - 2 * 3_600_000), t).allowed, true);
  const refused = requestDecisionFor("interactive", state(undefined), t);
  assert.equal(refused.allowed, false);
  if (!refused.allowed) {
    assert.deepEqual([refused.reason, refused.metaCode, refused.httpStatus], [
      "outside_customer_service_window",
      131047,
      409,
    ]);
  }
  assert.equal(requestDecisionFor("template", state(undefined), t).allowed, true);
  // The limits still come first: a permanent permission needs no request at all.
  const permanent = requestDecisionFor(
    "interactive",
    { ...state(undefined), status: "permanent" },
    t,
  );
  assert.equal(!permanent.allowed && permanent.reason, "already_permanent");
});
