import assert from "node:assert/strict";
import { testOnBothBackends } from "./backends_test_utils.ts";
import { requestDecisionFor } from "../lib/whatsapp/call_permissions.ts";

const T0 = Date.UTC(2026, 11, 12, 9, 0, 0);
const HOUR = 3_600_000;
const PAIR = { phoneNumberId: "106540352242922", user: "16315550777" };

testOnBothBackends(
  "customer service window",
  "the latest user message is kept, idempotently, and opens the window for interactive requests",
  async (store) => {
    assert.equal((await store.readCallPermission(PAIR, T0)).lastUserMessageAt, undefined);
    await store.recordUserMessage({ ...PAIR, at: T0 - 2 * HOUR });
    await store.recordUserMessage({ ...PAIR, at: T0 - 2 * HOUR }); // redelivered
    await store.recordUserMessage({ ...PAIR, at: T0 - 30 * HOUR }); // older, late
    const state = await store.readCallPermission(PAIR, T0);
    assert.equal(state.lastUserMessageAt, T0 - 2 * HOUR);
    assert.equal(state.status, "no_permission", "the row is created without a permission");
    assert.equal(requestDecisionFor("interactive", state, T0).allowed, true);
    const later = T0 + 23 * HOUR;
    assert.deepEqual(
      requestDecisionFor("interactive", await store.readCallPermission(PAIR, later), later),
      {
        allowed: false,
        reason: "outside_customer_service_window",
        metaCode: 131047,
        httpStatus: 409,
        status: "no_permission",
      },
    );
    // A BSUID user is keyed apart from any number.
    const bsuid = { phoneNumberId: PAIR.phoneNumberId, user: "US.13491208655302741918" };
    await store.recordUserMessage({ ...bsuid, at: T0 });
    assert.equal((await store.readCallPermission(bsuid, T0)).lastUserMessageAt, T0);
  },
);
