/**
 * Structured logging for the bridge: LogTape, one JSON line per event, the
 * stable event name as the message and the call id on every call's line.
 * Library modules only call `getLogger`; the process entry point configures
 * the sinks once, behind a filter that blanks any configured secret.
 *
 * @module
 */
import {
  configure,
  getConsoleSink,
  getJsonLinesFormatter,
  getLogger,
  getTextFormatter,
  type LogLevel,
  type LogRecord,
  type Sink,
} from "@logtape/logtape";

/** Log events of the bridge process itself (`bridge`), not of one call. */
export type ProcessLogEvent =
  | "VOICE_BRIDGE_LISTENING"
  | "VOICE_BRIDGE_SHUTDOWN"
  | "VOICE_BRIDGE_SHUTDOWN_FAILED"
  | "BRIDGE_UDP_TRANSPORT"
  /**
   * Once after listening (bridge/network/network_summary.ts): UDP transport, local
   * addresses, PUBLIC_IP, STUN's view and NAT mapping (or `unreachable`), TURN servers
   * usable and failed (display URLs, never credentials). A warning when any needs a look.
   */
  | "BRIDGE_NETWORK"
  | "BRIDGE_REALTIME_PRIORITY"
  | "BRIDGE_REALTIME_PRIORITY_UNAVAILABLE"
  /** An offer's candidates pointed into a private network and were not checked. */
  | "WEBRTC_OFFER_CANDIDATES_DROPPED"
  /**
   * (with `callId`) No TURN server gave this call a relay candidate: `server` (display
   * URL, never credentials), `transport`, `cause` (auth|timeout|unreachable|tls|error), `message`.
   */
  | "WEBRTC_TURN_ALLOCATION_FAILED"
  /** (with `callId`) The relay came from a later TURN server; `server` failed first. */
  | "WEBRTC_TURN_SERVER_SKIPPED"
  /** A probe found a TURN server held failed usable again (`server`). */
  | "BRIDGE_TURN_SERVER_RECOVERED"
  /** The outbox could not be written to the database yet; retried after a pause. */
  | "VOICE_BRIDGE_OUTBOX_RETRY";

/** A logger whose messages are the event names `E`: a misspelt name fails type check. */
export interface EventLogger<E extends string> {
  /** Logs `event` at debug level. */
  debug(event: E, properties?: Record<string, unknown>): void;
  /** Logs `event` at info level. */
  info(event: E, properties?: Record<string, unknown>): void;
  /** Logs `event` at warning level. */
  warn(event: E, properties?: Record<string, unknown>): void;
  /** Logs `event` at error level. */
  error(event: E, properties?: Record<string, unknown>): void;
}

/** What secrets become in a log line. */
export const REDACTED = "[REDACTED]";

/** Shorter values are not redacted: they would blank ordinary words. */
const MIN_SECRET_LENGTH = 8;

/**
 * Configures the root logger for a process (the bridge or the functions
 * server). Any of `secrets` found in a record is replaced by
 * {@linkcode REDACTED} before it is written: a safety net, not a licence.
 */
export async function configureLogging(
  level: LogLevel = "info",
  format: "json" | "pretty" = "json",
  secrets: readonly string[] = [],
): Promise<void> {
  const consoleSink = getConsoleSink({
    formatter: format === "json" ? getJsonLinesFormatter() : getTextFormatter(),
  });
  await configure({
    reset: true,
    sinks: { console: redactingSink(consoleSink, secrets) },
    loggers: [
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["console"] },
      { category: [], lowestLevel: level, sinks: ["console"] },
    ],
  });
}

/** Wraps `sink` so no record it receives contains any of `secrets`. */
export function redactingSink(sink: Sink, secrets: readonly string[]): Sink {
  const values = [...new Set(secrets)].filter((s) => s.length >= MIN_SECRET_LENGTH);
  if (values.length === 0) return sink;
  const scrub = (value: unknown) => redact(value, values, 0);
  return (record: LogRecord) =>
    sink({
      ...record,
      rawMessage: typeof record.rawMessage === "string"
        ? scrub(record.rawMessage) as string
        : record.rawMessage,
      message: record.message.map(scrub),
      properties: scrub(record.properties) as Record<string, unknown>,
    });
}

/** A logger under `bridge` for events `E`. */
export function eventLogger<E extends string>(...category: string[]): EventLogger<E> {
  return getLogger(["bridge", ...category]);
}

/** A logger for one call: every line carries `callId`. */
export function callLogger<E extends string>(
  callId: string,
  ...category: string[]
): EventLogger<E> {
  return getLogger(["bridge", ...category]).with({ callId });
}

function redact(value: unknown, secrets: readonly string[], depth: number): unknown {
  if (typeof value === "string") {
    return secrets.reduce((text, secret) => text.replaceAll(secret, REDACTED), value);
  }
  if (value === null || typeof value !== "object" || depth > 8) return value;
  const deeper = (v: unknown) => redact(v, secrets, depth + 1);
  if (Array.isArray(value)) return value.map(deeper);
  if (value instanceof Error) {
    const message = deeper(value.message) as string;
    const stack = deeper(value.stack);
    // Only an Error that leaks is replaced: the formatter prints the rest as usual.
    return message === value.message && stack === value.stack
      ? value
      : { name: value.name, message, stack };
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deeper(v)]));
}
