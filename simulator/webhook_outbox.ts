/**
 * The webhooks the fake Meta sends on its own (terminate after a hang-up, a
 * reject or the ring window, a business-initiated answer): signed like Meta
 * signs them and handed to a sink without blocking the Graph request that
 * caused them; `flush()` waits for them and reports the sink's failures.
 *
 * @module
 */

import { type Payload, type SignedWebhook, signWebhook } from "./meta_webhooks.ts";

/** Where Meta's webhooks go, and the app secret that signs them. */
export interface WebhookSink {
  appSecret: string;
  send: (webhook: SignedWebhook) => unknown;
}

/** Webhooks on their way to a sink; without a sink they are dropped. */
export class WebhookOutbox {
  readonly #sink: WebhookSink | undefined;
  readonly #pending = new Set<Promise<unknown>>();
  readonly #errors: unknown[] = [];

  /** Sends to `sink`, when given. */
  constructor(sink: WebhookSink | undefined) {
    this.#sink = sink;
  }

  /** Signs and sends `payload` in the background. */
  emit(payload: Payload): void {
    const sink = this.#sink;
    if (sink === undefined) return;
    const pending = signWebhook(payload, sink.appSecret).then((w) => sink.send(w));
    this.#pending.add(pending);
    pending
      .catch((e: unknown) => this.#errors.push(e))
      .finally(() => this.#pending.delete(pending));
  }

  /** Waits until every emitted webhook has been handed to the sink; rethrows the sink's failures. */
  async flush(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
    const errors = this.#errors.splice(0);
    if (errors.length > 0) throw new AggregateError(errors, "webhook sink failed");
  }
}
