/**
 * `deno task bench`: runs every suite listed in `bench/suites.ts`, prints each
 * figure beside its target, and exits 1 when any target is missed.
 *
 * Pass suite names to run only those: `deno task bench g711 rtp`.
 *
 * Each suite runs in a process of its own, as a real deployment would run the
 * thing it measures. A suite leaves its process changed: a warm JIT, a larger
 * heap, an embedded database's memory, a lowered scheduling priority. The
 * 50-call suite's pacing and CPU figures, taken after the others in one
 * process, came out worse than the same suite run alone.
 *
 * @module
 */
import { type Figure, meets } from "./figure.ts";
import { suites } from "./suites.ts";

const SUITE_FLAG = "--suite-index=";

/** Runs one suite in this process and prints its figures; returns how many missed. */
async function runSuite(index: number): Promise<number> {
  const suite = suites[index]!;
  console.log(`\n## ${suite.name}`);
  let figures: Figure[];
  try {
    figures = await suite.run();
  } catch (error) {
    console.log(`  FAILED to run: ${error instanceof Error ? error.stack : String(error)}`);
    return 1;
  }
  let missed = 0;
  for (const f of figures) {
    const ok = meets(f);
    if (!ok) missed++;
    const value = f.value >= 100 ? f.value.toFixed(0) : f.value.toPrecision(3);
    console.log(
      `  ${
        ok ? "ok  " : "MISS"
      } ${f.name}: ${value} ${f.unit} (target ${f.op} ${f.target} ${f.unit})`,
    );
  }
  return missed;
}

const child = Deno.args.find((a) => a.startsWith(SUITE_FLAG));
if (child) {
  // The exit code carries the count of missed figures to the parent.
  Deno.exit(Math.min(await runSuite(Number(child.slice(SUITE_FLAG.length))), 100));
}

const only = Deno.args.map((a) => a.toLowerCase());
let missed = 0;
for (const [index, suite] of suites.entries()) {
  if (only.length > 0 && !only.some((o) => suite.name.toLowerCase().includes(o))) continue;
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", new URL(import.meta.url).pathname, `${SUITE_FLAG}${index}`],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  missed += code;
}
console.log(missed === 0 ? "\nall figures meet their targets" : `\n${missed} figure(s) missed`);
Deno.exit(missed === 0 ? 0 : 1);
