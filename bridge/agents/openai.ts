/**
 * The OpenAI Realtime (GA) agent: one WebSocket per call, 24 kHz PCM both ways.
 *
 * It composes one call's units and routes server events between them:
 * - {@linkcode RealtimeConnection}: the socket, its `session.update` handshake
 *   and its reconnects (`start()` resolves on `session.updated`);
 * - {@linkcode ResponseQueue}: `response.create`, at most one in flight;
 * - {@linkcode ItemTracker}: per agent line, audio received vs heard, barge-in
 *   cuts, and the transcript stored exactly once;
 * - `tools.ts`: `end_call` and the HTTP function tools.
 *
 * Choices worth knowing:
 * - Caller audio goes out two frames (40 ms) per `input_audio_buffer.append`,
 *   halving JSON/base64 overhead for at most 20 ms of extra VAD latency.
 * - While reconnecting, caller audio is dropped: the caller hears silence and
 *   the new session starts from a clean input buffer instead of a burst.
 * - Barge-in (reference §4.3): flush the player synchronously, cancel the
 *   in-flight response by id, then let the tracker cut each unplayed item.
 *
 * @module
 */
import { getLogger, type Logger } from "@logtape/logtape";
import type { Agent, AgentContext } from "./agent.ts";
import type { KnownServerEvent, ServerError, SessionConfig } from "../../lib/realtime/events.ts";
import { base64ToInt16, int16ToBase64, PcmDecodeError } from "../../lib/audio/pcm.ts";
import { CallerSpeech } from "./caller_speech.ts";
import { cutEvent, ItemTracker } from "./item_tracker.ts";
import { RealtimeConnection } from "./realtime_connection.ts";
import { type ResponsePurpose, ResponseQueue } from "./response_queue.ts";
import { historyItems, sessionConfig } from "./session_config.ts";
import { type OpenAIRealtimeConfig, resolveConfig, type ResolvedConfig } from "./openai_config.ts";
import {
  END_CALL_TOOL,
  endCallReason,
  endCallResult,
  parseToolArguments,
  runTool,
  toolOutput,
  type ToolResult,
} from "./tools.ts";

export type { OpenAIRealtimeConfig } from "./openai_config.ts";
export type { RealtimeSocket, WebSocketFactory } from "./realtime_connection.ts";
export type { TimerId, Timers } from "./timers.ts";

const GREETING = "The call has just connected. Greet the caller briefly and ask how you can help.";
const GOODBYE = "The call must end now. Say a brief, polite goodbye in one short sentence.";

/** One call's units, wired together by {@linkcode OpenAIRealtimeAgent.start}. */
interface Call {
  ctx: AgentContext;
  log: Logger;
  conn: RealtimeConnection;
  responses: ResponseQueue;
  items: ItemTracker;
  speech: CallerSpeech;
  /** Aborts tool requests when the call ends. */
  tools: AbortController;
}

/** Speaks to the caller through OpenAI Realtime. */
export class OpenAIRealtimeAgent implements Agent {
  readonly #cfg: ResolvedConfig;
  readonly #log: Logger;
  #call: Call | null = null;
  #pendingFrame: Int16Array | null = null;
  #goodbye: string | null = null;

  /** Creates the agent; nothing connects until {@linkcode start}. */
  constructor(config: OpenAIRealtimeConfig) {
    this.#cfg = resolveConfig(config);
    this.#log = config.logger ?? getLogger(["bridge", "openai"]);
  }

