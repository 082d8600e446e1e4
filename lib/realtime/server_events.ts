/**
 * OpenAI Realtime GA server events as zod schemas. They are tolerant: unknown
 * fields are ignored and unknown event types parse to an `unknown` fallback,
 * because the service adds events over time and the bridge must not fall
 * over on them.
 *
 * Shapes: openai-node `src/resources/realtime/realtime.ts` (generated from
 * OpenAI's API spec, https://github.com/openai/openai-node), where every usage
 * and rate-limit field is optional.
 *
 * @module
 */
import { z } from "zod";

const serverBase = { event_id: z.string() };
const loose = <T extends z.ZodRawShape>(shape: T) => z.looseObject({ ...serverBase, ...shape });

/** The error payload of an `error` event (no list of codes is published). */
export const serverErrorSchema = z.looseObject({
  type: z.string(),
  code: z.string().nullable().optional(),
  message: z.string(),
  param: z.string().nullable().optional(),
  event_id: z.string().nullable().optional(),
});

/**
 * `response.done` usage. "Cached tokens here are counted as a subset of input
 * tokens"; each detail is optional.
 */
export const responseUsageSchema = z.looseObject({
  total_tokens: z.number().optional(),
  input_tokens: z.number().optional(),
  output_tokens: z.number().optional(),
  input_token_details: z.looseObject({
    text_tokens: z.number().optional(),
    audio_tokens: z.number().optional(),
    image_tokens: z.number().optional(),
    cached_tokens: z.number().optional(),
    cached_tokens_details: z.looseObject({
      text_tokens: z.number().optional(),
      audio_tokens: z.number().optional(),
      image_tokens: z.number().optional(),
    }).optional(),
  }).optional(),
  output_token_details: z.looseObject({
    text_tokens: z.number().optional(),
    audio_tokens: z.number().optional(),
  }).optional(),
});

/** Caller transcription usage: tokens or audio seconds, as the ASR model bills. */
export const transcriptionUsageSchema = z.discriminatedUnion("type", [
  z.looseObject({
    type: z.literal("tokens"),
    input_tokens: z.number(),
    output_tokens: z.number(),
    total_tokens: z.number(),
    input_token_details: z.looseObject({
      text_tokens: z.number().optional(),
      audio_tokens: z.number().optional(),
    }).optional(),
  }),
  z.looseObject({ type: z.literal("duration"), seconds: z.number() }),
]);

const responseSchema = z.looseObject({
  id: z.string(),
  status: z.enum(["in_progress", "completed", "cancelled", "failed", "incomplete"]),
  status_details: z.looseObject({
    type: z.string().optional(),
    reason: z.string().nullable().optional(),
    error: serverErrorSchema.partial().nullable().optional(),
  }).nullable().optional(),
  output: z.array(z.unknown()).optional(),
  metadata: z.record(z.string(), z.string()).nullable().optional(),
  usage: responseUsageSchema.nullable().optional(),
});

/** An item as the server reports it (messages and function calls). */
export const serverItemSchema = z.looseObject({
  id: z.string(),
  type: z.string(),
  role: z.string().optional(),
  status: z.string().optional(),
  call_id: z.string().optional(),
  name: z.string().optional(),
  arguments: z.string().optional(),
});

const partRef = {
  response_id: z.string(),
  item_id: z.string(),
  output_index: z.int(),
  content_index: z.int(),
};
const sessionOut = z.looseObject({ type: z.string().optional(), id: z.string().optional() });

