/**
 * Captures the bridge's LogTape records in memory, so a test can assert on
 * event names and properties.
 *
 * @module
 */
import { configure, type LogRecord, reset } from "@logtape/logtape";

/** The records captured so far, and how to stop capturing. */
export interface LogCapture {
  /** Every record, in order. */
  records: LogRecord[];
  /** The records whose message is `event`. */
  find(event: string): LogRecord[];
  /** Restores LogTape's unconfigured state. */
  stop(): Promise<void>;
}

/** Sends every record under `category` (default `bridge`), debug and up, to memory until `stop()`. */
export async function captureLogs(category = "bridge"): Promise<LogCapture> {
  const records: LogRecord[] = [];
  await configure({
    reset: true,
    sinks: { memory: (r) => records.push(r) },
    loggers: [
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: [] },
      { category: [category], lowestLevel: "debug", sinks: ["memory"] },
    ],
  });
  return {
    records,
    find: (event) => records.filter((r) => r.rawMessage === event),
    stop: () => reset(),
  };
}
