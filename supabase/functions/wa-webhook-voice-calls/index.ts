/**
 * `wa-webhook-voice-calls`: answers WhatsApp calls. Internal only: its single
 * client is `wa-webhook-core`, which has verified Meta's signature and POSTs one
 * `calls` change as a webhook envelope, authenticated with the service role
 * key (checked here, in constant time, since `verify_jwt` is off).
 *
 * Events are handled in delivery order and the response lists each outcome,
 * so the core (and tests) can see what happened.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { GraphClient } from "../../../lib/whatsapp/graph.ts";
import { extractCallEvents, parseWebhook } from "../../../lib/whatsapp/webhook.ts";
import { BridgeClient } from "../../../lib/bridge_api/client.ts";
import { bearerMatches } from "../../../lib/auth/secret.ts";
import {
  envErrorResponse,
  type EnvName,
  parseFunctionsEnv,
  type RawEnv,
  requireEnv,
} from "../_shared/env.ts";
import { storeOpener } from "../../../store/open.ts";
import type { Store } from "../../../store/store.ts";
import { type CallEventResult, DEFAULT_STALE_AFTER_MS, handleCallEvent } from "./call_flow.ts";

/** Dependencies of {@link createVoiceCallsHandler}; absent clients are built from `env`. */
export interface VoiceCallsDeps {
  /** Raw environment; read per request so a missing variable is a 500 naming it. */
  env: RawEnv;
  store: () => Promise<Store>;
  /** Graph client; default from `WHATSAPP_GRAPH_URL` and `WHATSAPP_ACCESS_TOKEN`. */
  graph?: GraphClient;
  /** Bridge client; default from `VOICE_BRIDGE_URL` and `VOICE_BRIDGE_SECRET`. */
  bridge?: BridgeClient;
  /** Used by the clients built from `env`. */
  fetch?: typeof fetch;
  /** Unix ms. Default `Date.now`. */
  now?: () => number;
  /** Default {@link DEFAULT_STALE_AFTER_MS}. */
  staleAfterMs?: number;
}

/** Response body of a handled POST. */
export interface VoiceCallsResponse {
  results: CallEventResult[];
}

const log = getLogger(["functions", "wa-webhook-voice-calls"]);

/** Builds the voice-calls function's handler. */
export function createVoiceCallsHandler(deps: VoiceCallsDeps): (req: Request) => Promise<Response> {
  const parsed = parseFunctionsEnv(deps.env);
  const needed: EnvName[] = [
    ...(deps.graph === undefined ? ["WHATSAPP_ACCESS_TOKEN"] as const : []),
    ...(deps.bridge === undefined ? ["VOICE_BRIDGE_URL", "VOICE_BRIDGE_SECRET"] as const : []),
  ];
  let clients: { graph: GraphClient; bridge: BridgeClient } | undefined;

  return async (req) => {
    if (req.method !== "POST") {
      return new Response("method not allowed", { status: 405, headers: { allow: "POST" } });
    }
    const auth = requireEnv(parsed, ["SUPABASE_SERVICE_ROLE_KEY"]);
    if (!auth.ok) return envErrorResponse(auth.problems);
    if (
      !await bearerMatches(req.headers.get("authorization"), auth.env.SUPABASE_SERVICE_ROLE_KEY)
    ) {
      await req.body?.cancel();
      return Response.json({ error: "unauthorized" }, { status: 401 });
    }
    const check = requireEnv(parsed, needed);
    if (!check.ok) return envErrorResponse(check.problems);
    const env = check.env;
    clients ??= {
      graph: deps.graph ?? new GraphClient({
        baseUrl: env.WHATSAPP_GRAPH_URL,
        accessToken: env.WHATSAPP_ACCESS_TOKEN!,
        ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
      }),
      bridge: deps.bridge ?? new BridgeClient({
        baseUrl: env.VOICE_BRIDGE_URL!,
        secret: env.VOICE_BRIDGE_SECRET!,
        ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
      }),
    };

    let json: unknown;
    try {
      json = await req.json();
    } catch {
      return Response.json({ error: "body is not JSON" }, { status: 400 });
    }
    const envelope = parseWebhook(json);
    if (!envelope.ok) return Response.json({ error: envelope.error }, { status: 400 });

    const flow = {
      store: await deps.store(),
      ...clients,
      now: deps.now ?? Date.now,
      staleAfterMs: deps.staleAfterMs ?? DEFAULT_STALE_AFTER_MS,
    };
    const results: CallEventResult[] = [];
    for (const item of extractCallEvents(envelope.value)) {
      try {
        results.push(await handleCallEvent(flow, item));
      } catch (error) {
        // The store is down: the core records the change as a receipt.
        log.with({ callId: item.callId }).error("WA_CALL_FAILED", {
          reason: "internal_error",
          event: item.kind,
          error: String(error),
        });
        return Response.json({ error: "internal error", results }, { status: 500 });
      }
    }
    return Response.json({ results } satisfies VoiceCallsResponse);
  };
}

/** The handler configured from the process environment. */
export const handler: (req: Request) => Promise<Response> = createVoiceCallsHandler({
  env: Deno.env.toObject(),
  store: storeOpener((name) => Deno.env.get(name)),
});

// Supabase's Edge Runtime loads the entrypoint as a worker module; serve there too.
if (import.meta.main || "EdgeRuntime" in globalThis) Deno.serve(handler);