/** The server events the bridge consumes. */
export const serverEventSchema = z.discriminatedUnion("type", [
  loose({ type: z.literal("session.created"), session: sessionOut }),
  loose({ type: z.literal("session.updated"), session: sessionOut }),
  loose({
    type: z.literal("input_audio_buffer.speech_started"),
    audio_start_ms: z.number(),
    item_id: z.string(),
  }),
  loose({
    type: z.literal("input_audio_buffer.speech_stopped"),
    audio_end_ms: z.number(),
    item_id: z.string(),
  }),
  loose({
    type: z.literal("input_audio_buffer.committed"),
    item_id: z.string(),
    previous_item_id: z.string().nullable().optional(),
  }),
  loose({ type: z.literal("input_audio_buffer.cleared") }),
  loose({
    type: z.literal("input_audio_buffer.timeout_triggered"),
    audio_start_ms: z.number(),
    audio_end_ms: z.number(),
    item_id: z.string(),
  }),
  loose({
    type: z.literal("conversation.item.added"),
    item: serverItemSchema,
    previous_item_id: z.string().nullable().optional(),
  }),
  loose({
    type: z.literal("conversation.item.done"),
    item: serverItemSchema,
    previous_item_id: z.string().nullable().optional(),
  }),
  loose({
    type: z.literal("conversation.item.created"),
    item: serverItemSchema,
    previous_item_id: z.string().nullable().optional(),
  }),
  loose({ type: z.literal("conversation.item.deleted"), item_id: z.string() }),
  loose({ type: z.literal("conversation.item.retrieved"), item: serverItemSchema }),
  loose({
    type: z.literal("conversation.item.truncated"),
    item_id: z.string(),
    content_index: z.int(),
    audio_end_ms: z.int(),
  }),
  loose({
    type: z.literal("conversation.item.input_audio_transcription.delta"),
    item_id: z.string(),
    content_index: z.int().optional(),
    delta: z.string(),
  }),
  loose({
    type: z.literal("conversation.item.input_audio_transcription.completed"),
    item_id: z.string(),
    content_index: z.int().optional(),
    transcript: z.string(),
    usage: transcriptionUsageSchema.optional(),
  }),
  loose({
    type: z.literal("conversation.item.input_audio_transcription.failed"),
    item_id: z.string(),
    content_index: z.int().optional(),
    error: serverErrorSchema.partial(),
  }),
  loose({ type: z.literal("response.created"), response: responseSchema }),
  loose({ type: z.literal("response.done"), response: responseSchema }),
  loose({
    type: z.literal("response.output_item.added"),
    response_id: z.string(),
    output_index: z.int(),
    item: serverItemSchema,
  }),
  loose({
    type: z.literal("response.output_item.done"),
    response_id: z.string(),
    output_index: z.int(),
    item: serverItemSchema,
  }),
  loose({ type: z.literal("response.output_audio.delta"), ...partRef, delta: z.string() }),
  loose({ type: z.literal("response.output_audio.done"), ...partRef }),
  loose({
    type: z.literal("response.output_audio_transcript.delta"),
    ...partRef,
    delta: z.string(),
  }),
  // Text output: what a response carries when the model stopped speaking.
  loose({ type: z.literal("response.output_text.delta"), ...partRef, delta: z.string() }),
  loose({ type: z.literal("response.output_text.done"), ...partRef, text: z.string() }),
  loose({
    type: z.literal("response.output_audio_transcript.done"),
    ...partRef,
    transcript: z.string(),
  }),
  loose({
    type: z.literal("response.function_call_arguments.delta"),
    response_id: z.string(),
    item_id: z.string(),
    output_index: z.int(),
    call_id: z.string(),
    delta: z.string(),
  }),
  loose({
    type: z.literal("response.function_call_arguments.done"),
    response_id: z.string(),
    item_id: z.string(),
    output_index: z.int(),
    call_id: z.string(),
    name: z.string(),
    arguments: z.string(),
  }),
  loose({
    type: z.literal("rate_limits.updated"),
    rate_limits: z.array(z.looseObject({
      name: z.string().optional(),
      limit: z.number().optional(),
      remaining: z.number().optional(),
      reset_seconds: z.number().optional(),
    })),
  }),
  loose({ type: z.literal("error"), error: serverErrorSchema }),
]);

/** A server event the bridge understands. */
export type KnownServerEvent = z.infer<typeof serverEventSchema>;
/** A server event of a type the bridge does not consume. */
export interface UnknownServerEvent {
  type: "unknown";
  /** The `type` the server sent. */
  originalType: string;
  raw: Record<string, unknown>;
}
/** Any server event. */
export type ServerEvent = KnownServerEvent | UnknownServerEvent;
/** The response object inside `response.created` / `response.done`. */
export type RealtimeResponse = z.infer<typeof responseSchema>;
/** The service's error payload. */
export type ServerError = z.infer<typeof serverErrorSchema>;
/** Usage of one response. */
export type ResponseUsage = z.infer<typeof responseUsageSchema>;
/** Usage of one caller transcription. */
export type TranscriptionUsage = z.infer<typeof transcriptionUsageSchema>;

/** Result of {@linkcode parseServerEvent}. */
export type ServerEventResult = { ok: true; event: ServerEvent } | { ok: false; error: string };

const KNOWN_TYPES: ReadonlySet<string> = new Set(
  serverEventSchema.options.map((o) => o.shape.type.value),
);

/** Parses one server frame; unknown types fall back, malformed known ones are errors. */
export function parseServerEvent(text: string): ServerEventResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, error: "invalid JSON" };
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return { ok: false, error: "event is not an object" };
  }
  const obj = raw as Record<string, unknown>;
  if (typeof obj.type !== "string") return { ok: false, error: "event has no type" };
  if (!KNOWN_TYPES.has(obj.type)) {
    return { ok: true, event: { type: "unknown", originalType: obj.type, raw: obj } };
  }
  const r = serverEventSchema.safeParse(raw);
  if (r.success) return { ok: true, event: r.data };
  const issue = r.error.issues[0];
  return {
    ok: false,
    error: `${obj.type}: ${issue?.path.map(String).join(".") ?? ""} ${issue?.message ?? "invalid"}`,
  };
}
