import assert from "node:assert/strict";
import { exitCode, fail, ok, renderTable, skip } from "./check.ts";

Deno.test("doctor table: ✔, ✘ with its fix on the next line, – with the reason; a summary", () => {
  const rows = [
    ok("network", "UDP egress", "a:1 sees 203.0.113.9:4000"),
    fail("turn", "turn:x:3478 (udp)", "auth: 401", "check the credentials"),
    skip("openai", "Realtime", "AGENT=echo"),
  ];
  const lines = renderTable(rows).split("\n");
  assert.match(lines[0]!, /^✔ network\s+UDP egress\s+a:1 sees 203\.0\.113\.9:4000$/);
  assert.match(lines[1]!, /^✘ turn\s+turn:x:3478 \(udp\)\s+auth: 401$/);
  assert.match(lines[2]!, /^\s+fix: check the credentials$/);
  assert.match(lines[3]!, /^– openai\s+Realtime\s+AGENT=echo$/);
  assert.equal(lines[4], "1 passed, 1 failed, 1 skipped");
});

Deno.test("doctor exit status: 1 when any row failed, 0 when rows passed or were skipped", () => {
  assert.equal(exitCode([ok("a", "b", "c"), skip("a", "b", "c")]), 0);
  assert.equal(exitCode([ok("a", "b", "c"), fail("a", "b", "c", "d")]), 1);
});
