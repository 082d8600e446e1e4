/**
 * Delivers the end-of-call webhook from its outbox in the call store
 * (`store/call_webhooks.ts`): claims due messages, signs each attempt per
 * Standard Webhooks (`lib/webhooks/standard_webhooks.ts`) and POSTs it.
 *
 * Per the spec's "Delivery success and failure": a 2xx delivers; 410 Gone
 * stops that message (the receiver asked for no more); anything else (3xx,
 * 4xx, 5xx, timeout, refused connection) is retried on the schedule of
 * `lib/webhooks/retry_schedule.ts`, honouring `Retry-After`, until the
 * schedule (≈ 75 h) ends and the message is marked failed. The same
 * `webhook-id` goes with every attempt; `webhook-timestamp` is the attempt's.
 *
 * Bounded: at most `concurrency` requests at once, each cut at
 * `requestTimeoutMs` (the spec suggests 15 to 30 s).
 *
 * @module
 */
import { callLogger, eventLogger } from "../log.ts";
import { retryDelayMs } from "../../lib/webhooks/retry_schedule.ts";
import {
  splitWebhookSecrets,
  webhookHeaders,
  webhookSecretsProblem,
  webhookSigningKey,
} from "../../lib/webhooks/standard_webhooks.ts";
import type {
  ClaimedWebhook,
  WebhookOutboxStore,
  WebhookSettlement,
} from "../../store/call_webhooks.ts";

/** Log events of the deliverer (`bridge.webhooks`); message lines carry `callId`. */
export type WebhookLogEvent =
  | "CALL_WEBHOOK_DELIVERED"
  /** An attempt failed; `retryInMs` until the next. */
  | "CALL_WEBHOOK_RETRY"
  /** The receiver answered 410 Gone: this message is not sent again. */
  | "CALL_WEBHOOK_GONE"
  /** The retry schedule ended without a 2xx: the message is marked failed. */
  | "CALL_WEBHOOK_FAILED"
  /** The outbox could not be read or written (the database); tried again on the next poll. */
  | "CALL_WEBHOOK_OUTBOX_ERROR";

/** Options of {@linkcode WebhookDeliverer}. */
export interface WebhookDelivererOptions {
  store: WebhookOutboxStore;
  /** `CALL_WEBHOOK_URL`. */
  url: string;
  /** `CALL_WEBHOOK_SECRET`, `whsec_…`. */
  secret: string;
  /** Wall-clock ms since the epoch; injected by tests. @default Date.now */
  now?: () => number;
  fetch?: typeof fetch;
  /** Requests in flight at most. @default 4 */
  concurrency?: number;
  /** @default 15_000 */
  requestTimeoutMs?: number;
  /** How long a claim holds a message before another deliverer may try it. @default timeout + 30 s */
  leaseMs?: number;
  /** Time between polls of the outbox when not woken. @default 2_000 */
  pollMs?: number;
  /** Jitter source for the schedule, [0, 1). @default Math.random */
  random?: () => number;
}

/** Batches of `concurrency` claimed per pass at most, so one pass is bounded. */
const MAX_BATCHES_PER_PASS = 10;

const log = eventLogger<WebhookLogEvent>("webhooks");

/** Sends the outbox's due messages, once per `deliverDue()` or in a loop after `start()`. */
export class WebhookDeliverer {
  #o: Required<Omit<WebhookDelivererOptions, "fetch">> & { fetch: typeof fetch };
  #keys: Promise<CryptoKey[]>;
  /** Scheme, host and port only: a URL's path or query may carry the receiver's token. */
  readonly target: string;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pass: Promise<void> | undefined;
  #again = false;
  #started = false;
  #stopped = false;

