/**
 * One response of the fake Realtime service, streamed from a script: spoken
 * audio with its transcript (faster than real time), text only, a function
 * call, or a failure as the service reports one.
 *
 * The event sequences follow openai-node's `RealtimeServerEvent` docs
 * (https://github.com/openai/openai-node). Token counts follow OpenAI's cost
 * guide (https://developers.openai.com/api/docs/guides/realtime-costs): "Audio
 * tokens in user messages are 1 token per 100 ms of audio, while audio tokens
 * in assistant messages are 1 token per 50ms"; text is taken as 4 characters
 * per token (an approximation, no tokenizer).
 *
 * @module
 */
import { int16ToBase64 } from "../../lib/audio/pcm.ts";
import type { KnownServerEvent, ResponseUsage } from "../../lib/realtime/server_events.ts";

/** An error as the service reports it in `error` events and failed responses. */
export interface FakeError {
  type: string;
  code: string;
  message: string;
}

/** One scripted response. */
export type FakeResponse =
  | {
    kind: "audio";
    transcript: string;
    /** Sine frequency, Hz, when `pcm` is not given. @default 440 */
    toneHz?: number;
    /** Tone length, ms. @default 600 */
    durationMs?: number;
    /** Exact 24 kHz samples to stream instead of a tone. */
    pcm?: Int16Array;
  }
  | { kind: "function_call"; name: string; arguments: string }
  /** `response.created`, then `response.done` with `status: "failed"` and `status_details.error`. */
  | { kind: "failed"; error: FakeError }
  /** An `error` event answering the `response.create`; no response is created. */
  | { kind: "refused"; error: FakeError };

/** A server event before the fake stamps its `event_id`. */
export type Outgoing = KnownServerEvent extends infer E
  ? E extends unknown ? { [K in keyof E as K extends "event_id" ? never : K]: E[K] } : never
  : never;

const RATE = 24;

/** Tokens of `chars` characters of text (≈ 4 per token). */
export const textTokens = (chars: number): number => Math.ceil(chars / 4);
/** Tokens of caller audio: 1 per 100 ms. */
export const inputAudioTokens = (ms: number): number => Math.ceil(ms / 100);
/** Tokens of assistant audio: 1 per 50 ms. */
export const outputAudioTokens = (ms: number): number => Math.ceil(ms / 50);

/** A sine tone at 24 kHz, amplitude 8000. */
export function tone(hz: number, ms: number, amplitude = 8000): Int16Array {
  const out = new Int16Array(Math.round(ms * RATE));
  for (let i = 0; i < out.length; i++) {
    out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / 24000));
  }
  return out;
}

/** A `rate_limits.updated` entry. */
export type RateLimit = {
  name: "tokens" | "requests";
  limit: number;
  remaining: number;
  reset_seconds: number;
};

/** The input side of a response's usage, computed by the connection from its conversation. */
export interface InputUsage {
  text: number;
  audio: number;
  cachedText: number;
  cachedAudio: number;
}

/** What a stream needs from its connection. */
export interface StreamHost {
  send(event: Outgoing): void;
  /** For events outside the bridge's schema (e.g. `response.content_part.added`). */
  sendRaw(event: { type: string; [k: string]: unknown }): void;
  id(prefix: string): string;
  speed: number;
  chunkMs: number;
  lateDeltas: number;
  /** Real ms between `response.created` and the first output (the model thinking). */
  thinkMs: number;
  /** The model answers in text only (see the connection). */
  textOnly: boolean;
  /** The response's output item joined the conversation. */
  addItem(id: string, role: "assistant" | "", type: string): void;
  /** Audio (ms) and text (characters) of an output item so far. */
  grow(id: string, audioMs: number, chars: number): void;
  /** The response ended, having sent `audioMs` of audio and `outputTokens` in all. */
  ended(audioMs: number, outputTokens: number): void;
}

