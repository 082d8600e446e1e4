/**
 * The OpenAI Realtime (GA) agent: one WebSocket per call, 24 kHz PCM both ways.
 *
 * It composes one call's units and routes server events between them:
 * - {@linkcode RealtimeConnection}: the socket, its `session.update` handshake
 *   and its reconnects (`start()` resolves on `session.updated`);
 * - {@linkcode ResponseQueue}: `response.create`, at most one in flight;
 * - {@linkcode ItemTracker}: per agent line, audio received vs heard, barge-in
 *   cuts, and the transcript stored exactly once;
 * - `tools.ts`, `tool_calls.ts`: `end_call` and the HTTP function tools.
 *
 * Choices worth knowing:
 * - Caller audio goes out two frames (40 ms) per `input_audio_buffer.append`,
 *   halving JSON/base64 overhead for at most 20 ms of extra VAD latency.
 * - While reconnecting, caller audio is dropped: the caller hears silence and
 *   the new session starts from a clean input buffer instead of a burst.
 * - Barge-in (reference §4.3): flush the player synchronously, drop the rest
 *   of the active response, then let the tracker cut each unplayed item. No
 *   `response.cancel`: with `interrupt_response` on (always, see
 *   session_config.ts) the server cancels the response itself at speech
 *   start (`status_details.reason: "turn_detected"`), and a client cancel
 *   racing it gets `response_cancel_not_active` (openai/openai-agents-js#220,
 *   whose maintainer made the SDK cancel only when `interrupt_response` is off).
 * - No silence after an error: a response that fails, speaks only text or is
 *   never answered is retried (response_queue.ts); when it keeps failing the
 *   call ends (`onFatal`) or, for the goodbye, hangs up.
 * - Usage from every `response.done` and caller transcription goes to the
 *   session as it accrues, so an abrupt end loses none already reported.
 *
 * @module
 */
import { getLogger, type Logger } from "@logtape/logtape";
import type { Agent, AgentContext } from "./agent.ts";
import type {
  KnownServerEvent,
  RealtimeResponse,
  ServerError,
} from "../../lib/realtime/server_events.ts";
import type { SessionConfig } from "../../lib/realtime/session.ts";
import { responseUsage, transcriptionUsage } from "../../lib/realtime/usage.ts";
import { base64ToInt16, int16ToBase64, PcmDecodeError } from "../../lib/audio/pcm.ts";
import { CallerSpeech } from "./caller_speech.ts";
import { cutEvent, ItemTracker } from "./item_tracker.ts";
import { RealtimeConnection } from "./realtime_connection.ts";
import { type ResponseFailure, type ResponsePurpose, ResponseQueue } from "./response_queue.ts";
import { ResponseOutcomes } from "./response_outcome.ts";
import { historySummary, sessionConfig } from "./session_config.ts";
import { renderInstructions } from "./instructions.ts";
import { type OpenAIRealtimeConfig, resolveConfig, type ResolvedConfig } from "./openai_config.ts";
import type { ToolCall } from "./tools.ts";
import { answerFunctionCall } from "./tool_calls.ts";

export type { OpenAIRealtimeConfig } from "./openai_config.ts";
export type { RealtimeSocket, WebSocketFactory } from "./realtime_connection.ts";
export type { TimerId, Timers } from "./timers.ts";

const GREETING = "The call has just connected. Greet the caller briefly and ask how you can help.";
const GOODBYE = "The call must end now. Say a brief, polite goodbye in one short sentence.";
const greetWith = (words: string) =>
  `The call has just connected. Greet the caller with exactly these words, then let them answer: "${words}"`;
const sayExactly = (message: string) =>
  `Say exactly the following message, word for word, and nothing else: "${message}"`;

/** One call's units, wired together by {@linkcode OpenAIRealtimeAgent.start}. */
interface Call {
  ctx: AgentContext;
  log: Logger;
  conn: RealtimeConnection;
  responses: ResponseQueue;
  outcomes: ResponseOutcomes;
  items: ItemTracker;
  speech: CallerSpeech;
  /** Aborts tool requests when the call ends. */
  tools: AbortController;
}

