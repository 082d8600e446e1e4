/**
 * `deno task bench`: runs every suite listed in `bench/suites.ts`, prints each
 * figure beside its target, and exits 1 when any target is missed.
 *
 * Pass suite names to run only those: `deno task bench g711 rtp`.
 *
 * @module
 */
import { type Figure, meets } from "./figure.ts";
import { suites } from "./suites.ts";

const only = Deno.args.map((a) => a.toLowerCase());
let missed = 0;
for (const suite of suites) {
  if (only.length > 0 && !only.some((o) => suite.name.toLowerCase().includes(o))) continue;
  console.log(`\n## ${suite.name}`);
  let figures: Figure[];
  try {
    figures = await suite.run();
  } catch (error) {
    missed++;
    console.log(`  FAILED to run: ${error instanceof Error ? error.stack : String(error)}`);
    continue;
  }
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
}
console.log(missed === 0 ? "\nall figures meet their targets" : `\n${missed} figure(s) missed`);
Deno.exit(missed === 0 ? 0 : 1);
