/**
 * The GA Realtime session and response settings a client sends, as strict zod
 * schemas: every field the service documents is accepted (with the ranges it
 * documents), an unknown one is an error, as the service answers
 * `Unknown parameter`.
 *
 * Source: OpenAI's API spec as shipped in openai-node
 * (`api_reference/openapi.transformed.yml`, `src/resources/realtime/realtime.ts`,
 * https://github.com/openai/openai-node, 2026-08-21).
 *
 * @module
 */
import { z } from "zod";

/** `audio/pcm` is 24 kHz only; G.711 variants carry no rate. */
export const audioFormatSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("audio/pcm"), rate: z.literal(24000).optional() }),
  z.strictObject({ type: z.literal("audio/pcmu") }),
  z.strictObject({ type: z.literal("audio/pcma") }),
]);

/** Semantic VAD's eagerness; `auto` is `medium`. */
export const EAGERNESS = ["low", "medium", "high", "auto"] as const;

/** Semantic VAD eagerness. */
export type Eagerness = typeof EAGERNESS[number];

/** The spec's bounds on `idle_timeout_ms` (integer, 5000 to 30000, or null). */
export const IDLE_TIMEOUT_RANGE_MS = { min: 5000, max: 30_000 } as const;

/** Turn detection: server or semantic VAD, or `null` for manual turns. */
export const turnDetectionSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("server_vad"),
    threshold: z.number().min(0).max(1).optional(),
    prefix_padding_ms: z.int().min(0).optional(),
    silence_duration_ms: z.int().min(0).optional(),
    create_response: z.boolean().optional(),
    interrupt_response: z.boolean().optional(),
    idle_timeout_ms: z.int().min(IDLE_TIMEOUT_RANGE_MS.min).max(IDLE_TIMEOUT_RANGE_MS.max)
      .nullable().optional(),
  }),
  z.strictObject({
    type: z.literal("semantic_vad"),
    eagerness: z.enum(EAGERNESS).optional(),
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

const toolNames = z.strictObject({
  read_only: z.boolean().optional(),
  tool_names: z.array(z.string()).optional(),
});

/** A remote MCP server the model may call. */
export const mcpToolSchema = z.strictObject({
  type: z.literal("mcp"),
  server_label: z.string().min(1),
  server_url: z.string().optional(),
  server_description: z.string().optional(),
  connector_id: z.string().optional(),
  authorization: z.string().optional(),
  headers: z.record(z.string(), z.string()).nullable().optional(),
  allowed_tools: z.union([z.array(z.string()), toolNames]).nullable().optional(),
  allowed_callers: z.array(z.enum(["direct", "programmatic"])).nullable().optional(),
  require_approval: z.union([
    z.enum(["always", "never"]),
    z.strictObject({ always: toolNames.optional(), never: toolNames.optional() }),
  ]).nullable().optional(),
  defer_loading: z.boolean().optional(),
  tunnel_id: z.string().optional(),
});

const toolSchema = z.discriminatedUnion("type", [functionToolSchema, mcpToolSchema]);
const voiceSchema = z.union([z.string().min(1), z.strictObject({ id: z.string().min(1) })]);
// "It is not possible to request both `text` and `audio` at the same time."
const outputModalitiesSchema = z.array(z.enum(["audio", "text"])).min(1).max(1);
const toolChoiceSchema = z.union([
  z.enum(["auto", "none", "required"]),
  z.strictObject({ type: z.literal("function"), name: z.string() }),
  z.strictObject({
    type: z.literal("mcp"),
    server_label: z.string(),
    name: z.string().nullable().optional(),
  }),
]);
const maxTokensSchema = z.union([z.int().min(1), z.literal("inf")]);
const reasoningSchema = z.strictObject({
  effort: z.enum(["minimal", "low", "medium", "high", "xhigh"]).optional(),
});
const promptSchema = z.strictObject({
  id: z.string().min(1),
  variables: z.record(z.string(), z.unknown()).nullable().optional(),
  version: z.string().nullable().optional(),
}).nullable();

/** Caller transcription settings (`languages` and `keywords`: `gpt-transcribe`, `gpt-live-transcribe`). */
export const transcriptionSchema = z.strictObject({
  model: z.string().optional(),
  language: z.string().optional(),
  languages: z.array(z.string()).optional(),
  prompt: z.string().optional(),
  keywords: z.array(z.string()).optional(),
  delay: z.enum(["minimal", "low", "medium", "high", "xhigh"]).optional(),
});

/** How the conversation is cut once it exceeds the model's input limit. */
export const truncationSchema = z.union([
  z.enum(["auto", "disabled"]),
  z.strictObject({
    type: z.literal("retention_ratio"),
    retention_ratio: z.number().min(0).max(1),
    token_limits: z.strictObject({ post_instructions: z.int().min(0).optional() }).optional(),
  }),
]);

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
      transcription: transcriptionSchema.nullable().optional(),
      turn_detection: turnDetectionSchema.nullable().optional(),
    }).optional(),
    output: z.strictObject({
      format: audioFormatSchema.optional(),
      voice: voiceSchema.optional(),
      speed: z.number().min(0.25).max(1.5).optional(),
    }).optional(),
  }).optional(),
  tools: z.array(toolSchema).optional(),
  tool_choice: toolChoiceSchema.optional(),
  parallel_tool_calls: z.boolean().optional(),
  max_output_tokens: maxTokensSchema.optional(),
  truncation: truncationSchema.optional(),
  tracing: z.union([
    z.literal("auto"),
    z.strictObject({
      group_id: z.string().optional(),
      metadata: z.record(z.string(), z.unknown()).optional(),
      workflow_name: z.string().optional(),
    }),
  ]).nullable().optional(),
  include: z.array(z.literal("item.input_audio_transcription.logprobs")).optional(),
  prompt: promptSchema.optional(),
  reasoning: reasoningSchema.optional(),
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
  tools: z.array(toolSchema).optional(),
  tool_choice: toolChoiceSchema.optional(),
  parallel_tool_calls: z.boolean().optional(),
  max_output_tokens: maxTokensSchema.optional(),
  prompt: promptSchema.optional(),
  reasoning: reasoningSchema.optional(),
  audio: z.strictObject({
    output: z.strictObject({ format: audioFormatSchema.optional(), voice: voiceSchema.optional() })
      .optional(),
  }).optional(),
});

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
/** Caller transcription settings. */
export type Transcription = z.infer<typeof transcriptionSchema>;
/** Conversation truncation settings. */
export type Truncation = z.infer<typeof truncationSchema>;
