/**
 * What a bridge tells the consoles about one of its calls, twice a second:
 * state, times, agent, each side's level and the last lines, as one compact
 * JSON payload that always fits a NOTIFY (oldest lines dropped first).
 *
 * @module
 */
import {
  type LiveEnded,
  type LiveSnapshot,
  NOTIFY_MAX_BYTES,
  utf8Bytes,
} from "../../store/live.ts";
import type { CallLevels } from "./audio_level.ts";
import type { LiveTranscript } from "./live_transcript.ts";

/** The parts of a call session a snapshot reads (`CallSession` has them). */
export interface LiveSession {
  readonly callId: string;
  readonly state: string;
  readonly endReason: string | undefined;
  /** Epoch ms the bridge took the call. */
  readonly createdAt: number;
  /** Ms after `createdAt`; `accepted` once Meta accepted. */
  readonly timings: Readonly<Record<string, number>>;
  readonly media: { readonly levels: CallLevels };
  readonly live: LiveTranscript;
  /** Ends the call; `notifyMeta` hangs up at Meta too. */
  end(reason: string, notifyMeta: boolean): Promise<void>;
}

/** Who publishes: the bridge process and its agent kind. */
export interface LiveSource {
  bridgeId: string;
  agent: string;
}

/**
 * The session now. Takes (and so restarts) both level windows: one reader,
 * the publisher, owns them.
 */
export function takeSnapshot(session: LiveSession, source: LiveSource, now: number): LiveSnapshot {
  const accepted = session.timings.accepted;
  return {
    kind: "snapshot",
    callId: session.callId,
    bridgeId: source.bridgeId,
    state: session.state,
    startedAt: session.createdAt,
    acceptedAt: accepted === undefined ? null : session.createdAt + accepted,
    agent: source.agent,
    levels: {
      caller: session.media.levels.caller.take(),
      agent: session.media.levels.agent.take(),
    },
    lines: session.live.lines(),
    at: now,
  };
}

const BATCH_HEAD = '{"kind":"batch","snapshots":[';
const BATCH_TAIL = "]}";

/** Room a snapshot may take so that it fits a batch on its own. */
export const SNAPSHOT_MAX_BYTES = NOTIFY_MAX_BYTES - BATCH_HEAD.length - BATCH_TAIL.length;

/**
 * The message as JSON of at most `maxBytes` (default: a NOTIFY's): whole when
 * it fits, else without its oldest lines; null if even none would fit (a call
 * id or agent name no bridge makes).
 */
export function messagePayload(
  message: LiveSnapshot | LiveEnded,
  maxBytes = NOTIFY_MAX_BYTES,
): string | null {
  let text = JSON.stringify(message);
  if (message.kind !== "snapshot") return utf8Bytes(text) <= maxBytes ? text : null;
  let lines = message.lines;
  while (utf8Bytes(text) > maxBytes) {
    if (lines.length === 0) return null;
    lines = lines.slice(1);
    text = JSON.stringify({ ...message, lines });
  }
  return text;
}

/**
 * Snapshot JSONs (each at most {@linkcode SNAPSHOT_MAX_BYTES}) packed in
 * order into as few `batch` messages as fit a NOTIFY each.
 */
export function packSnapshots(snapshots: readonly string[]): string[] {
  const out: string[] = [];
  let parts: string[] = [];
  let bytes = BATCH_HEAD.length + BATCH_TAIL.length;
  for (const snapshot of snapshots) {
    const size = utf8Bytes(snapshot) + (parts.length > 0 ? 1 : 0);
    if (parts.length > 0 && bytes + size > NOTIFY_MAX_BYTES) {
      out.push(BATCH_HEAD + parts.join(",") + BATCH_TAIL);
      parts = [];
      bytes = BATCH_HEAD.length + BATCH_TAIL.length;
    }
    bytes += utf8Bytes(snapshot) + (parts.length > 0 ? 1 : 0);
    parts.push(snapshot);
  }
  if (parts.length > 0) out.push(BATCH_HEAD + parts.join(",") + BATCH_TAIL);
  return out;
}
