import assert from "node:assert/strict";
import { DEFAULT_CALLER_NUMBER, simulatedCaller } from "./simulated_call.ts";

Deno.test("simulatedCaller: the default number when the caller is not named", () => {
  assert.deepEqual(simulatedCaller({}), { user: DEFAULT_CALLER_NUMBER });
  assert.deepEqual(simulatedCaller({ user: "447700900123", callerName: "Ana" }), {
    user: "447700900123",
    callerName: "Ana",
  });
});

Deno.test("simulatedCaller: a user id alone is a username caller without a number", () => {
  assert.deepEqual(
    simulatedCaller({ user: undefined, userId: "BR.1502576394655843", ctaPayload: "billing" }),
    { userId: "BR.1502576394655843", ctaPayload: "billing" },
  );
  assert.deepEqual(simulatedCaller({ user: "1", userId: "BR.1" }), { user: "1", userId: "BR.1" });
});
