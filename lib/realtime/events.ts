/**
 * OpenAI Realtime GA client events as zod schemas, strict (unknown keys are
 * errors, as the real service answers `Unknown parameter`), so a fake server
 * can refuse what the service refuses, and spot the retired beta shape.
 *
 * The session settings they carry are in `session.ts`, the server events in
 * `server_events.ts`.
 *
 * @module
 */
import { z } from "zod";
import { clientItemSchema, responseParamsSchema, sessionConfigSchema } from "./session.ts";

const eventId = { event_id: z.string().optional() };

/** Every GA client event. */
export const clientEventSchema = z.discriminatedUnion("type", [
  z.strictObject({ ...eventId, type: z.literal("session.update"), session: sessionConfigSchema }),
  z.strictObject({ ...eventId, type: z.literal("input_audio_buffer.append"), audio: z.string() }),
  z.strictObject({ ...eventId, type: z.literal("input_audio_buffer.commit") }),
  z.strictObject({ ...eventId, type: z.literal("input_audio_buffer.clear") }),
  z.strictObject({
    ...eventId,
    type: z.literal("conversation.item.create"),
    previous_item_id: z.string().nullable().optional(),
    item: clientItemSchema,
  }),
  z.strictObject({
    ...eventId,
    type: z.literal("conversation.item.truncate"),
    item_id: z.string(),
    content_index: z.int().min(0),
    audio_end_ms: z.int().min(0),
  }),
  z.strictObject({ ...eventId, type: z.literal("conversation.item.delete"), item_id: z.string() }),
  z.strictObject({
    ...eventId,
    type: z.literal("conversation.item.retrieve"),
    item_id: z.string(),
  }),
  z.strictObject({
    ...eventId,
    type: z.literal("response.create"),
    response: responseParamsSchema.optional(),
  }),
  z.strictObject({
    ...eventId,
    type: z.literal("response.cancel"),
    response_id: z.string().optional(),
  }),
  z.strictObject({ ...eventId, type: z.literal("output_audio_buffer.clear") }),
]);

/** A GA client event. */
export type ClientEvent = z.infer<typeof clientEventSchema>;

/** Why a client event was refused, shaped like the service's `error.error`. */
export interface ClientEventError {
  /** `unknown_parameter`, `missing_required_parameter`, `invalid_value` or `invalid_json`. */
  code: string;
  message: string;
  /** Dotted path of the offending field, or null. */
  param: string | null;
  /** The client's `event_id`, when it sent one. */
  event_id: string | null;
}

/** Result of {@linkcode parseClientEvent}. */
export type ClientEventResult =
  | { ok: true; event: ClientEvent }
  | { ok: false; error: ClientEventError };

function dotted(path: readonly PropertyKey[]): string {
  return path.map(String).join(".");
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let v = raw;
  for (const key of path) {
    if (typeof v !== "object" || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/** Validates a client event frame; never throws. */
export function parseClientEvent(text: string): ClientEventResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return {
      ok: false,
      error: { code: "invalid_json", message: "Invalid JSON", param: null, event_id: null },
    };
  }
  const r = clientEventSchema.safeParse(raw);
  if (r.success) return { ok: true, event: r.data };
  const id = typeof raw === "object" && raw !== null && "event_id" in raw &&
      typeof raw.event_id === "string"
    ? raw.event_id
    : null;
  const issue = r.error.issues[0];
  if (issue?.code === "unrecognized_keys") {
    const param = dotted([...issue.path, issue.keys[0] ?? ""]);
    return {
      ok: false,
      error: {
        code: "unknown_parameter",
        message: `Unknown parameter: '${param}'.`,
        param,
        event_id: id,
      },
    };
  }
  const param = issue ? dotted(issue.path) : null;
  const missing = issue?.code === "invalid_type" && valueAt(raw, issue.path) === undefined;
  return {
    ok: false,
    error: {
      code: missing ? "missing_required_parameter" : "invalid_value",
      message: missing
        ? `Missing required parameter: '${param}'.`
        : `Invalid value for '${param}': ${issue?.message ?? "invalid"}.`,
      param,
      event_id: id,
    },
  };
}

/** Session fields that exist only in the retired beta shape. */
const BETA_SESSION_KEYS = [
  "modalities",
  "voice",
  "input_audio_format",
  "output_audio_format",
  "input_audio_transcription",
  "turn_detection",
  "temperature",
  "max_response_output_tokens",
] as const;

/**
 * Names the beta feature of a `session.update` payload, or null when it looks
 * GA. Beta sessions had flat fields, format names like `g711_ulaw`, and no
 * `session.type`; the service closes such sockets with 4000.
 */
export function betaSessionShape(event: unknown): string | null {
  if (typeof event !== "object" || event === null) return null;
  const e = event as Record<string, unknown>;
  if (e.type !== "session.update" || typeof e.session !== "object" || e.session === null) {
    return null;
  }
  const s = e.session as Record<string, unknown>;
  const flat = BETA_SESSION_KEYS.find((k) => k in s);
  if (flat) return `session.${flat}`;
  if (!("type" in s)) return "missing session.type";
  if (/"(pcm16|g711_ulaw|g711_alaw)"/.test(JSON.stringify(s))) return "beta audio format name";
  return null;
}