  /** The `session.update` payload this agent sends (GA shape). */
  sessionConfig(): SessionConfig {
    return sessionConfig(this.#cfg);
  }

  /** Connects and configures the session; resolves on `session.updated`. */
  async start(ctx: AgentContext): Promise<void> {
    const call = this.#wire(ctx);
    this.#call = call;
    await call.conn.open();
    // Meta may have accepted (and the greeting been queued) before OpenAI confirmed the session.
    call.responses.pump();
  }

  /** Greets at once, with the session persona plus a greeting directive. */
  callAccepted(): void {
    if (this.#call) this.#respond(this.#call, "greeting", GREETING);
  }

  /** Sends caller audio, two frames per append; dropped while not connected. */
  pushAudio(frame: Int16Array): void {
    const call = this.#call;
    if (call?.conn.state !== "ready") return;
    const first = this.#pendingFrame;
    if (!first) {
      this.#pendingFrame = frame.slice();
      return;
    }
    this.#pendingFrame = null;
    const both = new Int16Array(first.length + frame.length);
    both.set(first);
    both.set(frame, first.length);
    call.conn.send({ type: "input_audio_buffer.append", audio: int16ToBase64(both) });
  }

  /** Tells the model which key was pressed and lets it answer. */
  pushDtmf(digit: string): void {
    const call = this.#call;
    if (!/^[0-9*#A-D]$/.test(digit) || call?.conn.state !== "ready") return;
    call.ctx.onEvent("dtmf", { digit });
    call.conn.send({
      type: "conversation.item.create",
      item: {
        type: "message",
        role: "user",
        content: [{ type: "input_text", text: `[The caller pressed ${digit} on the keypad]` }],
      },
    });
    if (!call.responses.has("dtmf")) this.#respond(call, "dtmf");
  }

  /** Asks for a short goodbye; the hang-up is requested when that response is done. */
  sayGoodbye(reason: string): void {
    const call = this.#call;
    if (call?.conn.state !== "ready") {
      call?.ctx.requestHangup(reason);
      return;
    }
    this.#goodbye = reason;
    this.#respond(call, "goodbye", GOODBYE);
  }

  /** Stores what was heard, closes the socket, aborts tool calls, cancels retries. Idempotent. */
  async close(reason: string): Promise<void> {
    const call = this.#call;
    if (!call) return;
    this.#stopWork(call);
    await call.conn.close(reason);
  }

  #wire(ctx: AgentContext): Call {
    const cfg = this.#cfg;
    const log = this.#log.with({ callId: ctx.callId });
    const conn: RealtimeConnection = new RealtimeConnection({ ...cfg, logger: log }, {
      session: () => this.sessionConfig(),
      onReopen: () => {
        for (const item of historyItems(ctx.history(), cfg.historyLimit)) {
          conn.send({ type: "conversation.item.create", item });
        }
      },
      onEvent: (event) => this.#onEvent(call, event),
      onDrop: () => this.#onDrop(call),
      onReconnected: (attempt, downMs) => ctx.onEvent("openai_reconnected", { attempt, downMs }),
      onFatal: (message) => this.#onFatal(call, message),
    });
    const call: Call = {
      ctx,
      log,
      conn,
      responses: new ResponseQueue({
        send: (response) => conn.send({ type: "response.create", response }),
        ready: () => conn.state === "ready",
        logger: log,
      }),
      items: new ItemTracker({
        audio: ctx.audio,
        clock: cfg.clock,
        timers: cfg.timers,
        onTranscript: (entry) => ctx.onTranscript(entry),
      }),
      speech: new CallerSpeech(cfg.clock),
      tools: new AbortController(),
    };
    return call;
  }

  /** Stores what was heard, then stops tools and pending reports. */
  #stopWork(call: Call): void {
    call.items.close();
    call.tools.abort();
  }

  #onDrop(call: Call): void {
    this.#pendingFrame = null;
    call.responses.reset();
    call.items.reset();
    call.speech.clear();
    if (this.#goodbye !== null) {
      // The goodbye cannot finish on a dead session; hang up on what was said.
      call.ctx.requestHangup(this.#goodbye);
      this.#goodbye = null;
    }
  }

  #onFatal(call: Call, message: string): void {
    this.#stopWork(call);
    call.log.error("OPENAI_REALTIME_FATAL", { error: message });
    call.ctx.onFatal(new Error(message));
  }

  #respond(call: Call, purpose: ResponsePurpose, directive?: string): void {
    call.responses.request(
      purpose,
      directive === undefined ? undefined : `${this.#cfg.instructions}\n\n${directive}`,
    );
  }

  // ---------------------------------------------------------------- events

