import assert from "node:assert/strict";
import { terminateStatus, WebhookErrorSchema } from "./webhook_schema.ts";

Deno.test("terminateStatus matches Meta's documented values in any casing", () => {
  for (const raw of ["COMPLETED", "Completed", "completed", " COMPLETED "]) {
    assert.equal(terminateStatus(raw), "COMPLETED", raw);
  }
  for (const raw of ["FAILED", "Failed"]) assert.equal(terminateStatus(raw), "FAILED", raw);
  assert.equal(terminateStatus("Rejected"), "REJECTED");
});

Deno.test("terminateStatus turns anything else, or nothing, into UNKNOWN", () => {
  for (const raw of ["NOT_ANSWERED", "COMPLETE", "", undefined]) {
    assert.equal(terminateStatus(raw), "UNKNOWN", String(raw));
  }
});

Deno.test("an error code sent as digits is read as a number; other codes are refused", () => {
  assert.equal(WebhookErrorSchema.parse({ code: "138021" }).code, 138021);
  assert.equal(WebhookErrorSchema.parse({ code: 138021 }).code, 138021);
  for (const code of ["13802x", 1.5, null, "1".repeat(12)]) {
    assert.equal(WebhookErrorSchema.safeParse({ code }).success, false, String(code));
  }
});
