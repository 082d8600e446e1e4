/**
 * `deno task fuzz`: runs the bounded fuzzers, each target in a watched
 * worker, prints iterations, execs/s and findings per target, writes the
 * run to `.data/fuzz/`, and exits non-zero on any finding.
 *
 * @module
 */
import { parseFuzzArgs, USAGE } from "./args.ts";
import { formatFinding, formatReport } from "./report.ts";
import type { TargetReport } from "./runner.ts";
import { targetNamed, TARGETS } from "./targets.ts";
import { runWatched } from "./watchdog.ts";

const OUT_DIR = new URL("../.data/fuzz/", import.meta.url);

async function main(argv: readonly string[]): Promise<number> {
  let args;
  try {
    args = parseFuzzArgs(argv);
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : error}\n\n${USAGE}`);
    return 2;
  }
  if (args.list) {
    for (const t of TARGETS) console.log(`${t.name.padEnd(18)} ${t.about}`);
    return 0;
  }
  const seed = args.seed ?? crypto.getRandomValues(new Uint32Array(1))[0]!;
  console.log(
    `fuzz: seed ${seed}, ${args.iterations} iterations or ${args.seconds} s per target, ` +
      `bound ${args.boundMs} ms, hang ${args.hangMs} ms`,
  );
  const reports: TargetReport[] = [];
  for (const name of args.targets) {
    const report = await runWatched(targetNamed(name)!, {
      seed,
      iterations: args.iterations,
      budgetMs: args.seconds * 1000,
      boundMs: args.boundMs,
      hangMs: args.hangMs,
      maxFindings: args.maxFindings,
    });
    reports.push(report);
    console.log(formatReport(report));
  }
  const findings = reports.flatMap((r) => r.findings);
  for (const f of findings) console.log(`\n${formatFinding(f)}`);
  await Deno.mkdir(OUT_DIR, { recursive: true });
  const file = new URL(
    `${new Date().toISOString().replaceAll(":", "-")}-seed${seed}.json`,
    OUT_DIR,
  );
  await Deno.writeTextFile(file, JSON.stringify({ seed, args, reports }, null, 2));
  console.log(`\n${findings.length} findings; run written to ${file.pathname}`);
  return findings.length > 0 ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
