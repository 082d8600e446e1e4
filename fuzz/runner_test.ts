import assert from "node:assert/strict";
import { type Finding, reproduceCommand, runLoaded, type RunOptions } from "./runner.ts";
import { Rng } from "./rng.ts";
import { ContractViolation, defineTarget, type LoadedTarget } from "./target.ts";

/** A fake target on inputs 0–99 whose check is `check`. */
function fake(check: (n: number) => void | Promise<void>): Promise<LoadedTarget> {
  return defineTarget({
    name: "rtp",
    about: "test double",
    seeds: () => Promise.resolve([0]),
    generate: (rng) => rng.below(100),
    check,
    encode: (n) => `input ${n}`,
  }).load();
}

/** A clock only the checks move. */
function fakeClock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

const OPTIONS: RunOptions = { seed: 42, iterations: 500, budgetMs: 60_000, boundMs: 50 };

Deno.test("runner: exceptions and contract violations are findings with their input and seed", async () => {
  const target = await fake((n) => {
    if (n === 13) throw new TypeError("thirteen");
    if (n === 14) throw new ContractViolation("fourteen");
  });
  const report = await runLoaded("rtp", target, { ...OPTIONS, maxFindings: 100 });
  assert.equal(report.iterations, 500);
  const kinds = new Set(report.findings.map((f) => f.kind));
  assert.deepEqual(kinds, new Set(["exception", "contract"]));
  for (const f of report.findings) {
    assert.ok(f.input === "input 13" || f.input === "input 14");
    assert.match(f.message, f.kind === "exception" ? /TypeError: thirteen/ : /fourteen/);
    assert.ok(f.stack?.includes("runner_test.ts"));
  }
});

Deno.test("runner: a finding's seed regenerates its input in a one-iteration run", async () => {
  const target = await fake((n) => {
    if (n === 77) throw new Error("boom");
  });
  const report = await runLoaded("rtp", target, OPTIONS);
  const found = report.findings[0]!;
  assert.ok(found.iteration > 0);
  const again = await runLoaded("rtp", target, { ...OPTIONS, seed: found.seed, iterations: 1 });
  assert.equal(again.findings[0]?.input, found.input);
  assert.equal(target.generate(new Rng(found.seed)).encode(), "input 77");
  assert.equal(
    reproduceCommand(found),
    `deno task fuzz --target rtp --seed ${found.seed} --iterations 1`,
  );
});

Deno.test("runner: an input over the bound in three runs is slow; a stalled run is not", async () => {
  const clock = fakeClock();
  const runs = new Map<number, number>();
  const target = await fake((n) => {
    const run = (runs.get(n) ?? 0) + 1;
    runs.set(n, run);
    if (n === 9) clock.advance(1_000); // slow every time
    if (n === 10 && run % 3 !== 0) clock.advance(1_000); // stalled twice, then fast
  });
  const report = await runLoaded("rtp", target, { ...OPTIONS, now: clock.now, cpuNow: clock.now });
  assert.ok(report.findings.length > 0);
  for (const f of report.findings) {
    assert.equal(f.kind, "slow");
    assert.equal(f.input, "input 9");
    assert.equal(f.elapsedMs, 1_000);
  }
  assert.equal(runs.get(9)! % 3, 0);
});

Deno.test("runner: stops at the time budget, the finding limit, and the iteration count", async () => {
  const clock = fakeClock();
  const ticking = await fake(() => clock.advance(10));
  const timed = await runLoaded("rtp", ticking, { ...OPTIONS, budgetMs: 100, now: clock.now });
  assert.equal(timed.iterations, 10);
  assert.equal(timed.execsPerSecond, 100);

  const failing = await fake(() => {
    throw new Error("always");
  });
  const seen: Finding[] = [];
  const capped = await runLoaded("rtp", failing, {
    ...OPTIONS,
    maxFindings: 4,
    onFinding: (f) => seen.push(f),
  });
  assert.equal(capped.findings.length, 4);
  assert.equal(capped.iterations, 4);
  assert.deepEqual(seen, capped.findings);
});

Deno.test("runner: resumes at startIteration and reports each iteration it starts", async () => {
  const target = await fake(() => {});
  const started: number[] = [];
  const report = await runLoaded("rtp", target, {
    ...OPTIONS,
    iterations: 10,
    startIteration: 7,
    onIteration: (i) => started.push(i),
  });
  assert.deepEqual(started, [7, 8, 9]);
  assert.equal(report.iterations, 3);
});

Deno.test("runner: async checks are awaited", async () => {
  const target = await fake(async (n) => {
    await Promise.resolve();
    if (n === 50) throw new RangeError("async fifty");
  });
  const report = await runLoaded("rtp", target, OPTIONS);
  assert.ok(report.findings.length > 0);
  assert.ok(report.findings.every((f) => f.message === "RangeError: async fifty"));
});
