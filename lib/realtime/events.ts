/**
 * OpenAI Realtime GA wire events as zod schemas.
 *
 * Client events are strict (unknown keys are errors, as the real service
 * answers `Unknown parameter`), so a fake server can reject the retired beta
 * shape. Server events are tolerant: unknown fields are ignored and unknown
 * event types parse to an `unknown` fallback, because the service adds events
 * over time and the bridge must not fall over on them.
 *
 * @module
 */
import { z } from "zod";

// ---------------------------------------------------------------- shared parts

/** `audio/pcm` is 24 kHz only; G.711 variants carry no rate. */
export const audioFormatSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("audio/pcm"), rate: z.literal(24000).optional() }),
  z.strictObject({ type: z.literal("audio/pcmu") }),
  z.strictObject({ type: z.literal("audio/pcma") }),
]);

/** Turn detection: server or semantic VAD, or `null` for manual turns. */
export const turnDetectionSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("server_vad"),
    threshold: z.number().min(0).max(1).optional(),
    prefix_padding_ms: z.int().min(0).optional(),
    silence_duration_ms: z.int().min(0).optional(),
    create_response: z.boolean().optional(),
    interrupt_response: z.boolean().optional(),
    idle_timeout_ms: z.int().min(0).nullable().optional(),
  }),
  z.strictObject({
    type: z.literal("semantic_vad"),
    eagerness: z.enum(["low", "medium", "high", "auto"]).optional(),
    create_response: z.boolean().optional(),
    interrupt_response: z.boolean().optional(),
  }),
]);

/** A function tool declared to the model. */
export const functionToolSchema = z.strictObject({
  type: z.literal("function"),
  name: z.string().min(1),
  description: z.string().optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
});

const voiceSchema = z.union([z.string().min(1), z.strictObject({ id: z.string().min(1) })]);
const outputModalitiesSchema = z.array(z.enum(["audio", "text"])).min(1).max(1);
const toolChoiceSchema = z.union([
  z.enum(["auto", "none", "required"]),
  z.strictObject({ type: z.literal("function"), name: z.string() }),
]);
const maxTokensSchema = z.union([z.int().min(1), z.literal("inf")]);

/** The GA `session` object of `session.update` (`type: "realtime"` is required). */
export const sessionConfigSchema = z.strictObject({
  type: z.literal("realtime"),
  model: z.string().optional(),
  instructions: z.string().optional(),
  output_modalities: outputModalitiesSchema.optional(),
  audio: z.strictObject({
    input: z.strictObject({
      format: audioFormatSchema.optional(),
      noise_reduction: z.strictObject({ type: z.enum(["near_field", "far_field"]) }).nullable()
        .optional(),
      transcription: z.strictObject({
        model: z.string().optional(),
        language: z.string().optional(),
        prompt: z.string().optional(),
      }).nullable().optional(),
      turn_detection: turnDetectionSchema.nullable().optional(),
    }).optional(),
    output: z.strictObject({
      format: audioFormatSchema.optional(),
      voice: voiceSchema.optional(),
      speed: z.number().min(0.25).max(1.5).optional(),
    }).optional(),
  }).optional(),
  tools: z.array(functionToolSchema).optional(),
  tool_choice: toolChoiceSchema.optional(),
  max_output_tokens: maxTokensSchema.optional(),
  truncation: z.union([z.enum(["auto", "disabled"]), z.record(z.string(), z.unknown())])
    .optional(),
  tracing: z.union([z.literal("auto"), z.record(z.string(), z.unknown())]).nullable().optional(),
  include: z.array(z.string()).optional(),
});

const inputText = z.strictObject({ type: z.literal("input_text"), text: z.string() });
const inputAudio = z.strictObject({
  type: z.literal("input_audio"),
  audio: z.string(),
  transcript: z.string().optional(),
});
const outputText = z.strictObject({ type: z.literal("output_text"), text: z.string() });
const itemBase = {
  id: z.string().optional(),
  object: z.literal("realtime.item").optional(),
  status: z.enum(["completed", "incomplete", "in_progress"]).optional(),
};

/**
 * An item a client may create. Roles fix the content types: users speak
 * `input_text`/`input_audio`, the assistant `output_text` (assistant audio
 * cannot be created), system messages `input_text`.
 */
export const clientItemSchema = z.union([
  z.strictObject({
    ...itemBase,
    type: z.literal("message"),
    role: z.literal("user"),
    content: z.array(z.union([inputText, inputAudio])).min(1),
  }),
  z.strictObject({
    ...itemBase,
    type: z.literal("message"),
    role: z.literal("assistant"),
    content: z.array(outputText).min(1),
  }),
  z.strictObject({
    ...itemBase,
    type: z.literal("message"),
    role: z.literal("system"),
    content: z.array(inputText).min(1),
  }),
  z.strictObject({
    ...itemBase,
    type: z.literal("function_call"),
    call_id: z.string(),
    name: z.string(),
    arguments: z.string(),
  }),
  z.strictObject({
    ...itemBase,
    type: z.literal("function_call_output"),
    call_id: z.string(),
    output: z.string(),
  }),
]);

/** Per-response overrides of `response.create`. */
export const responseParamsSchema = z.strictObject({
  output_modalities: outputModalitiesSchema.optional(),
  instructions: z.string().optional(),
  conversation: z.enum(["auto", "none"]).optional(),
  metadata: z.record(z.string(), z.string()).nullable().optional(),
  input: z.array(clientItemSchema).optional(),
  tools: z.array(functionToolSchema).optional(),
  tool_choice: toolChoiceSchema.optional(),
  max_output_tokens: maxTokensSchema.optional(),
  audio: z.strictObject({
    output: z.strictObject({ format: audioFormatSchema.optional(), voice: voiceSchema.optional() })
      .optional(),
  }).optional(),
});

// --------------------------------------------------------------- client events

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
/** The `session` object of `session.update`. */
export type SessionConfig = z.infer<typeof sessionConfigSchema>;
/** An item a client may create. */
export type ClientItem = z.infer<typeof clientItemSchema>;
/** Overrides of `response.create`. */
export type ResponseParams = z.infer<typeof responseParamsSchema>;
/** A function tool as declared in `session.tools`. */
export type FunctionTool = z.infer<typeof functionToolSchema>;
/** Turn detection settings. */
export type TurnDetection = z.infer<typeof turnDetectionSchema>;

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

// --------------------------------------------------------------- server events

const serverBase = { event_id: z.string() };
const loose = <T extends z.ZodRawShape>(shape: T) => z.looseObject({ ...serverBase, ...shape });

/** The error payload of an `error` event. */
export const serverErrorSchema = z.looseObject({
  type: z.string(),
  code: z.string().nullable().optional(),
  message: z.string(),
  param: z.string().nullable().optional(),
  event_id: z.string().nullable().optional(),
});

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
      name: z.string(),
      limit: z.number(),
      remaining: z.number(),
      reset_seconds: z.number(),
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
    error: `${obj.type}: ${issue ? dotted(issue.path) : ""} ${issue?.message ?? "invalid"}`,
  };
}
