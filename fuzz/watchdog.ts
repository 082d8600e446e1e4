/**
 * Runs a target in a worker under a watchdog, so that even a parser stuck in
 * a loop cannot make a fuzz run unbounded: when the iteration the worker
 * publishes stops moving for `hangMs`, the worker is terminated, the input
 * is recorded as a `hang` finding, and a fresh worker resumes after it.
 *
 * @module
 */
import { type Finding, reproduceCommand, type RunOptions, type TargetReport } from "./runner.ts";
import { iterationSeed, Rng } from "./rng.ts";
import type { FuzzTarget, TargetName } from "./target.ts";

/** What the main thread asks of a worker. */
export interface WorkerRequest {
  /** URL of a module exporting `TARGETS` (`targets.ts`, or a test's). */
  registry: string;
  target: TargetName;
  options: Omit<RunOptions, "now" | "cpuNow" | "onIteration" | "onFinding">;
  /** One Int32: the iteration running, -1 while the seeds load. */
  progress: SharedArrayBuffer;
}

/** What a worker tells the main thread. */
export type WorkerMessage =
  | { type: "finding"; finding: Finding }
  | { type: "done"; report: TargetReport }
  | { type: "error"; message: string };

/** Options of {@linkcode runWatched}. */
export interface WatchOptions
  extends Omit<RunOptions, "now" | "cpuNow" | "onIteration" | "onFinding" | "startIteration"> {
  /** An iteration running longer than this is a hang (ms). */
  hangMs: number;
  /** Module exporting `TARGETS` (default `./targets.ts`). */
  registry?: URL;
  /** Longest the worker may take to load the target (default 120 s). */
  loadGraceMs?: number;
}

/** What one worker did before it finished or hung. */
interface Segment {
  iterations: number;
  findings: Finding[];
  /** The iteration that never returned. */
  hungAt?: number;
}

const POLL_MS = 25;

function runSegment(
  name: TargetName,
  opts: WatchOptions,
  startIteration: number,
  budgetMs: number,
  maxFindings: number,
): Promise<Segment> {
  const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
  const progress = new SharedArrayBuffer(4);
  const beat = new Int32Array(progress);
  beat[0] = -1;
  const streamed: Finding[] = [];
  return new Promise<Segment>((resolve, reject) => {
    let last = -1;
    let since = performance.now();
    const finish = () => {
      clearInterval(timer);
      worker.terminate();
    };
    const timer = setInterval(() => {
      const now = performance.now();
      const i = Atomics.load(beat, 0);
      if (i !== last) [last, since] = [i, now];
      else if (i < 0 && now - since > (opts.loadGraceMs ?? 120_000)) {
        finish();
        reject(new Error(`fuzz target ${name} did not load`));
      } else if (i >= 0 && now - since > opts.hangMs) {
        finish();
        resolve({ iterations: i - startIteration + 1, findings: streamed, hungAt: i });
      }
    }, POLL_MS);
    worker.onmessage = ({ data }: MessageEvent<WorkerMessage>) => {
      if (data.type === "finding") return void streamed.push(data.finding);
      finish();
      if (data.type === "error") return reject(new Error(data.message));
      resolve({ iterations: data.report.iterations, findings: data.report.findings });
    };
    worker.onerror = (event) => {
      event.preventDefault();
      finish();
      reject(new Error(`fuzz worker failed: ${event.message}`));
    };
    const { hangMs: _h, registry: _r, loadGraceMs: _l, ...options } = opts;
    worker.postMessage(
      {
        registry: (opts.registry ?? new URL("./targets.ts", import.meta.url)).href,
        target: name,
        options: { ...options, startIteration, budgetMs, maxFindings },
        progress,
      } satisfies WorkerRequest,
    );
  });
}

/** The finding for the iteration that hung, its input regenerated here from its seed. */
async function hangFinding(target: FuzzTarget, opts: WatchOptions, i: number): Promise<Finding> {
  const seed = iterationSeed(opts.seed, i);
  const input = (await target.load()).generate(new Rng(seed)).encode();
  return {
    target: target.name,
    kind: "hang",
    seed,
    iteration: i,
    message: `no return within ${opts.hangMs} ms (${
      reproduceCommand({ target: target.name, seed })
    })`,
    input,
  };
}

/** Fuzzes `target` in workers within `opts`' limits, surviving hangs. */
export async function runWatched(target: FuzzTarget, opts: WatchOptions): Promise<TargetReport> {
  const maxFindings = opts.maxFindings ?? 10;
  const findings: Finding[] = [];
  const started = performance.now();
  let iterations = 0;
  let next = 0;
  while (next < opts.iterations && findings.length < maxFindings) {
    const budgetMs = opts.budgetMs - (performance.now() - started);
    if (budgetMs <= 0) break;
    const segment = await runSegment(
      target.name,
      opts,
      next,
      budgetMs,
      maxFindings - findings.length,
    );
    iterations += segment.iterations;
    findings.push(...segment.findings);
    if (segment.hungAt === undefined) break;
    findings.push(await hangFinding(target, opts, segment.hungAt));
    next = segment.hungAt + 1;
  }
  const elapsedMs = performance.now() - started;
  return {
    target: target.name,
    seed: opts.seed,
    iterations,
    elapsedMs,
    execsPerSecond: elapsedMs > 0 ? iterations / (elapsedMs / 1000) : 0,
    findings,
  };
}