/** A response being streamed. */
export class ResponseStream {
  readonly id: string;
  readonly #host: StreamHost;
  readonly #metadata: Record<string, string> | null;
  readonly #input: InputUsage;
  readonly #itemId: string;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #finish: ((status: "completed" | "cancelled", reason?: string) => void) | null = null;
  #outText = 0;
  #outAudioMs = 0;

  /** A response to `metadata`'s request, reading `input` tokens; {@linkcode start} streams it. */
  constructor(host: StreamHost, metadata: Record<string, string> | null, input: InputUsage) {
    this.#host = host;
    this.id = host.id("resp");
    this.#metadata = metadata;
    this.#input = input;
    this.#itemId = host.id("item");
  }

  /** Announces the response and streams `script`, after the `rate_limits.updated` "emitted at the beginning of a Response". */
  start(script: Exclude<FakeResponse, { kind: "refused" }>, limits: readonly RateLimit[]): void {
    const host = this.#host;
    host.send({ type: "response.created", response: this.#response("in_progress") });
    host.send({ type: "rate_limits.updated", rate_limits: [...limits] });
    if (host.thinkMs <= 0 || script.kind === "failed") return this.#content(script);
    // Thinking: a cancel now ends the response with nothing generated.
    this.#finish = (status, reason) => {
      clearTimeout(this.#timer);
      this.#done(status, status === "cancelled" ? { type: "cancelled", reason } : null);
    };
    this.#timer = setTimeout(() => {
      this.#finish = null;
      this.#content(script);
    }, host.thinkMs);
  }

