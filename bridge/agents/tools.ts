/**
 * Tools the Realtime model may call: the built-in `end_call` and HTTP
 * function tools that POST their arguments to a configured URL.
 *
 * Failures never throw: they come back as `{"error": ...}` text, which is what
 * the model reads as the function's output and can apologise about.
 *
 * @module
 */
import type { FunctionTool } from "../../lib/realtime/events.ts";

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

/** The `reason` argument of an `end_call` call, or a default. */
export function endCallReason(args: string): string {
  const parsed = parseArgs(args);
  const reason = parsed.ok ? parsed.value.reason : undefined;
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
  /** Longest output returned to the model, characters. @default 8000 */
  maxOutputChars?: number;
}

type Parsed = { ok: true; value: Record<string, unknown> } | { ok: false; error: string };

function parseArgs(args: string): Parsed {
  try {
    const v: unknown = JSON.parse(args === "" ? "{}" : args);
    if (typeof v === "object" && v !== null && !Array.isArray(v)) {
      return { ok: true, value: v as Record<string, unknown> };
    }
    return { ok: false, error: "arguments must be a JSON object" };
  } catch {
    return { ok: false, error: "arguments are not valid JSON" };
  }
}

const errorOutput = (message: string): string => JSON.stringify({ error: message });

/**
 * Runs an HTTP tool: POSTs the parsed arguments and returns the response body
 * as the function output, or `{"error": ...}` on bad arguments, a non-2xx
 * status, a network failure or a timeout.
 */
export async function executeTool(
  def: ToolDefinition,
  call: ToolCall,
  options: ExecuteToolOptions = {},
): Promise<string> {
  const args = parseArgs(call.arguments);
  if (!args.ok) return errorOutput(args.error);
  const timeoutMs = options.timeoutMs ?? 8000;
  const max = options.maxOutputChars ?? 8000;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
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
    if (!res.ok) return errorOutput(`HTTP ${res.status}: ${body.slice(0, 200)}`);
    return body.length > max ? body.slice(0, max) : body;
  } catch (e) {
    if (timeout.aborted) return errorOutput(`timeout after ${timeoutMs} ms`);
    return errorOutput(e instanceof Error ? e.message : String(e));
  }
}
