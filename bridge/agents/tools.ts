/**
 * Tools the Realtime model may call: the built-in `end_call` and HTTP
 * function tools that POST their arguments to a configured URL.
 *
 * Every run ends in a typed {@linkcode ToolResult}, never a throw: a failure is
 * `{ ok: false, error }`, which the agent logs and the model reads (through
 * {@linkcode toolOutput}) as `{"error": ...}` and can apologise about.
 *
 * @module
 */
import type { FunctionTool } from "../../lib/realtime/session.ts";
import { defaultTimers, type Timers } from "./timers.ts";

/** An HTTP function tool from the agent's configuration. */
export interface ToolDefinition {
  name: string;
  description: string;
  /** JSON schema of the arguments object. */
  parameters: Record<string, unknown>;
  /** Where the call is POSTed as `{ name, arguments, call_id, callId }`. */
  url: string;
}

/** One function call the model made. */
export interface ToolCall {
  name: string;
  /** The model's arguments, a JSON string. */
  arguments: string;
  /** The Realtime `call_id`. */
  callId: string;
}

/** How a tool call ended: its output for the model, or why it failed. */
export type ToolResult = { ok: true; output: string } | { ok: false; error: string };

/** The `function_call_output` text the model reads for `result`. */
export function toolOutput(result: ToolResult): string {
  return result.ok ? result.output : JSON.stringify({ error: result.error });
}

/** Name of the built-in hang-up tool. */
export const END_CALL_TOOL = "end_call";

/** The `end_call` declaration: the model says its last sentence, then calls it. */
export const endCallTool: FunctionTool = {
  type: "function",
  name: END_CALL_TOOL,
  description:
    "End the phone call. Say a short goodbye first, then call this when the conversation is over or the caller asks to hang up.",
  parameters: {
    type: "object",
    properties: { reason: { type: "string", description: "Why the call ends, in a few words." } },
    required: [],
  },
};

/** `session.tools`: the configured function tools plus `end_call`. */
export function sessionTools(defs: readonly ToolDefinition[]): FunctionTool[] {
  return [
    ...defs.map((d): FunctionTool => ({
      type: "function",
      name: d.name,
      description: d.description,
      parameters: d.parameters,
    })),
    endCallTool,
  ];
}

/** What `end_call` answers the model: the call is ending. */
export const endCallResult: ToolResult = { ok: true, output: JSON.stringify({ ok: true }) };

/** The `reason` argument of an `end_call` call, or a default. */
export function endCallReason(args: ToolArguments): string {
  const reason = args.ok ? args.value.reason : undefined;
  return typeof reason === "string" && reason.trim() !== "" ? reason.trim() : "agent_end_call";
}

/** Options of {@linkcode executeTool}. */
export interface ExecuteToolOptions {
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** @default 8000 */
  timeoutMs?: number;
  /** Aborts the request (the call ended). */
  signal?: AbortSignal;
  /** For the timeout. @default the runtime's */
  timers?: Timers;
  /** Longest output returned to the model, characters. @default 8000 */
  maxOutputChars?: number;
}

/** A call's arguments: the JSON object the model sent, or why it is not one. */
export type ToolArguments = { ok: true; value: Record<string, unknown> } | {
  ok: false;
  error: string;
};

/** Parses the model's arguments string (empty means `{}`). */
export function parseToolArguments(args: string): ToolArguments {
  let v: unknown;
  try {
    v = JSON.parse(args === "" ? "{}" : args);
  } catch {
    // Not swallowed: the error becomes the result, logged by the agent and read by the model.
    return { ok: false, error: "arguments are not valid JSON" };
  }
  if (typeof v === "object" && v !== null && !Array.isArray(v)) {
    return { ok: true, value: v as Record<string, unknown> };
  }
  return { ok: false, error: "arguments must be a JSON object" };
}

const errorMessage = (e: unknown): string => e instanceof Error ? e.message : String(e);

/**
 * Runs an HTTP tool: POSTs the parsed arguments and returns the response body
 * as the output, or an error on bad arguments, a non-2xx status, a network
 * failure or a timeout.
 */
export async function executeTool(
  def: ToolDefinition,
  call: ToolCall,
  options: ExecuteToolOptions = {},
): Promise<ToolResult> {
  const args = parseToolArguments(call.arguments);
  if (!args.ok) return args;
  const timeoutMs = options.timeoutMs ?? 8000;
  const max = options.maxOutputChars ?? 8000;
  const timers = options.timers ?? defaultTimers;
  const timeout = new AbortController();
  const timer = timers.setTimeout(() => timeout.abort(), timeoutMs);
  const signal = options.signal
    ? AbortSignal.any([timeout.signal, options.signal])
    : timeout.signal;
  try {
    const res = await (options.fetch ?? fetch)(def.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        name: call.name,
        arguments: args.value,
        call_id: call.callId,
        callId: call.callId,
      }),
      signal,
    });
    const body = await res.text();
    if (!res.ok) return { ok: false, error: `HTTP ${res.status}: ${body.slice(0, 200)}` };
    return { ok: true, output: body.length > max ? body.slice(0, max) : body };
  } catch (e) {
    // Not swallowed: the error becomes the result, logged by the agent and read by the model.
    if (timeout.signal.aborted) return { ok: false, error: `timeout after ${timeoutMs} ms` };
    return { ok: false, error: errorMessage(e) };
  } finally {
    timers.clearTimeout(timer);
  }
}

/** Runs the configured tool `call` names; a name not configured is an error result. */
export function runTool(
  defs: readonly ToolDefinition[],
  call: ToolCall,
  options: ExecuteToolOptions = {},
): Promise<ToolResult> {
  const def = defs.find((d) => d.name === call.name);
  if (!def) return Promise.resolve({ ok: false, error: `unknown tool: ${call.name}` });
  return executeTool(def, call, options);
}
