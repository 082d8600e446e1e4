import assert from "node:assert/strict";
import { ResponseOutcomes } from "./response_outcome.ts";

Deno.test("response outcomes: failed by status, text-only when no audio, else fine; forgotten once settled", () => {
  const o = new ResponseOutcomes();
  assert.deepEqual(
    o.settle({
      id: "r1",
      status: "failed",
      status_details: { type: "failed", error: { type: "tokens", code: "rate_limit_exceeded" } },
    }),
    { failure: "failed: rate_limit_exceeded", textItems: [] },
  );
  assert.deepEqual(o.settle({ id: "r0", status: "failed" }), {
    failure: "failed: unknown",
    textItems: [],
  });
  o.text("r2", "item_t");
  assert.deepEqual(o.settle({ id: "r2", status: "completed" }), {
    failure: "text_only",
    textItems: ["item_t"],
  });
  o.text("r3", "item_a");
  o.audio("r3");
  assert.deepEqual(o.settle({ id: "r3", status: "completed" }), { textItems: [] }, "it spoke");
  o.text("r4", "item_c");
  assert.deepEqual(
    o.settle({ id: "r4", status: "cancelled" }),
    { textItems: [] },
    "cut by the caller",
  );
  assert.deepEqual(o.settle({ id: "r2", status: "completed" }), { textItems: [] }, "forgotten");
  o.text("r5", "item_d");
  o.clear();
  assert.deepEqual(o.settle({ id: "r5", status: "completed" }), { textItems: [] });
});
