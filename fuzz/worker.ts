/**
 * A worker that fuzzes one target for `watchdog.ts`: it publishes the index
 * of the iteration it is running in shared memory, so the main thread can
 * see a parser that never returns and terminate it, and posts each finding
 * as it is made.
 *
 * @module
 */
import { runLoaded } from "./runner.ts";
import type { FuzzTarget } from "./target.ts";
import type { WorkerMessage, WorkerRequest } from "./watchdog.ts";

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
  postMessage(message: WorkerMessage): void;
};

async function fuzz(request: WorkerRequest): Promise<WorkerMessage> {
  const { TARGETS } = await import(request.registry) as { TARGETS: readonly FuzzTarget[] };
  const target = TARGETS.find((t) => t.name === request.target);
  if (!target) throw new Error(`no fuzz target ${request.target} in ${request.registry}`);
  const loaded = await target.load();
  const beat = new Int32Array(request.progress);
  const report = await runLoaded(target.name, loaded, {
    ...request.options,
    onIteration: (i) => Atomics.store(beat, 0, i),
    onFinding: (finding) => scope.postMessage({ type: "finding", finding }),
  });
  return { type: "done", report };
}

scope.onmessage = ({ data }) => {
  fuzz(data).then(
    (message) => scope.postMessage(message),
    (error) => scope.postMessage({ type: "error", message: String(error?.stack ?? error) }),
  );
};
