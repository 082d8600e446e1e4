/**
 * One call's story in time order, from what the store kept: the call row's
 * timestamps (webhook, pre_accept, accept, end), its events (what the Edge
 * Function, the bridge session and the agent recorded: `accepted`,
 * `bridge_accept`, `first_agent_audio`, `turn_latency`, `barge_in`,
 * `tool_call`, `dtmf`, `terminate`, `bridge_session_ended`, …) and its
 * transcript, each at its offset from the start.
 *
 * Also where the recording starts on that clock: the stereo file's first
 * frame is the first packet the bridge sent (`call_recording.ts`), which the
 * session notes as `timings.firstPacketSent`, ms after the session began
 * (`bridge_session_ended`). The session's own start is `bridge_accept`'s time
 * less `timings.accepted`. Event times are the database's clock and
 * transcript times the bridge's; with both on NTP they agree to a few ms.
 *
 * @module
 */
import { z } from "zod";
import type { CallEvent, CallRecord, Transcript } from "../../store/store.ts";

/** One moment of the call. */
export interface TimelineEntry {
  /** Ms after the start (the webhook's arrival). */
  atMs: number;
  /** `signal` (Meta and the function), `media`, `turn`, `agent`, `end`. */
  kind: "signal" | "media" | "turn" | "agent" | "end";
  label: string;
  detail?: string | undefined;
}

const timingsSchema = z.looseObject({
  accepted: z.number().optional(),
  mediaConnected: z.number().optional(),
  firstPacketSent: z.number().optional(),
  firstCallerAudio: z.number().optional(),
});

const ended = z.looseObject({ reason: z.string().optional(), timings: timingsSchema.optional() });

/** When the call started: the connect webhook's arrival, else the row's creation. */
export function callStart(call: CallRecord): Date {
  return call.offeredAt ?? call.createdAt;
}

/** The bridge session's start and its timings, when the session left them. */
function session(events: readonly CallEvent[]) {
  const end = events.find((e) => e.name === "bridge_session_ended");
  const timings = end === undefined ? undefined : ended.safeParse(end.data).data?.timings;
  const accept = events.find((e) => e.name === "bridge_accept");
  const startedMs = accept !== undefined && timings?.accepted !== undefined
    ? accept.occurredAt.getTime() - timings.accepted
    : events.find((e) => e.name === "bridge_session_started")?.occurredAt.getTime();
  return { startedMs, timings };
}

/**
 * The wall-clock time of the recording's first frame, or `null` when the
 * call left nothing to place it by.
 */
export function recordingOrigin(call: CallRecord, events: readonly CallEvent[]): Date | null {
  const { startedMs, timings } = session(events);
  if (startedMs !== undefined && timings?.firstPacketSent !== undefined) {
    return new Date(startedMs + timings.firstPacketSent);
  }
  const firstAudio = events.find((e) => e.name === "first_agent_audio");
  return firstAudio?.occurredAt ?? call.acceptedAt;
}

const str = (v: unknown) => (typeof v === "string" || typeof v === "number" ? String(v) : "");

/** Label and detail of an event, by its name; unknown names are shown as they are. */
function describe(e: CallEvent): Pick<TimelineEntry, "kind" | "label" | "detail"> | null {
  const d = (typeof e.data === "object" && e.data !== null ? e.data : {}) as Record<
    string,
    unknown
  >;
  switch (e.name) {
    case "connect":
    case "accepted": // the call row's accepted_at says it (with Meta's 200)
      return null;
    case "bridge_session_started":
      return { kind: "media", label: "Bridge session started (SDP answer made)" };
    case "bridge_accept":
      return { kind: "media", label: "Bridge told to start media" };
    case "first_agent_audio":
      return {
        kind: "media",
        label: "First agent audio on the wire",
        detail: d.afterAcceptMs === undefined
          ? undefined
          : `${str(d.afterAcceptMs)} ms after accept`,
      };
    case "agent_greeting":
      return { kind: "agent", label: "Agent greeting", detail: str(d.kind) || undefined };
    case "turn_latency":
      return { kind: "turn", label: "Agent answered", detail: `turn latency ${str(d.ms)} ms` };
    case "barge_in":
      return { kind: "turn", label: "Caller barged in (agent cut off)" };
    case "tool_call":
      return {
        kind: "agent",
        label: `Tool call: ${str(d.name) || "?"}`,
        detail: [
          d.ok === false ? "failed" : "ok",
          d.durationMs === undefined ? "" : `${str(d.durationMs)} ms`,
        ]
          .filter(Boolean).join(", "),
      };
    case "dtmf":
      return { kind: "turn", label: `Keypad: ${str(d.digit)}` };
    case "terminate":
      return { kind: "end", label: "Meta: call terminated", detail: str(d.status) || undefined };
    case "terminate_sent":
      return { kind: "end", label: "Hang-up sent to Meta", detail: str(d.reason) || undefined };
    case "terminate_failed":
      return { kind: "end", label: "Hang-up to Meta failed", detail: str(d.reason) || undefined };
    case "bridge_session_ended":
      return { kind: "end", label: "Bridge session ended", detail: str(d.reason) || undefined };
    default:
      return { kind: "signal", label: e.name.replaceAll("_", " ") };
  }
}

/** Every moment of the call, in time order (ties keep their source order). */
export function buildTimeline(
  call: CallRecord,
  events: readonly CallEvent[],
  transcripts: readonly Transcript[],
): TimelineEntry[] {
  const t0 = callStart(call).getTime();
  const out: TimelineEntry[] = [];
  const at = (ms: number) => ms - t0;
  const push = (time: Date | null, entry: Omit<TimelineEntry, "atMs">) => {
    if (time !== null) out.push({ atMs: at(time.getTime()), ...entry });
  };
  push(call.offeredAt, { kind: "signal", label: "Webhook: Meta's connect received" });
  push(call.preAcceptedAt, { kind: "signal", label: "pre_accept sent (SDP answer)" });
  push(call.acceptedAt, { kind: "signal", label: "accept sent" });
  const { startedMs, timings } = session(events);
  if (startedMs !== undefined && timings?.mediaConnected !== undefined) {
    out.push({
      atMs: at(startedMs + timings.mediaConnected),
      kind: "media",
      label: "ICE + DTLS connected",
    });
  }
  if (startedMs !== undefined && timings?.firstCallerAudio !== undefined) {
    out.push({
      atMs: at(startedMs + timings.firstCallerAudio),
      kind: "media",
      label: "First caller audio",
    });
  }
  for (const e of events) {
    const d = describe(e);
    if (d !== null) out.push({ atMs: at(e.occurredAt.getTime()), ...d });
  }
  for (const line of transcripts) {
    const who = line.speaker === "caller" ? "Caller" : "Agent";
    out.push({
      atMs: at(line.startedAt.getTime()),
      kind: "turn",
      label: `${who} spoke${line.interrupted ? " (cut off)" : ""}`,
      detail: line.text.length > 80 ? `${line.text.slice(0, 79)}…` : line.text,
    });
  }
  push(call.endedAt, { kind: "end", label: "Call ended", detail: call.endReason ?? undefined });
  return out.map((e, i) => [e, i] as const).sort((a, b) => a[0].atMs - b[0].atMs || a[1] - b[1])
    .map(([e]) => e);
}
