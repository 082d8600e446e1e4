/**
 * `wa-webhook-core`: the callback URL registered with Meta.
 *
 * GET answers Meta's subscription check. POST verifies `X-Hub-Signature-256`
 * over the raw bytes before anything is parsed, acknowledges at once (Meta
 * retries slow or failed deliveries, and a caller is already ringing), then in
 * the background routes each change: `calls` to `wa-webhook-voice-calls`
 * through `supabase.functions.invoke`, `messages` to the business's chat bot
 * (`WA_MESSAGES_FORWARD_URL`, raw body and signature untouched), anything else
 * to the receipts table. `call_permission_reply` messages are also stored as
 * the user's call permission (`permission_replies.ts`); a malformed one is a receipt.
 *
 * @module
 */

import { createClient, FunctionsHttpError } from "@supabase/supabase-js";
import { verifyMetaSignature } from "../../../lib/whatsapp/signature.ts";
import {
  envErrorResponse,
  type EnvResult,
  parseFunctionsEnv,
  type RawEnv,
  requireEnv,
} from "../_shared/env.ts";
import { storeOpener } from "../../../store/open.ts";
import { secretEquals } from "../../../lib/auth/secret.ts";
import type { NewWebhookReceipt, Store } from "../../../store/store.ts";
import { readBodyLimited } from "../_shared/body.ts";
import { catchInternalErrors } from "../_shared/internal_error.ts";
import { functionLogger } from "../_shared/log.ts";
import { BackgroundTasks, type EdgeRuntimeApi } from "./background.ts";
import { planWebhook, type ReceiptRoute, type SingleChangeEnvelope } from "./route.ts";
import type { PermissionReplyRoute } from "./permission_replies.ts";
import type { InboundUserMessage } from "../../../lib/whatsapp/customer_service_window.ts";
import { maskPhone, maskUserId } from "../../../lib/whatsapp/mask.ts";

/** Name of the function that handles `calls` changes. */
export const VOICE_CALLS_FUNCTION = "wa-webhook-voice-calls";

/** How long a routed change may take downstream before it is recorded as lost. */
export const DOWNSTREAM_TIMEOUT_MS = 25_000;

/** Hands one `calls` change to the voice-calls function; rejects when it was not handled. */
export type InvokeVoiceCalls = (body: SingleChangeEnvelope) => Promise<void>;

/** Dependencies of {@link createCoreHandler}. */
export interface CoreDeps {
  /** Raw environment; read per request so a missing variable is a 500 naming it. */
  env: RawEnv;
  /** The call records store (receipts). */
  store: () => Promise<Store>;
  /** Used for the chat-bot forward and, by default, by supabase-js. */
  fetch?: typeof fetch;
  /** Replaces the supabase-js `functions.invoke` call (tests of the core alone). */
  invokeVoiceCalls?: InvokeVoiceCalls;
  /** Replaces the global `EdgeRuntime` (tests). */
  runtime?: EdgeRuntimeApi;
}

/** The request handler plus a way to wait for its background routing. */
export interface CoreHandler {
  (req: Request): Promise<Response>;
  /** Resolves when every routed webhook has been handled downstream (tests, shutdown). */
  settled(): Promise<void>;
}

const log = functionLogger("wa-webhook-core");

/** `functions.invoke` as the service role, whose key voice-calls checks. */
export function supabaseInvoker(
  supabaseUrl: string,
  serviceRoleKey: string,
  fetchImpl?: typeof fetch,
): InvokeVoiceCalls {
  const client = createClient(supabaseUrl, serviceRoleKey, {
    // A static token: no auth client, no session storage, no refresh timers.
    accessToken: () => Promise.resolve(serviceRoleKey),
    ...(fetchImpl === undefined ? {} : { global: { fetch: fetchImpl } }),
  });
  return async (body) => {
    const { error } = await client.functions.invoke(VOICE_CALLS_FUNCTION, {
      body,
      // Explicit: supabase-js withholds new-format (`sb_secret_…`) keys as bearer tokens.
      headers: { Authorization: `Bearer ${serviceRoleKey}` },
      timeout: DOWNSTREAM_TIMEOUT_MS,
    });
    if (error === null) return;
    if (error instanceof FunctionsHttpError) {
      const res = error.context as Response;
      await res.body?.cancel();
      throw new Error(`${VOICE_CALLS_FUNCTION} answered HTTP ${res.status}`);
    }
    throw new Error(`${VOICE_CALLS_FUNCTION} unreachable: ${String(error.message)}`);
  };
}

