import assert from "node:assert/strict";
import { HANGS_ON, TARGETS as HANGING } from "./testdata/hang_targets.ts";
import { iterationSeed, Rng } from "./rng.ts";
import { runWatched } from "./watchdog.ts";
import { rtpTarget } from "./targets_media.ts";

const registry = new URL("./testdata/hang_targets.ts", import.meta.url);

Deno.test("watchdog: a parser that never returns is a hang, and fuzzing resumes after it", async () => {
  const target = HANGING[0]!;
  const started = performance.now();
  const report = await runWatched(target, {
    seed: 9,
    iterations: 40,
    budgetMs: 60_000,
    boundMs: 50,
    hangMs: 300,
    maxFindings: 3,
    registry,
  });
  const loaded = await target.load();
  const inputs = Array.from(
    { length: 40 },
    (_, i) => loaded.generate(new Rng(iterationSeed(9, i))),
  );
  const expected = inputs.map((c, i) => [c.encode(), i] as const)
    .filter(([input]) => input === "5" || HANGS_ON.includes(Number(input)))
    .slice(0, 3);
  assert.ok(expected.some(([input]) => input !== "5"), "the seed should reach a hang");
  assert.deepEqual(
    report.findings.map((f) => [f.kind, f.input, f.iteration, f.seed]),
    expected.map(([input, i]) => [
      input === "5" ? "exception" : "hang",
      input,
      i,
      iterationSeed(9, i),
    ]),
  );
  assert.ok(performance.now() - started < 30_000);
});

Deno.test("watchdog: a target that returns runs all its iterations in the worker", async () => {
  const report = await runWatched(rtpTarget, {
    seed: 5,
    iterations: 300,
    budgetMs: 60_000,
    boundMs: 1_000,
    hangMs: 5_000,
  });
  assert.equal(report.iterations, 300);
  assert.deepEqual(report.findings, []);
  assert.ok(report.execsPerSecond > 0);
});
