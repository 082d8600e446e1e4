/**
 * `wa-webhook-voice-calls`: answers WhatsApp calls. Internal only: its single
 * client is `wa-webhook-core`, which has verified Meta's signature and POSTs one
 * `calls` change as a webhook envelope, authenticated with the service role
 * key (checked here, in constant time, since `verify_jwt` is off).
 *
 * Events are handled in delivery order and the response lists each outcome,
 * so the core (and tests) can see what happened.
 *
 * Calls do not depend on the database: the flow's store calls have a short
 * deadline (`store/deferring_store.ts`), and what could not be written goes
 * to a durable outbox, by default the bridge's (`POST /records`), since an
 * Edge Function has no disk that outlives it; the bridge writes it to the
 * database once it is back. Only when the outbox too refuses is the event a 500.
 *
 * @module
 */

import type { GraphClient } from "../../../lib/whatsapp/graph.ts";
import { extractCallEvents, WebhookEnvelopeSchema } from "../../../lib/whatsapp/webhook.ts";
import type { BridgeClient } from "../../../lib/bridge_api/client.ts";
import { buildClients, type ClientDeps, clientEnvNeeded } from "../_shared/clients.ts";
import { envErrorResponse, parseFunctionsEnv, requireEnv } from "../_shared/env.ts";
import { refuseUnlessServiceRole, type ServiceDeps } from "../_shared/service_request.ts";
import { catchInternalErrors, internalErrorResponse } from "../_shared/internal_error.ts";
import { readJsonBody } from "../_shared/json_body.ts";
import { functionLogger } from "../_shared/log.ts";
import { storeOpener } from "../../../store/open.ts";
import { type DeferredSink, DeferringStore } from "../../../store/deferring_store.ts";
import {
  type CallEventResult,
  type CallFlowDeps,
  DEFAULT_STALE_AFTER_MS,
  handleCallEvent,
} from "./call_flow.ts";

/** Dependencies of {@link createVoiceCallsHandler}; absent clients are built from `env`. */
export interface VoiceCallsDeps extends ServiceDeps, ClientDeps {
  /** Default {@link DEFAULT_STALE_AFTER_MS}. */
  staleAfterMs?: number;
  /** Where writes the database cannot take go; default the bridge's `POST /records`. */
  outbox?: DeferredSink;
  /** Deadline of each store call; default `DEFAULT_STORE_DEADLINE_MS`. */
  storeDeadlineMs?: number;
}

/** Response body of a handled POST. */
export interface VoiceCallsResponse {
  results: CallEventResult[];
}

const log = functionLogger("wa-webhook-voice-calls");

/**
 * Builds the voice-calls function's handler. A body that is not a webhook
 * envelope is a 400 naming the fields; a failure inside, a bare 500.
 */
export function createVoiceCallsHandler(deps: VoiceCallsDeps): (req: Request) => Promise<Response> {
  const parsed = parseFunctionsEnv(deps.env);
  const needed = clientEnvNeeded(deps);
  let clients: { graph: GraphClient; bridge: BridgeClient; store: DeferringStore } | undefined;

  return catchInternalErrors(async (req) => {
    if (req.method !== "POST") {
      return new Response("method not allowed", { status: 405, headers: { allow: "POST" } });
    }
    const refused = await refuseUnlessServiceRole(parsed, req);
    if (refused !== null) return refused;
    const check = requireEnv(parsed, needed);
    if (!check.ok) return envErrorResponse(check.problems);
    const env = check.env;
    clients ??= withStore(deps, buildClients(deps, env));

    const envelope = await readJsonBody(req, WebhookEnvelopeSchema);
    if (!envelope.ok) return envelope.response;

    const flow = {
      ...clients,
      now: deps.now ?? Date.now,
      staleAfterMs: deps.staleAfterMs ?? DEFAULT_STALE_AFTER_MS,
      mediaConnectWaitMs: env.WA_MEDIA_CONNECT_WAIT_MS,
      sessionWaitMs: env.WA_OUTBOUND_SESSION_WAIT_MS,
      permissions: permissionBooks(deps),
    };
    const results: CallEventResult[] = [];
    let failed = false;
    for (const item of extractCallEvents(envelope.data)) {
      try {
        results.push(await handleCallEvent(flow, item));
      } catch (error) {
        // The store and the outbox both refused: the core records the change as a receipt.
        // The change's other events (another call's connect, a terminate) are still handled.
        failed = true;
        functionLogger("wa-webhook-voice-calls", { callId: item.callId }).error("WA_CALL_FAILED", {
          reason: "internal_error",
          event: item.kind,
          error: String(error),
        });
      }
    }
    if (failed) return internalErrorResponse({ results });
    return Response.json({ results } satisfies VoiceCallsResponse);
  }, log);
}

/** The flow's store over `deps.store`, deferring to `deps.outbox` or else the bridge. */
function withStore(
  deps: VoiceCallsDeps,
  clients: { graph: GraphClient; bridge: BridgeClient },
): { graph: GraphClient; bridge: BridgeClient; store: DeferringStore } {
  const outbox = deps.outbox ?? {
    append: async (records) => void await clients.bridge.deferRecords(records),
  };
  const store = new DeferringStore(deps.store, outbox, {
    ...(deps.storeDeadlineMs === undefined ? {} : { deadlineMs: deps.storeDeadlineMs }),
    onDefer: (callId, error) =>
      functionLogger("wa-webhook-voice-calls", { callId }).error("WA_STORE_DEFERRED", {
        error: String(error),
      }),
  });
  return { ...clients, store };
}

/** The permission books over the real store: counted outside the flow's deadline and outbox. */
function permissionBooks(deps: VoiceCallsDeps): CallFlowDeps["permissions"] {
  return {
    recordPermissionCall: async (input) => (await deps.store()).recordPermissionCall(input),
  };
}

/** The handler configured from the process environment. */
export const handler: (req: Request) => Promise<Response> = createVoiceCallsHandler({
  env: Deno.env.toObject(),
  store: storeOpener((name) => Deno.env.get(name)),
});

// Supabase's Edge Runtime loads the entrypoint as a worker module; serve there too.
if (import.meta.main || "EdgeRuntime" in globalThis) Deno.serve(handler);
