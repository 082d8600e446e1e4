/**
 * Answering one function call of the model: `end_call` sends its output and
 * asks the session to hang up; an HTTP tool runs (bounded, see tools.ts) and
 * its result goes back to the model, followed by the spoken follow-up. A
 * result that arrives after its session was replaced is dropped.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import type { AgentContext } from "./agent.ts";
import type { ClientEvent } from "../../lib/realtime/events.ts";
import {
  END_CALL_TOOL,
  endCallReason,
  endCallResult,
  type ExecuteToolOptions,
  parseToolArguments,
  runTool,
  type ToolCall,
  type ToolDefinition,
  toolOutput,
  type ToolResult,
} from "./tools.ts";

/** What answering a function call needs from the agent. */
export interface ToolCallHost {
  ctx: Pick<AgentContext, "onEvent" | "requestHangup">;
  log: Logger;
  /** Epoch ms. */
  clock(): number;
  send(event: ClientEvent): unknown;
  /** Whether the session the call came on is still the live one. */
  current(): boolean;
  tools: readonly ToolDefinition[];
  run: ExecuteToolOptions;
  /** Asks for the response that speaks the result. */
  followUp(): void;
}

/** Answers `call`; never throws for a failing tool (its error is the model's result). */
export async function answerFunctionCall(host: ToolCallHost, call: ToolCall): Promise<void> {
  const { ctx, log } = host;
  const { name, callId } = call;
  log.info("AGENT_TOOL_CALL", { name, toolCallId: callId });
  if (name === END_CALL_TOOL) {
    const parsed = parseToolArguments(call.arguments);
    if (!parsed.ok) {
      log.warn("AGENT_TOOL_BAD_ARGUMENTS", { name, toolCallId: callId, error: parsed.error });
    }
    sendResult(host, callId, endCallResult);
    ctx.onEvent("tool_call", { name, callId, ok: true });
    ctx.requestHangup(endCallReason(parsed));
    return;
  }
  const started = host.clock();
  const result = await runTool(host.tools, call, host.run);
  const durationMs = host.clock() - started;
  const error = result.ok ? {} : { error: result.error };
  log.info("AGENT_TOOL_RESULT", { name, toolCallId: callId, durationMs, ok: result.ok, ...error });
  if (!host.current()) return; // session gone
  ctx.onEvent("tool_call", { name, callId, durationMs, ok: result.ok });
  sendResult(host, callId, result);
  host.followUp();
}

function sendResult(host: ToolCallHost, callId: string, result: ToolResult): void {
  host.send({
    type: "conversation.item.create",
    item: { type: "function_call_output", call_id: callId, output: toolOutput(result) },
  });
}