/** Builds the core function's handler. */
export function createCoreHandler(deps: CoreDeps): CoreHandler {
  const parsed: EnvResult = parseFunctionsEnv(deps.env);
  const doFetch = deps.fetch ?? ((input, init) => fetch(input, init));
  const background = new BackgroundTasks(
    (error) => log.error("WA_WEBHOOK_ROUTE_FAILED", { error: String(error) }),
    deps.runtime ?? globalThis.EdgeRuntime,
  );
  let invoker = deps.invokeVoiceCalls;

  function verifySubscription(req: Request): Promise<Response> {
    const check = requireEnv(parsed, ["WHATSAPP_VERIFY_TOKEN"]);
    if (!check.ok) return Promise.resolve(envErrorResponse(check.problems));
    const params = new URL(req.url).searchParams;
    const challenge = params.get("hub.challenge") ?? "";
    return secretEquals(params.get("hub.verify_token") ?? "", check.env.WHATSAPP_VERIFY_TOKEN)
      .then((tokenOk) =>
        params.get("hub.mode") === "subscribe" && tokenOk
          ? new Response(challenge, { status: 200, headers: { "content-type": "text/plain" } })
          : new Response("forbidden", { status: 403 })
      );
  }

  async function receive(req: Request): Promise<Response> {
    const needed = deps.invokeVoiceCalls === undefined
      ? ["WHATSAPP_APP_SECRET", "SUPABASE_URL", "SUPABASE_SERVICE_ROLE_KEY"] as const
      : ["WHATSAPP_APP_SECRET"] as const;
    const check = requireEnv(parsed, needed);
    if (!check.ok) {
      log.error("WA_WEBHOOK_MISCONFIGURED", { problems: check.problems });
      return envErrorResponse(check.problems);
    }
    const env = check.env;
    const body = await readBodyLimited(req);
    if (!body.ok) return new Response("payload too large", { status: 413 });
    const signature = req.headers.get("x-hub-signature-256");
    if (!await verifyMetaSignature(body.bytes, signature, env.WHATSAPP_APP_SECRET)) {
      log.warn("WA_WEBHOOK_SIGNATURE_INVALID", {
        reason: signature === null ? "missing" : "mismatch",
        bytes: body.bytes.byteLength,
      });
      return new Response("invalid signature", { status: 401 });
    }
    if (invoker === undefined) {
      invoker = supabaseInvoker(
        env.SUPABASE_URL ?? "",
        env.SUPABASE_SERVICE_ROLE_KEY ?? "",
        deps.fetch,
      );
    }
    const invoke = invoker;
    const forwardUrl = env.WA_MESSAGES_FORWARD_URL;
    background.run(() => route(body.bytes, signature!, invoke, forwardUrl));
    return new Response("EVENT_RECEIVED", { status: 200 });
  }

  async function route(
    bytes: Uint8Array<ArrayBuffer>,
    signature: string,
    invoke: InvokeVoiceCalls,
    forwardUrl: string | undefined,
  ): Promise<void> {
    const plan = planWebhook(new TextDecoder().decode(bytes));
    log.info("WA_WEBHOOK_RECEIVED", {
      bytes: bytes.byteLength,
      callIds: plan.calls.flatMap((c) => c.callIds),
      messages: plan.messages.length,
      unhandled: plan.receipts.length,
    });
    const receipts: ReceiptRoute[] = [...plan.receipts];
    const tasks: Promise<void>[] = plan.calls.map(async ({ callIds, body }) => {
      try {
        await invoke(body);
      } catch (error) {
        log.error("WA_WEBHOOK_ROUTE_FAILED", { callIds, callId: callIds[0], error: String(error) });
        await keep({
          reason: `voice_calls_failed: ${String(error)}`,
          field: "calls",
          payload: body,
        });
      }
    });
    tasks.push(...plan.permissionReplies.map(applyPermissionReply));
    tasks.push(...plan.userMessages.map(recordUserMessage));
    if (plan.messages.length > 0) {
      if (forwardUrl === undefined) {
        receipts.push(
          ...plan.messages.filter((c) => !plan.repliesOnly.includes(c)).map((c) => ({
            reason: "messages_not_forwarded",
            field: "messages",
            payload: c,
          })),
        );
      } else {
        tasks.push(forwardMessages(forwardUrl, bytes, signature));
      }
    }
    tasks.push(...receipts.map(keep));
    await Promise.all(tasks);
  }

  async function forwardMessages(url: string, bytes: Uint8Array<ArrayBuffer>, signature: string) {
    try {
      const res = await doFetch(url, {
        method: "POST",
        // The bot verifies Meta's signature itself, so the bytes must be the ones signed.
        headers: { "content-type": "application/json", "x-hub-signature-256": signature },
        body: bytes,
        signal: AbortSignal.timeout(DOWNSTREAM_TIMEOUT_MS),
      });
      await res.body?.cancel();
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
    } catch (error) {
      log.warn("WA_MESSAGES_FORWARD_FAILED", { error: String(error) });
      await keep({
        reason: `messages_forward_failed: ${String(error)}`,
        field: "messages",
        raw: new TextDecoder().decode(bytes),
      });
    }
  }

  /** Stores a reply once (Meta redelivers); a failure keeps the reply as a receipt. */
  async function applyPermissionReply({ reply, effect }: PermissionReplyRoute): Promise<void> {
    const user = /^\d+$/.test(reply.user) ? maskPhone(reply.user) : maskUserId(reply.user);
    try {
      const store = await deps.store();
      const { applied } = await store.applyPermissionReply(reply);
      log.info(applied ? "WA_CALL_PERMISSION_REPLY" : "WA_CALL_PERMISSION_REPLY_DUPLICATE", {
        scenario: effect.scenario,
        status: effect.status,
        user,
        messageId: reply.messageId,
      });
    } catch (error) {
      log.error("WA_WEBHOOK_ROUTE_FAILED", { messageId: reply.messageId, error: String(error) });
      await keep({
        reason: `call_permission_reply_failed: ${String(error)}`,
        field: "messages",
        payload: reply,
      });
    }
  }

  /**
   * Keeps when the user last wrote (the customer service window); a failure
   * is only logged: the window is an optimisation, the webhook still answers.
   */
  async function recordUserMessage(message: InboundUserMessage): Promise<void> {
    try {
      const store = await deps.store();
      await store.recordUserMessage(message);
    } catch (error) {
      log.error("WA_USER_MESSAGE_RECORD_FAILED", {
        user: /^\d+$/.test(message.user) ? maskPhone(message.user) : maskUserId(message.user),
        phoneNumberId: message.phoneNumberId,
        error: String(error),
      });
    }
  }

  async function keep(receipt: ReceiptRoute): Promise<void> {
    try {
      const store = await deps.store();
      await store.recordReceipt(toReceipt(receipt));
    } catch (error) {
      log.error("WA_WEBHOOK_RECEIPT_FAILED", { reason: receipt.reason, error: String(error) });
    }
  }

  const handler = catchInternalErrors((req) => {
    if (req.method === "GET") return verifySubscription(req);
    if (req.method === "POST") return receive(req);
    return Promise.resolve(
      new Response("method not allowed", { status: 405, headers: { allow: "GET, POST" } }),
    );
  }, log);
  return Object.assign(handler, { settled: () => background.settled() });
}

function toReceipt(r: ReceiptRoute): NewWebhookReceipt {
  const base = { reason: r.reason, field: r.field };
  return r.payload === undefined
    ? { ...base, raw: r.raw ?? "" }
    : { ...base, payload: r.payload, raw: r.raw };
}

/** The handler configured from the process environment. */
export const handler: CoreHandler = createCoreHandler({
  env: Deno.env.toObject(),
  store: storeOpener((name) => Deno.env.get(name)),
});

// Supabase's Edge Runtime loads the entrypoint as a worker module; serve there too.
if (import.meta.main || "EdgeRuntime" in globalThis) Deno.serve(handler);
