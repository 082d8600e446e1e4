import assert from "node:assert/strict";
import { formatFinding, formatReport } from "./report.ts";

Deno.test("formatReport: one line with iterations, execs/s and findings", () => {
  const line = formatReport({
    target: "rtp",
    seed: 1,
    iterations: 100_000,
    elapsedMs: 2_500,
    execsPerSecond: 40_000.4,
    findings: [],
  });
  assert.match(line, /^rtp +100000 iterations +40000 execs\/s +0 findings +2\.5 s$/);
});

Deno.test("formatFinding: the reproduce command, the input (cut), and the stack's top", () => {
  const text = formatFinding({
    target: "webhook",
    kind: "exception",
    seed: 77,
    iteration: 12,
    message: "RangeError: Maximum call stack size exceeded",
    stack: "RangeError: x\n    at a (file:///a.ts:1:1)\n    at b (file:///b.ts:2:2)",
    input: "{".repeat(5_000),
  });
  assert.match(text, /^webhook exception at iteration 12 \(seed 77\): RangeError/);
  assert.ok(text.includes("reproduce: deno task fuzz --target webhook --seed 77 --iterations 1"));
  assert.ok(text.includes("… (5000 chars)"));
  assert.ok(text.length < 3_000);
  assert.ok(text.includes("at a (file:///a.ts:1:1)"));
});