  #onEvent(call: Call, event: KnownServerEvent): void {
    const { ctx, items } = call;
    switch (event.type) {
      case "input_audio_buffer.speech_started":
        call.speech.started(event.item_id);
        return this.#bargeIn(call);
      case "input_audio_buffer.speech_stopped":
        return call.speech.stopped(event.item_id);
      case "conversation.item.input_audio_transcription.completed": {
        const entry = call.speech.transcribed(event.item_id, event.transcript);
        if (entry) ctx.onTranscript(entry);
        return;
      }
      case "conversation.item.input_audio_transcription.failed":
        call.log.warn("OPENAI_TRANSCRIPTION_FAILED", {
          itemId: event.item_id,
          code: event.error.code,
          message: event.error.message,
        });
        return;
      case "response.created":
        return call.responses.created(event.response);
      case "response.output_audio.delta": {
        if (items.isDiscarded(event.response_id)) return; // late audio of a cut response
        const pcm = base64ToInt16(event.delta);
        if (pcm instanceof PcmDecodeError) {
          call.log.warn("OPENAI_REALTIME_BAD_AUDIO", { error: pcm.message });
          return;
        }
        return items.audio(event.item_id, event.response_id, pcm);
      }
      case "response.output_audio_transcript.delta":
        return items.transcriptDelta(event.item_id, event.response_id, event.delta);
      case "response.output_audio.done":
        return items.audioDone(event.item_id);
      case "response.output_audio_transcript.done":
        return items.transcriptDone(event.item_id, event.response_id, event.transcript);
      case "response.function_call_arguments.done":
        if (items.isDiscarded(event.response_id)) return;
        this.#onFunctionCall(call, event.name, event.arguments, event.call_id).catch((e) =>
          call.log.error("AGENT_TOOL_CALL_FAILED", { name: event.name, error: String(e) })
        );
        return;
      case "response.done":
        return this.#onResponseDone(call, event.response);
      case "error":
        return this.#onServerError(call, event.error);
      case "input_audio_buffer.timeout_triggered":
        ctx.onEvent("caller_idle", { itemId: event.item_id });
        return;
      default:
        return;
    }
  }

  #onResponseDone(
    call: Call,
    r: Extract<KnownServerEvent, { type: "response.done" }>["response"],
  ): void {
    if (r.status === "failed") {
      call.log.warn("OPENAI_RESPONSE_FAILED", {
        responseId: r.id,
        code: r.status_details?.error?.code,
        message: r.status_details?.error?.message,
      });
    }
    if (r.metadata?.purpose === "goodbye" && this.#goodbye !== null) {
      const reason = this.#goodbye;
      this.#goodbye = null;
      call.ctx.requestHangup(reason);
    }
    call.responses.done(r.id);
  }

  #onServerError(call: Call, err: ServerError): void {
    if (err.code === "response_cancel_not_active") {
      // Expected: interrupt_response already cancelled it server-side.
      call.log.debug("OPENAI_REALTIME_CANCEL_NOT_ACTIVE", { clientEventId: err.event_id });
      return;
    }
    if (call.responses.refused(err)) return;
    call.log.warn("OPENAI_REALTIME_ERROR", {
      type: err.type,
      code: err.code,
      message: err.message,
      param: err.param,
      clientEventId: err.event_id,
    });
  }

  #bargeIn(call: Call): void {
    const played = call.ctx.audio.flush();
    const cancelled = call.responses.active;
    if (cancelled) {
      call.items.discard(cancelled);
      call.conn.send({ type: "response.cancel", response_id: cancelled });
    }
    const cuts = call.items.bargeIn(played);
    for (const cut of cuts) call.conn.send(cutEvent(cut));
    if (!cancelled && cuts.length === 0) return;
    call.log.info("AGENT_BARGE_IN", { cancelled, items: cuts });
    call.ctx.onEvent("barge_in", { cancelledResponseId: cancelled, items: cuts });
  }

  // ------------------------------------------------------------------ tools

  async #onFunctionCall(call: Call, name: string, args: string, callId: string): Promise<void> {
    const { ctx, conn, log } = call;
    log.info("AGENT_TOOL_CALL", { name, toolCallId: callId });
    if (name === END_CALL_TOOL) {
      const parsed = parseToolArguments(args);
      if (!parsed.ok) {
        log.warn("AGENT_TOOL_BAD_ARGUMENTS", { name, toolCallId: callId, error: parsed.error });
      }
      this.#sendToolResult(call, callId, endCallResult);
      ctx.onEvent("tool_call", { name, callId, ok: true });
      ctx.requestHangup(endCallReason(parsed));
      return;
    }
    const generation = conn.generation;
    const { clock, fetch, toolTimeoutMs, timers } = this.#cfg;
    const started = clock();
    const result = await runTool(this.#cfg.tools, { name, arguments: args, callId }, {
      fetch,
      timeoutMs: toolTimeoutMs,
      signal: call.tools.signal,
      timers,
    });
    const durationMs = clock() - started;
    const error = result.ok ? {} : { error: result.error };
    log.info("AGENT_TOOL_RESULT", {
      name,
      toolCallId: callId,
      durationMs,
      ok: result.ok,
      ...error,
    });
    if (conn.state === "closed" || generation !== conn.generation) return; // session gone
    ctx.onEvent("tool_call", { name, callId, durationMs, ok: result.ok });
    this.#sendToolResult(call, callId, result);
    this.#respond(call, "tool");
  }

  #sendToolResult(call: Call, callId: string, result: ToolResult): void {
    call.conn.send({
      type: "conversation.item.create",
      item: { type: "function_call_output", call_id: callId, output: toolOutput(result) },
    });
  }
}
