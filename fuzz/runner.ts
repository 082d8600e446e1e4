/**
 * The fuzzing loop of one target: bounded in iterations and in time, each
 * input generated from its own seed, each run timed. A finding records the
 * iteration's seed, from which `deno task fuzz --target <t> --seed <s>
 * --iterations 1` regenerates the same input.
 *
 * @module
 */
import { cpuUsage } from "node:process";
import { iterationSeed, Rng } from "./rng.ts";
import {
  ContractViolation,
  type FuzzTarget,
  type LoadedTarget,
  type TargetName,
} from "./target.ts";

/** Why an input is a finding. */
export type FindingKind =
  /** The parser threw what its contract does not allow. */
  | "exception"
  /** An oracle failed (a {@linkcode ContractViolation}). */
  | "contract"
  /** The input took longer than the per-input bound: once in wall time, twice more in CPU time. */
  | "slow"
  /** The input never returned (reported by the watchdog). */
  | "hang";

/** One input that broke a parser's contract. */
export interface Finding {
  target: TargetName;
  kind: FindingKind;
  /** The iteration's own seed: `--seed <seed> --iterations 1` regenerates the input. */
  seed: number;
  /** Index of the iteration in the run that found it. */
  iteration: number;
  message: string;
  stack?: string;
  /** The input, printable (base64 or JSON text); absent for a hang. */
  input?: string;
  /** How long the input ran, for slow inputs. */
  elapsedMs?: number;
}

/** Limits and seed of one run. */
export interface RunOptions {
  seed: number;
  /** Iterations at most. */
  iterations: number;
  /** Wall-clock budget of the whole target, in ms. */
  budgetMs: number;
  /** Longest a single input may take, in ms. */
  boundMs: number;
  /** Stop after this many findings (default 10). */
  maxFindings?: number;
  /** Wall clock in ms, for the budget and each input's first timing (default `performance.now`). */
  now?: () => number;
  /** The process's CPU time in ms, to time a slow input again (default `process.cpuUsage`). */
  cpuNow?: () => number;
  /** First iteration (default 0): a run resumed after a hang skips what it did. */
  startIteration?: number;
  /** Called with each iteration's index before it runs (the watchdog's heartbeat). */
  onIteration?: (i: number) => void;
  /** Called with each finding as it is made (the watchdog keeps them if the run hangs later). */
  onFinding?: (f: Finding) => void;
}

/** What one run of one target did. */
export interface TargetReport {
  target: TargetName;
  seed: number;
  iterations: number;
  elapsedMs: number;
  execsPerSecond: number;
  findings: Finding[];
}

/** The command that regenerates a finding's input on its own. */
export function reproduceCommand(f: Pick<Finding, "target" | "seed">): string {
  return `deno task fuzz --target ${f.target} --seed ${f.seed} --iterations 1`;
}

function processCpuMs(): number {
  const { user, system } = cpuUsage();
  return (user + system) / 1000;
}

/** Extra runs of an input over the time bound before it counts as slow. */
const SLOW_RERUNS = 2;

/** Runs `run` and returns how long it took, or the error it threw with that time. */
async function timed(
  run: () => void | Promise<void>,
  now: () => number,
): Promise<{ ms: number; error?: unknown }> {
  const start = now();
  try {
    const pending = run();
    if (pending) await pending;
    return { ms: now() - start };
  } catch (error) {
    return { ms: now() - start, error };
  }
}

function errorFinding(error: unknown): Pick<Finding, "kind" | "message" | "stack"> {
  const kind = error instanceof ContractViolation ? "contract" : "exception";
  if (!(error instanceof Error)) return { kind, message: `threw ${String(error)}` };
  return {
    kind,
    message: `${error.name}: ${error.message}`,
    ...(error.stack ? { stack: error.stack } : {}),
  };
}

/** Fuzzes a loaded target within `opts`' limits. */
export async function runLoaded(
  name: TargetName,
  target: LoadedTarget,
  opts: RunOptions,
): Promise<TargetReport> {
  const now = opts.now ?? (() => performance.now());
  const cpuNow = opts.cpuNow ?? processCpuMs;
  const maxFindings = opts.maxFindings ?? 10;
  const findings: Finding[] = [];
  const found = (f: Finding) => {
    findings.push(f);
    opts.onFinding?.(f);
  };
  const first = opts.startIteration ?? 0;
  const start = now();
  let i = first;
  for (; i < opts.iterations && findings.length < maxFindings; i++) {
    if (now() - start >= opts.budgetMs) break;
    opts.onIteration?.(i);
    const seed = iterationSeed(opts.seed, i);
    const input = target.generate(new Rng(seed));
    let outcome = await timed(input.run, now);
    // Wall time includes waiting for a busy machine (seconds, on a shared one): an input over
    // the bound runs again, timed in CPU, and is slow only if every run is.
    const over = () => outcome.error === undefined && outcome.ms > opts.boundMs;
    for (let r = 0; r < SLOW_RERUNS && over(); r++) outcome = await timed(input.run, cpuNow);
    const at = { target: name, seed, iteration: i };
    if (outcome.error !== undefined) {
      found({ ...at, ...errorFinding(outcome.error), input: input.encode() });
    } else if (outcome.ms > opts.boundMs) {
      found({
        ...at,
        kind: "slow",
        message: `took ${outcome.ms.toFixed(1)} ms, bound ${opts.boundMs} ms`,
        input: input.encode(),
        elapsedMs: outcome.ms,
      });
    }
  }
  const elapsedMs = now() - start;
  return {
    target: name,
    seed: opts.seed,
    iterations: i - first,
    elapsedMs,
    execsPerSecond: elapsedMs > 0 ? (i - first) / (elapsedMs / 1000) : 0,
    findings,
  };
}

/** Loads `target`'s seeds and fuzzes it. */
export async function runTarget(target: FuzzTarget, opts: RunOptions): Promise<TargetReport> {
  return runLoaded(target.name, await target.load(), opts);
}
