/**
 * The consoles' commands to the bridges, over PostgreSQL LISTEN
 * ({@linkcode LIVE_COMMAND_CHANNEL}): every bridge hears each one, and only
 * the bridge holding the call acts. `end` hangs up like any bridge-side
 * hang-up (Graph `terminate`, reason `operator_ended`), after recording an
 * `operator_ended` event naming the operator.
 *
 * @module
 */
import { eventLogger } from "../log.ts";
import { LIVE_COMMAND_CHANNEL, liveCommandSchema, parsePayload } from "../../store/live.ts";
import type { NewCallEvent } from "../../store/store.ts";
import type { LiveBus, LiveLogEvent } from "./live_publisher.ts";
import type { LiveSession } from "./live_snapshot.ts";

/** The end reason and event name of a call an operator ended. */
export const OPERATOR_ENDED = "operator_ended";

/** Options of {@linkcode listenForCommands}. */
export interface CommandListenerOptions {
  bus: LiveBus;
  /** The bridge's sessions now. */
  sessions: () => readonly LiveSession[];
  /** Where the `operator_ended` event goes; absent: not recorded. */
  recorder?: { recordEvent(event: NewCallEvent): Promise<unknown> } | undefined;
  /** Told of each call this bridge ended on command (tests). */
  onEnded?: (callId: string) => void;
}

const log = eventLogger<LiveLogEvent>("bridge", "live");

/** Acts on one command payload; exported for tests. Returns whether this bridge held the call. */
export function handleCommand(options: CommandListenerOptions, payload: string): boolean {
  const command = parsePayload(liveCommandSchema, payload);
  if (command === null) {
    log.warn("LIVE_COMMAND_INVALID", { bytes: payload.length });
    return false;
  }
  const session = options.sessions().find((s) => s.callId === command.callId);
  if (session === undefined || session.state === "ending" || session.state === "ended") {
    return false;
  }
  const { callId, actor } = command;
  log.info("LIVE_CALL_END_REQUESTED", { callId, actor });
  options.recorder?.recordEvent({ callId, name: OPERATOR_ENDED, data: { actor } })
    .catch((error) => log.warn("LIVE_PUBLISH_FAILED", { callId, error: String(error) }));
  void session.end(OPERATOR_ENDED, true);
  options.onEnded?.(callId);
  return true;
}

/** LISTENs for commands; resolves with the unlisten once listening. */
export function listenForCommands(options: CommandListenerOptions): Promise<() => Promise<void>> {
  return options.bus.listen(LIVE_COMMAND_CHANNEL, (payload) => handleCommand(options, payload));
}
