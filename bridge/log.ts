/**
 * Structured logging for the bridge: LogTape, one JSON line per event, the
 * stable event name as the message and the call id on every call's line.
 * Library modules only call `getLogger`; the process entry point configures
 * the sinks once.
 *
 * @module
 */
import {
  configure,
  getConsoleSink,
  getJsonLinesFormatter,
  getLogger,
  getTextFormatter,
  type Logger,
  type LogLevel,
} from "@logtape/logtape";

/** Configures the root logger for a process (the bridge or the functions server). */
export async function configureLogging(
  level: LogLevel = "info",
  format: "json" | "pretty" = "json",
): Promise<void> {
  await configure({
    reset: true,
    sinks: {
      console: getConsoleSink({
        formatter: format === "json" ? getJsonLinesFormatter() : getTextFormatter(),
      }),
    },
    loggers: [
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["console"] },
      { category: [], lowestLevel: level, sinks: ["console"] },
    ],
  });
}

/** A logger for one call: every line carries `callId`. */
export function callLogger(callId: string, ...category: string[]): Logger {
  return getLogger(["bridge", ...category]).with({ callId });
}
