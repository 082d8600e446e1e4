/**
 * What happens after a call ends, in order, off the call path: once the call
 * record is closed, finish the recording, settle cost and latency, enqueue
 * `call.ended`, run the analysis, enqueue `call.analyzed`. Each step is an
 * injected, optional function of its part (rec-capture, figures, analysis),
 * bounded in time; one failing is logged and the next still runs.
 *
 * The runner never throws into the session that ended, runs once per call
 * however often it is told, and enqueues nothing without `CALL_WEBHOOK_URL`
 * (no `webhook` option). Delivery is the outbox deliverer's.
 *
 * @module
 */
import { newWebhookId } from "../../lib/webhooks/standard_webhooks.ts";
import type { CallWebhookType } from "../../lib/webhooks/call_webhook_payload.ts";
import type { WebhookOutboxStore } from "../../store/call_webhooks.ts";
import { TERMINAL_CALL_STATUSES } from "../../store/store.ts";
import { callLogger } from "../log.ts";
import {
  buildCallWebhookPayload,
  type CallReportParts,
  type CallReportStore,
} from "./call_report.ts";

/** The parts' post-call steps, each taking the call id (the wiring binds their other arguments). */
export interface PostCallSteps {
  /** rec-capture's `finishRecording(callId)`. */
  finishRecording?(callId: string): Promise<unknown>;
  /** figures' `settleCallFigures(store, callId)`, bound to the store. */
  settleCallFigures?(callId: string): Promise<unknown>;
  /** analysis' `analyseCall(deps, callId)`, bound to its deps. */
  analyseCall?(callId: string): Promise<unknown>;
}

/** Log events of the runner (`bridge.post_call`); each line carries `callId`. */
export type PostCallLogEvent =
  | "POST_CALL_STEP_FAILED"
  | "CALL_WEBHOOK_ENQUEUED"
  /** The message could not be written to the outbox: it is lost (the database was down throughout). */
  | "CALL_WEBHOOK_ENQUEUE_FAILED"
  | "POST_CALL_DONE";

/** Options of {@linkcode PostCallRunner}. */
export interface PostCallOptions {
  store: CallReportStore & Pick<WebhookOutboxStore, "enqueueWebhook">;
  steps?: PostCallSteps | undefined;
  parts?: CallReportParts | undefined;
  /** Present when `CALL_WEBHOOK_URL` is set: `onEnqueued` wakes the deliverer. */
  webhook?: { onEnqueued(): void } | undefined;
  /** Wall clock, ms since the epoch (the events' `timestamp`). @default Date.now */
  now?: () => number;
  /** Bound on finishing the recording and on settling the figures, each. @default 30_000 */
  stepTimeoutMs?: number;
  /** Bound on the analysis (one model request). @default 120_000 */
  analysisTimeoutMs?: number;
  /** Bound on each report part (cost, latency, link, analysis) per message. @default 10_000 */
  partTimeoutMs?: number;
  /** How long to wait for another writer (the function) to close the call record. @default 3_000 */
  recordWaitMs?: number;
  /** Call ids remembered against a second run. @default 10_000 */
  maxRemembered?: number;
}

/** Runs the post-call steps once per call. */
export class PostCallRunner {
  #o: PostCallOptions;
  #runs = new Map<string, Promise<void>>();
  #done = new Set<string>();

  /** Creates a runner; nothing runs until a call ends. */
  constructor(options: PostCallOptions) {
    this.#o = options;
  }

  /** For a session's `onEnded`: starts the run and returns at once; never throws. */
  onCallEnded(callId: string): void {
    try {
      void this.run(callId);
    } catch {
      // run() catches everything itself; this guards the call path against the unforeseen.
    }
  }

