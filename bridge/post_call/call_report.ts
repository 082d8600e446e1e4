/**
 * What the end-of-call webhook reports, gathered from the call store: the
 * call record and transcript, plus each post-call part's stored result
 * through {@linkcode CallReportParts} (cost and latency from the figures,
 * the recording's link, the analysis). Each part is optional, bounded in
 * time, and a part that fails is reported as `null`, never as a lost webhook.
 *
 * @module
 */
import {
  type CallWebhookPayload,
  callWebhookPayloadSchema,
  type CallWebhookType,
} from "../../lib/webhooks/call_webhook_payload.ts";
import type { CallRecord, Store, Transcript } from "../../store/store.ts";
import { callLogger } from "../log.ts";

/**
 * Each post-call part's stored result for a call, or `null` when it has none.
 * Every member is exported by its part's own module and wired in by the
 * bridge; an absent member reports `null`.
 */
export interface CallReportParts {
  cost?(callId: string): Promise<unknown | null>;
  latency?(callId: string): Promise<unknown | null>;
  /** A time-limited link to the call's stereo recording. */
  recordingLink?(callId: string): Promise<string | null>;
  analysis?(callId: string): Promise<unknown | null>;
}

/** What the report reads from the call store. */
export type CallReportStore = Pick<Store, "getCall" | "listTranscripts">;

/** Log events of the report (`bridge.post_call`); each line carries `callId`. */
export type CallReportLogEvent = "CALL_REPORT_PART_FAILED";

/** Options of {@linkcode buildCallWebhookPayload}. */
export interface CallReportOptions {
  store: CallReportStore;
  parts: CallReportParts;
  /** Bound on each part's answer. @default 10_000 */
  partTimeoutMs?: number | undefined;
}

/**
 * The payload of `type` for the call, as of now: `call.ended` leaves the
 * analysis out (it comes later, in `call.analyzed`). Throws only when the
 * call store itself cannot be read.
 */
export async function buildCallWebhookPayload(
  options: CallReportOptions,
  callId: string,
  type: CallWebhookType,
  at: Date,
): Promise<CallWebhookPayload> {
  const { store, parts } = options;
  const part = <T>(name: keyof CallReportParts, fn: ((id: string) => Promise<T>) | undefined) =>
    boundedPart(callId, name, fn, options.partTimeoutMs ?? 10_000);
  const [call, transcript, cost, latency, recordingUrl, analysis] = await Promise.all([
    store.getCall(callId),
    store.listTranscripts(callId),
    part("cost", parts.cost?.bind(parts)),
    part("latency", parts.latency?.bind(parts)),
    part("recordingLink", parts.recordingLink?.bind(parts)),
    type === "call.analyzed" ? part("analysis", parts.analysis?.bind(parts)) : null,
  ]);
  return callWebhookPayloadSchema.parse({
    type,
    timestamp: at.toISOString(),
    data: {
      call: webhookCall(callId, call),
      transcript: transcript.map(webhookLine),
      cost: asJson(cost),
      latency: asJson(latency),
      recordingUrl: absoluteUrl(callId, recordingUrl),
      analysis: asJson(analysis),
    },
  });
}

/** A part's answer within `timeoutMs`, else `null` (logged). */
async function boundedPart<T>(
  callId: string,
  name: string,
  fn: ((id: string) => Promise<T>) | undefined,
  timeoutMs: number,
): Promise<T | null> {
  if (fn === undefined) return null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    return await Promise.race([Promise.try(fn, callId), late]);
  } catch (error) {
    callLogger<CallReportLogEvent>(callId, "post_call")
      .warn("CALL_REPORT_PART_FAILED", { part: name, error: String(error) });
    return null;
  } finally {
    clearTimeout(timer);
  }
}

/** Plain JSON (dates become ISO text), or `null`. */
function asJson(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  return JSON.parse(JSON.stringify(value)) ?? null;
}

const iso = (d: Date | null) => d === null ? null : d.toISOString();

/** The call record as receivers see it; a call the store lacks still gets its id. */
function webhookCall(callId: string, call: CallRecord | null): CallWebhookPayload["data"]["call"] {
  return {
    id: callId,
    direction: call?.direction ?? null,
    from: call?.fromNumber ?? null,
    to: call?.toNumber ?? null,
    fromUserId: call?.fromUserId ?? null,
    toUserId: call?.toUserId ?? null,
    phoneNumberId: call?.phoneNumberId ?? null,
    username: call?.username ?? null,
    profileName: call?.profileName ?? null,
    status: call?.status ?? "unknown",
    endReason: call?.endReason ?? null,
    offeredAt: iso(call?.offeredAt ?? null),
    acceptedAt: iso(call?.acceptedAt ?? null),
    endedAt: iso(call?.endedAt ?? null),
    durationSeconds: call?.durationSeconds ?? null,
    ctaPayload: call?.ctaPayload ?? null,
    deeplinkPayload: call?.deeplinkPayload ?? null,
    bizOpaqueCallbackData: call?.bizOpaqueCallbackData ?? null,
    testCall: call?.testCall ?? false,
  };
}

function webhookLine(line: Transcript): CallWebhookPayload["data"]["transcript"][number] {
  return {
    speaker: line.speaker,
    text: line.text,
    startedAt: line.startedAt.toISOString(),
    endedAt: line.endedAt.toISOString(),
    interrupted: line.interrupted,
  };
}

/** The link when it is an absolute http(s) URL; anything else would fail the whole payload. */
function absoluteUrl(callId: string, link: unknown): string | null {
  if (typeof link !== "string") return null;
  if (/^https?:\/\//.test(link) && URL.canParse(link)) return link;
  callLogger<CallReportLogEvent>(callId, "post_call")
    .warn("CALL_REPORT_PART_FAILED", { part: "recordingLink", error: "not an absolute URL" });
  return null;
}
