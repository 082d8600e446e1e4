/**
 * A bridge's live side, started by `startBridge` when it has a store: the
 * publisher of its calls and the listener for the consoles' commands.
 *
 * @module
 */
import { eventLogger } from "../log.ts";
import { type CommandListenerOptions, listenForCommands } from "./live_commands.ts";
import { type LiveBus, type LiveLogEvent, LivePublisher } from "./live_publisher.ts";
import type { LiveSession } from "./live_snapshot.ts";

/** Options of {@linkcode startLive}. */
export interface LiveOptions {
  bus: LiveBus;
  sessions: () => readonly LiveSession[];
  /** The agent kind the bridge runs (`openai`, `echo`). */
  agent: string;
  /** @default a random id, new per process */
  bridgeId?: string | undefined;
  recorder?: CommandListenerOptions["recorder"];
  /** @default 500 */
  intervalMs?: number | undefined;
}

/** The running live side. */
export interface RunningLive {
  readonly bridgeId: string;
  readonly publisher: LivePublisher;
  /** Resolves once commands are being listened for (tests wait on it). */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

const log = eventLogger<LiveLogEvent>("bridge", "live");
const LISTEN_RETRY_MS = 5000;

/** Starts publishing and listening; a database that is down is retried, never fatal. */
export function startLive(options: LiveOptions): RunningLive {
  const bridgeId = options.bridgeId ?? `bridge-${crypto.randomUUID().slice(0, 8)}`;
  const publisher = new LivePublisher({
    bus: options.bus,
    sessions: options.sessions,
    bridgeId,
    agent: options.agent,
    ...(options.intervalMs === undefined ? {} : { intervalMs: options.intervalMs }),
  });
  publisher.start();
  let stopped = false;
  let unlisten: (() => Promise<void>) | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const listen = async (): Promise<void> => {
    try {
      const off = await listenForCommands(options);
      if (stopped) return void await off();
      unlisten = off;
      markReady();
    } catch (error) {
      log.warn("LIVE_UNAVAILABLE", { what: "commands", error: String(error) });
      if (!stopped) retry = setTimeout(() => void listen(), LISTEN_RETRY_MS);
    }
  };
  void listen();
  return {
    bridgeId,
    publisher,
    ready,
    async stop() {
      stopped = true;
      clearTimeout(retry);
      await Promise.all([publisher.stop(), unlisten?.().catch(() => {})]);
    },
  };
}