  /** Runs the steps for the call, once: a second call returns the first run (or nothing). */
  run(callId: string): Promise<void> {
    const running = this.#runs.get(callId);
    if (running) return running;
    if (this.#done.has(callId)) return Promise.resolve();
    const run = this.#steps(callId)
      .catch((error) => this.#log(callId).error("POST_CALL_STEP_FAILED", { error: String(error) }))
      .finally(() => {
        this.#runs.delete(callId);
        this.#remember(callId);
      });
    this.#runs.set(callId, run);
    return run;
  }

  /** {@linkcode run}, even for a call this runner already ran: its run did not finish its work. */
  runAgain(callId: string): Promise<void> {
    this.#done.delete(callId);
    return this.run(callId);
  }

  /** Waits up to `timeoutMs` for the runs under way (on shutdown). */
  async drain(timeoutMs: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<void>((resolve) => timer = setTimeout(resolve, timeoutMs));
    await Promise.race([Promise.allSettled([...this.#runs.values()]), late]);
    clearTimeout(timer);
  }

  async #steps(callId: string): Promise<void> {
    const { steps = {}, stepTimeoutMs = 30_000, analysisTimeoutMs = 120_000 } = this.#o;
    const started = this.#now();
    await this.#recordClosed(callId);
    await this.#step(callId, "finishRecording", steps.finishRecording, stepTimeoutMs);
    await this.#step(callId, "settleCallFigures", steps.settleCallFigures, stepTimeoutMs);
    await this.#enqueue(callId, "call.ended");
    await this.#step(callId, "analyseCall", steps.analyseCall, analysisTimeoutMs);
    await this.#enqueue(callId, "call.analyzed");
    this.#log(callId).info("POST_CALL_DONE", { ms: this.#now() - started });
  }

  /** Waits, bounded, for the record's final status; the function may close it after the bridge. */
  async #recordClosed(callId: string): Promise<void> {
    const deadline = this.#now() + (this.#o.recordWaitMs ?? 3_000);
    for (let i = 0; i < 100; i++) {
      const call = await this.#o.store.getCall(callId).catch(() => null);
      if (call === null || TERMINAL_CALL_STATUSES.includes(call.status)) return;
      if (this.#now() >= deadline) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async #step(
    callId: string,
    name: keyof PostCallSteps,
    fn: ((callId: string) => Promise<unknown>) | undefined,
    timeoutMs: number,
  ): Promise<void> {
    if (fn === undefined) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`not done within ${timeoutMs} ms`)), timeoutMs);
      });
      await Promise.race([Promise.try(fn, callId), late]);
    } catch (error) {
      this.#log(callId).warn("POST_CALL_STEP_FAILED", { step: name, error: String(error) });
    } finally {
      clearTimeout(timer);
    }
  }

  async #enqueue(callId: string, type: CallWebhookType): Promise<void> {
    const webhook = this.#o.webhook;
    if (webhook === undefined) return;
    const at = new Date(this.#now());
    try {
      const payload = await buildCallWebhookPayload(
        { store: this.#o.store, parts: this.#o.parts ?? {}, partTimeoutMs: this.#o.partTimeoutMs },
        callId,
        type,
        at,
      );
      const webhookId = newWebhookId();
      const message = { webhookId, type, callId, payload, at };
      const { inserted } = await retried(() => this.#o.store.enqueueWebhook(message));
      if (inserted) this.#log(callId).info("CALL_WEBHOOK_ENQUEUED", { webhookId, type });
      webhook.onEnqueued();
    } catch (error) {
      this.#log(callId).error("CALL_WEBHOOK_ENQUEUE_FAILED", { type, error: String(error) });
    }
  }

  #remember(callId: string): void {
    this.#done.add(callId);
    // Oldest first out: a Set iterates in insertion order.
    const max = this.#o.maxRemembered ?? 10_000;
    for (const old of this.#done) {
      if (this.#done.size <= max) break;
      this.#done.delete(old);
    }
  }

  #now(): number {
    return (this.#o.now ?? Date.now)();
  }

  #log(callId: string) {
    return callLogger<PostCallLogEvent>(callId, "post_call");
  }
}

/** Waits before the 2nd and 3rd try of an outbox write: a database blip must not lose a webhook. */
const ENQUEUE_RETRY_MS = [1_000, 4_000];

async function retried<T>(fn: () => Promise<T>): Promise<T> {
  for (const wait of ENQUEUE_RETRY_MS) {
    try {
      return await fn();
    } catch {
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
  return await fn();
}