/** Speaks to the caller through OpenAI Realtime. */
export class OpenAIRealtimeAgent implements Agent {
  #cfg: ResolvedConfig;
  readonly #log: Logger;
  #call: Call | null = null;
  #pendingFrame: Int16Array | null = null;
  /** Caller frames pushed so far: the caller-audio timeline of turn latency. */
  #callerFrames = 0;
  /** The pushed frame that starts the connection's input timeline (`audio_end_ms` 0). */
  #inputOrigin: number | undefined;
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
    // The caller's context fills the prompt's placeholders, for the session and every response.
    // A business-initiated call brings its purpose, variables filled: it replaces the prompt.
    const instructions = ctx.instructions ?? renderInstructions(this.#cfg.instructions, ctx.caller);
    this.#cfg = { ...this.#cfg, instructions, greeting: ctx.greeting ?? this.#cfg.greeting };
    const call = this.#wire(ctx);
    this.#call = call;
    await call.conn.open();
    // Meta may have accepted (and the greeting been queued) before OpenAI confirmed the session.
    call.responses.pump();
  }

  /** Greets at once, with the session persona plus a greeting directive (the configured words, if any). */
  callAccepted(): void {
    const words = this.#cfg.greeting.trim();
    if (this.#call) this.#respond(this.#call, "greeting", words ? greetWith(words) : GREETING);
  }

  /**
   * Says `message` word for word and nothing else, then hangs up with
   * `reason` (as {@linkcode sayGoodbye} does): the outside-hours notice.
   */
  speakAndHangUp(message: string, reason: string): void {
    const call = this.#call;
    if (!call) return;
    // Still connecting is fine: the response waits in the queue for `session.updated`.
    if (call.conn.state === "closed") {
      call.ctx.requestHangup(reason);
      return;
    }
    this.#goodbye = reason;
    this.#respond(call, "goodbye", sayExactly(message));
  }

  /** Sends caller audio, two frames per append; dropped while not connected. */
  pushAudio(frame: Int16Array): void {
    const call = this.#call;
    const index = this.#callerFrames++;
    if (call?.conn.state !== "ready") {
      this.#inputOrigin = undefined;
      return;
    }
    if (this.#inputOrigin === undefined) {
      // A new session's input buffer starts here; a frame held from the old one is not its.
      this.#inputOrigin = index;
      this.#pendingFrame = null;
    }
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
        const item = historySummary(ctx.history(), cfg.historyLimit);
        if (item) conn.send({ type: "conversation.item.create", item });
      },
      onEvent: (event) => this.#onEvent(call, event),
      onDrop: () => this.#onDrop(call),
      onReconnected: (attempt, downMs) => {
        ctx.onEvent("openai_reconnected", { attempt, downMs });
        call.responses.pump(); // what was asked for before the drop
      },
      onFatal: (message) => this.#onFatal(call, message),
    });
    const call: Call = {
      ctx,
      log,
      conn,
      responses: new ResponseQueue({
        send: (response) => conn.send({ type: "response.create", response }),
        ready: () => conn.state === "ready",
        timers: cfg.timers,
        maxAttempts: cfg.maxResponseAttempts,
        retryMs: cfg.responseRetryMs,
        createTimeoutMs: cfg.responseCreateTimeoutMs,
        onGiveUp: (failure) => this.#giveUp(call, failure),
        logger: log,
      }),
      outcomes: new ResponseOutcomes(),
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

  /** Stores what was heard, then stops tools, retries and pending reports. */
  #stopWork(call: Call): void {
    call.items.close();
    call.responses.close();
    call.tools.abort();
  }

  #onDrop(call: Call): void {
    this.#pendingFrame = null;
    call.responses.dropped();
    call.outcomes.clear();
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

  /** A response failed on every try: the caller would wait in silence, so the call ends. */
  #giveUp(call: Call, failure: ResponseFailure): void {
    call.ctx.onEvent("openai_response_failed", { ...failure });
    const goodbye = this.#goodbye;
    if (failure.purpose === "goodbye" && goodbye !== null) {
      // Without its goodbye, but never left on an open line.
      this.#goodbye = null;
      call.ctx.requestHangup(goodbye);
      return;
    }
    this.#onFatal(
      call,
      `the ${failure.purpose} response failed ${failure.attempts} times (${failure.reason})`,
    );
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
        ctx.onCallerSpeechStarted?.();
        return this.#bargeIn(call);
      case "input_audio_buffer.speech_stopped":
        if (this.#inputOrigin !== undefined) {
          ctx.onCallerSpeechEnded?.(this.#inputOrigin * 20 + event.audio_end_ms);
        }
        return call.speech.stopped(event.item_id);
      case "conversation.item.input_audio_transcription.completed": {
        if (event.usage) ctx.onUsage(transcriptionUsage(this.#cfg.transcriptionModel, event.usage));
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
        call.outcomes.audio(event.response_id);
        if (items.isDiscarded(event.response_id)) return; // late audio of a cut response
        const pcm = base64ToInt16(event.delta);
        if (pcm instanceof PcmDecodeError) {
          call.log.warn("OPENAI_REALTIME_BAD_AUDIO", { error: pcm.message });
          return;
        }
        return items.audio(event.item_id, event.response_id, pcm);
      }
      case "response.output_text.delta":
        if (!items.isDiscarded(event.response_id)) {
          call.outcomes.text(event.response_id, event.item_id);
        }
        return;
      case "response.output_audio_transcript.delta":
        if (!items.isDiscarded(event.response_id)) {
          ctx.onTranscriptDelta?.("agent", event.item_id, event.delta);
        }
        return items.transcriptDelta(event.item_id, event.response_id, event.delta);
      case "conversation.item.input_audio_transcription.delta":
        return ctx.onTranscriptDelta?.("caller", event.item_id, event.delta);
      case "response.output_audio.done":
        return items.audioDone(event.item_id);
      case "response.output_audio_transcript.done":
        return items.transcriptDone(event.item_id, event.response_id, event.transcript);
      case "response.function_call_arguments.done":
        if (items.isDiscarded(event.response_id)) return;
        this.#onFunctionCall(call, {
          name: event.name,
          arguments: event.arguments,
          callId: event.call_id,
        }).catch((e) =>
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

  #onResponseDone(call: Call, r: RealtimeResponse): void {
    call.ctx.onUsage(responseUsage(this.#cfg.model, r.usage));
    const { failure, textItems } = call.outcomes.settle(r);
    if (failure !== undefined) {
      call.log.warn("OPENAI_RESPONSE_FAILED", {
        responseId: r.id,
        purpose: r.metadata?.purpose,
        failure,
        message: r.status_details?.error?.message,
      });
      // Text the caller never heard must not become the model's example.
      for (const itemId of textItems) {
        call.conn.send({ type: "conversation.item.delete", item_id: itemId });
      }
    } else if (r.metadata?.purpose === "goodbye" && this.#goodbye !== null) {
      const reason = this.#goodbye;
      this.#goodbye = null;
      call.ctx.requestHangup(reason);
    }
    call.responses.done(r, failure);
  }

  #onServerError(call: Call, err: ServerError): void {
    if (call.responses.refused(err)) {
      if (err.code === "conversation_already_has_active_response") return;
      call.log.warn("OPENAI_RESPONSE_REFUSED", {
        type: err.type,
        code: err.code,
        message: err.message,
      });
      return;
    }
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
    // The server cancels it (interrupt_response); its late deltas are dropped here.
    const cancelled = call.responses.active;
    if (cancelled) call.items.discard(cancelled);
    const cuts = call.items.bargeIn(played);
    for (const cut of cuts) call.conn.send(cutEvent(cut));
    if (!cancelled && cuts.length === 0) return;
    call.log.info("AGENT_BARGE_IN", { cancelled, items: cuts });
    call.ctx.onEvent("barge_in", { cancelledResponseId: cancelled, items: cuts });
  }

  // ------------------------------------------------------------------ tools

  #onFunctionCall(call: Call, toolCall: ToolCall): Promise<void> {
    const { conn } = call;
    const generation = conn.generation;
    const { clock, fetch, toolTimeoutMs, timers, tools } = this.#cfg;
    return answerFunctionCall({
      ctx: call.ctx,
      log: call.log,
      clock,
      send: (event) => conn.send(event),
      current: () => conn.state !== "closed" && generation === conn.generation,
      tools,
      run: { fetch, timeoutMs: toolTimeoutMs, signal: call.tools.signal, timers },
      followUp: () => this.#respond(call, "tool"),
    }, toolCall);
  }
}