  #content(script: Exclude<FakeResponse, { kind: "refused" }>): void {
    const host = this.#host;
    if (script.kind === "failed") this.#fail(script.error);
    else if (script.kind === "function_call") this.#functionCall(script.name, script.arguments);
    else if (host.textOnly) this.#text(script.transcript);
    else {
      this.#audio(
        script.pcm ?? tone(script.toneHz ?? 440, script.durationMs ?? 600),
        script.transcript,
      );
    }
  }

  /** Ends the response now (a cancel), with the events the service sends. */
  cancel(reason: "client_cancelled" | "turn_detected"): void {
    this.#finish?.("cancelled", reason);
  }

  /** Stops streaming without a word (the socket closed). */
  stop(): void {
    clearTimeout(this.#timer);
    this.#finish = null;
  }

  #response(status: "in_progress" | "completed" | "cancelled" | "failed", extra = {}) {
    return {
      id: this.id,
      object: "realtime.response",
      status,
      output: [],
      metadata: this.#metadata,
      ...extra,
    };
  }

  #done(
    status: "completed" | "cancelled" | "failed",
    statusDetails: Record<string, unknown> | null,
  ): void {
    this.#finish = null;
    const usage = this.#usage();
    this.#host.ended(this.#outAudioMs, usage.output_tokens ?? 0);
    this.#host.send({
      type: "response.done",
      response: this.#response(status, { status_details: statusDetails, usage }),
    });
  }

  #fail(error: FakeError): void {
    // A failed response generated nothing, yet its input was processed.
    this.#done("failed", { type: "failed", error });
  }

  #usage(): ResponseUsage {
    const { text, audio, cachedText, cachedAudio } = this.#input;
    const outText = textTokens(this.#outText);
    const outAudio = outputAudioTokens(this.#outAudioMs);
    return {
      total_tokens: text + audio + outText + outAudio,
      input_tokens: text + audio,
      output_tokens: outText + outAudio,
      input_token_details: {
        text_tokens: text,
        audio_tokens: audio,
        image_tokens: 0,
        cached_tokens: cachedText + cachedAudio,
        cached_tokens_details: {
          text_tokens: cachedText,
          audio_tokens: cachedAudio,
          image_tokens: 0,
        },
      },
      output_token_details: { text_tokens: outText, audio_tokens: outAudio },
    };
  }

  #ref() {
    return { response_id: this.id, item_id: this.#itemId, output_index: 0 };
  }

  #functionCall(name: string, args: string): void {
    const host = this.#host;
    const item = { id: this.#itemId, type: "function_call", call_id: host.id("call"), name };
    host.addItem(this.#itemId, "", "function_call");
    host.send({
      type: "response.output_item.added",
      ...this.#ref(),
      item: { ...item, arguments: "" },
    });
    const half = Math.floor(args.length / 2);
    for (const delta of [args.slice(0, half), args.slice(half)]) {
      host.send({
        type: "response.function_call_arguments.delta",
        ...this.#ref(),
        call_id: item.call_id,
        delta,
      });
    }
    host.send({
      type: "response.function_call_arguments.done",
      ...this.#ref(),
      call_id: item.call_id,
      name,
      arguments: args,
    });
    host.grow(this.#itemId, 0, args.length);
    this.#outText = args.length;
    host.send({
      type: "response.output_item.done",
      ...this.#ref(),
      item: { ...item, arguments: args, status: "completed" },
    });
    this.#done("completed", null);
  }

  #openMessage(part: "output_audio" | "output_text"): void {
    const host = this.#host;
    host.addItem(this.#itemId, "assistant", "message");
    const message = { id: this.#itemId, type: "message", role: "assistant" };
    host.send({
      type: "response.output_item.added",
      ...this.#ref(),
      item: { ...message, status: "in_progress" },
    });
    host.sendRaw({
      type: "response.content_part.added",
      ...this.#ref(),
      content_index: 0,
      part: { type: part },
    });
  }

  #closeMessage(status: "completed" | "cancelled"): void {
    const itemStatus = status === "completed" ? "completed" : "incomplete";
    this.#host.send({
      type: "response.output_item.done",
      ...this.#ref(),
      item: { id: this.#itemId, type: "message", role: "assistant", status: itemStatus },
    });
  }

  /** Text only: what the service answers once it "forgets it can do audio". */
  #text(text: string): void {
    this.#openMessage("output_text");
    const part = { ...this.#ref(), content_index: 0 };
    for (const delta of text.split(/(?<= )/)) {
      this.#host.send({ type: "response.output_text.delta", ...part, delta });
    }
    this.#host.send({ type: "response.output_text.done", ...part, text });
    this.#outText = text.length;
    this.#host.grow(this.#itemId, 0, text.length);
    this.#closeMessage("completed");
    this.#done("completed", null);
  }

  #audio(pcm: Int16Array, transcript: string): void {
    const host = this.#host;
    this.#openMessage("output_audio");
    const part = { ...this.#ref(), content_index: 0 };
    const words = transcript.split(/(?<= )/);
    const chunk = host.chunkMs * RATE;
    let offset = 0;
    let said = "";
    const sendChunk = () => {
      const piece = pcm.subarray(offset, offset + chunk);
      offset += piece.length;
      const word = words.shift();
      if (word !== undefined) {
        said += word;
        host.send({ type: "response.output_audio_transcript.delta", ...part, delta: word });
      }
      this.#outAudioMs += piece.length / RATE;
      host.grow(this.#itemId, piece.length / RATE, word?.length ?? 0);
      host.send({ type: "response.output_audio.delta", ...part, delta: int16ToBase64(piece) });
    };
    this.#finish = (status, reason) => {
      clearTimeout(this.#timer);
      // The service keeps sending frames already in flight after a cancel.
      const late = status === "cancelled" ? host.lateDeltas : 0;
      for (let i = 0; i < late && offset < pcm.length; i++) sendChunk();
      host.send({ type: "response.output_audio.done", ...part });
      host.send({ type: "response.output_audio_transcript.done", ...part, transcript: said });
      this.#outText = said.length;
      this.#closeMessage(status);
      this.#done(status, status === "cancelled" ? { type: "cancelled", reason } : null);
    };
    const tick = () => {
      if (!this.#finish) return;
      sendChunk();
      if (offset >= pcm.length) {
        said += words.join("");
        return this.#finish("completed");
      }
      this.#timer = setTimeout(tick, host.chunkMs / host.speed);
    };
    tick();
  }
}
