/**
 * The bridge's post-call wiring: the runner (`post_call.ts`) fed by sessions
 * that end, and, with `CALL_WEBHOOK_URL`, the outbox deliverer
 * (`webhook_deliverer.ts`) polling the call store, so messages an earlier
 * process left pending are sent after a restart, and the catch-up
 * (`catch_up.ts`) finishing the runs a dead bridge or a long database outage
 * left undone. `bridge/main.ts` starts it
 * and stops it on drain.
 *
 * @module
 */
import type { Store } from "../../store/store.ts";
import type { CallReportParts } from "./call_report.ts";
import { PostCallRunner, type PostCallSteps } from "./post_call.ts";
import { WebhookDeliverer } from "./webhook_deliverer.ts";
import { startPostCallCatchUp } from "./catch_up.ts";

/** What {@linkcode startPostCall} needs. */
export interface PostCallWiring {
  /** `CALL_WEBHOOK_URL` and `CALL_WEBHOOK_SECRET` (validated by `loadConfig`). */
  env: { CALL_WEBHOOK_URL?: string | undefined; CALL_WEBHOOK_SECRET?: string | undefined };
  store: Store;
  steps?: PostCallSteps | undefined;
  parts?: CallReportParts | undefined;
  /** Replaces the global fetch (tests). */
  fetch?: typeof fetch;
}

/** The running post-call parts. */
export interface PostCall {
  runner: PostCallRunner;
  /** Absent without `CALL_WEBHOOK_URL`. */
  deliverer: WebhookDeliverer | undefined;
  /** For `BridgeOverrides.onCallEnded`. */
  onCallEnded(callId: string): void;
  /** Lets runs under way finish (bounded by `timeoutMs`), then stops the deliverer. */
  stop(timeoutMs?: number): Promise<void>;
}

/** Starts the runner and, when a webhook URL is configured, the deliverer. */
export function startPostCall(wiring: PostCallWiring): PostCall {
  const { CALL_WEBHOOK_URL: url, CALL_WEBHOOK_SECRET: secret } = wiring.env;
  if (url !== undefined && secret === undefined) {
    throw new Error("CALL_WEBHOOK_SECRET is required when CALL_WEBHOOK_URL is set");
  }
  const deliverer = url === undefined || secret === undefined ? undefined : new WebhookDeliverer({
    store: wiring.store,
    url,
    secret,
    ...(wiring.fetch ? { fetch: wiring.fetch } : {}),
  });
  const runner = new PostCallRunner({
    store: wiring.store,
    steps: wiring.steps,
    parts: wiring.parts,
    webhook: deliverer && { onEnqueued: () => deliverer.wake() },
  });
  deliverer?.start();
  const catchUp = startPostCallCatchUp({
    store: wiring.store,
    runAgain: (callId) => runner.runAgain(callId),
    webhooks: deliverer !== undefined,
  });
  return {
    runner,
    deliverer,
    onCallEnded: (callId) => runner.onCallEnded(callId),
    async stop(timeoutMs = 10_000) {
      await catchUp.stop();
      await runner.drain(timeoutMs);
      await deliverer?.stop();
    },
  };
}