  /** Validates the secret (throws without showing it) and the URL. */
  constructor(options: WebhookDelivererOptions) {
    const requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.#o = {
      now: Date.now,
      concurrency: 4,
      leaseMs: requestTimeoutMs + 30_000,
      pollMs: 2_000,
      random: Math.random,
      ...options,
      requestTimeoutMs,
      fetch: options.fetch ?? fetch,
    };
    this.target = new URL(options.url).origin;
    // Throws here, at start-up, not on the first call's webhook.
    const problem = webhookSecretsProblem(options.secret);
    if (problem !== undefined) throw new RangeError(`webhook secret ${problem}`);
    this.#keys = Promise.all(splitWebhookSecrets(options.secret).map(webhookSigningKey));
  }

  /**
   * One pass: claims due messages (`concurrency` at a time, a bounded number
   * of batches) and makes one attempt at each. Returns the attempts made.
   */
  async deliverDue(): Promise<number> {
    let total = 0;
    for (let batch = 0; batch < MAX_BATCHES_PER_PASS; batch++) {
      const now = this.#o.now();
      const claimed = await this.#o.store.claimWebhooks(
        new Date(now),
        new Date(now + this.#o.leaseMs),
        this.#o.concurrency,
      );
      await Promise.all(claimed.map((message) => this.#attempt(message)));
      total += claimed.length;
      if (claimed.length < this.#o.concurrency) break;
    }
    return total;
  }

  /** Polls every `pollMs` until {@linkcode stop}; resumes whatever an earlier process left pending. */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    this.#kick();
  }

  /** Runs a pass now (a message was enqueued), or right after the one under way. */
  wake(): void {
    if (this.#started) this.#kick();
  }

  /** Stops polling and waits for the pass under way (bounded by the request timeout). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#pass;
  }

  #kick(): void {
    if (this.#stopped) return;
    if (this.#pass) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#pass = this.deliverDue()
      .then(() => {}, (error) => log.error("CALL_WEBHOOK_OUTBOX_ERROR", { error: String(error) }))
      .finally(() => {
        this.#pass = undefined;
        if (this.#stopped) return;
        if (this.#again) {
          this.#again = false;
          this.#kick();
        } else {
          this.#timer = setTimeout(() => this.#kick(), this.#o.pollMs);
        }
      });
  }

  async #attempt(message: ClaimedWebhook): Promise<void> {
    const at = new Date(this.#o.now());
    const { status, error, retryAfterMs } = await this.#post(message, at);
    const outcome = this.#outcome(message.attempt, at, status, error, retryAfterMs);
    const settled = await this.#o.store.settleWebhook(message.webhookId, message.attempt, outcome)
      .catch((e) => {
        log.error("CALL_WEBHOOK_OUTBOX_ERROR", { webhookId: message.webhookId, error: String(e) });
        return false;
      });
    if (settled) this.#logOutcome(message, outcome);
  }

  async #post(
    message: ClaimedWebhook,
    at: Date,
  ): Promise<{ status: number | null; error: string | null; retryAfterMs: number }> {
    const body = JSON.stringify(message.payload);
    try {
      const headers = await webhookHeaders(await this.#keys, message.webhookId, at, body);
      const response = await this.#o.fetch(this.#o.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
        // A redirect is a failure (spec): the operator should update the URL instead.
        redirect: "manual",
        signal: AbortSignal.timeout(this.#o.requestTimeoutMs),
      });
      await response.body?.cancel().catch(() => {});
      const ok = response.status >= 200 && response.status < 300;
      return {
        status: response.status,
        error: ok ? null : `HTTP ${response.status}`,
        retryAfterMs: retryAfterMs(response.headers.get("retry-after"), at.getTime()),
      };
    } catch (error) {
      return { status: null, error: this.#scrub(error), retryAfterMs: 0 };
    }
  }

  #outcome(
    attempt: number,
    at: Date,
    status: number | null,
    error: string | null,
    retryAfter: number,
  ): WebhookSettlement {
    if (status !== null && status >= 200 && status < 300) {
      return { state: "delivered", at, status, error: null };
    }
    if (status === 410) return { state: "gone", at, status, error };
    const delay = retryDelayMs(attempt, this.#o.random, retryAfter);
    if (delay === null) return { state: "failed", at, status, error };
    return { state: "pending", at, nextAttemptAt: new Date(at.getTime() + delay), status, error };
  }

  #logOutcome(message: ClaimedWebhook, outcome: WebhookSettlement): void {
    const l = callLogger<WebhookLogEvent>(message.callId, "webhooks");
    const fields = {
      webhookId: message.webhookId,
      type: message.type,
      attempt: message.attempt,
      status: outcome.status,
      target: this.target,
    };
    if (outcome.state === "delivered") l.info("CALL_WEBHOOK_DELIVERED", fields);
    else if (outcome.state === "gone") l.warn("CALL_WEBHOOK_GONE", fields);
    else if (outcome.state === "failed") {
      l.error("CALL_WEBHOOK_FAILED", { ...fields, error: outcome.error });
    } else {
      const retryInMs = outcome.nextAttemptAt!.getTime() - outcome.at.getTime();
      l.warn("CALL_WEBHOOK_RETRY", { ...fields, error: outcome.error, retryInMs });
    }
  }

  /** The error's text with the URL cut to its origin (fetch errors quote the whole URL). */
  #scrub(error: unknown): string {
    const cause = error instanceof Error && error.cause !== undefined ? `: ${error.cause}` : "";
    const text = error instanceof Error && error.name === "TimeoutError"
      ? `timed out after ${this.#o.requestTimeoutMs} ms`
      : `${error}${cause}`;
    return text.replaceAll(this.#o.url, this.target);
  }
}

/** `Retry-After` (seconds or an HTTP date) in ms from `nowMs`; 0 when absent or unreadable. */
export function retryAfterMs(header: string | null, nowMs: number): number {
  if (header === null) return 0;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? 0 : Math.max(0, date - nowMs);
}
