/**
 * `wa-outbound-calls`: the API to call a WhatsApp user (a business-initiated
 * call, issue 17) and to read the call's state. Internal, like the other
 * functions: callers present the service role key as a bearer token
 * (checked in constant time; `verify_jwt` is off).
 *
 * - `POST /functions/v1/wa-outbound-calls` with an `Idempotency-Key` header
 *   places one call (`place_call.ts`): permission checked before Graph, the
 *   bridge's offer sent with Graph `connect`. A retry with the same key
 *   replays the first answer and never rings the user twice.
 * - `GET /functions/v1/wa-outbound-calls/<call id>` answers the call's state
 *   (`ringing`, `accepted`, `completed`, `rejected`, `failed` with its end
 *   reason, e.g. `no_answer`).
 *
 * @module
 */

import { bearerMatches } from "../../../lib/auth/secret.ts";
import { BridgeClient } from "../../../lib/bridge_api/client.ts";
import { GraphClient } from "../../../lib/whatsapp/graph.ts";
import { storeOpener } from "../../../store/open.ts";
import type { Store } from "../../../store/store.ts";
import { envErrorResponse, parseFunctionsEnv, type RawEnv, requireEnv } from "../_shared/env.ts";
import { catchInternalErrors } from "../_shared/internal_error.ts";
import { readJsonBody } from "../_shared/json_body.ts";
import { functionLogger } from "../_shared/log.ts";
import { limitsFromEnv } from "../wa-call-permissions/index.ts";
import { placeReserved } from "./place_call.ts";
import {
  CallIdPathSchema,
  callJson,
  IdempotencyKeySchema,
  type OutboundCallBody,
  OutboundCallBodySchema,
} from "./schema.ts";

/** Name of this function (its path under `/functions/v1/`). */
export const OUTBOUND_CALLS_FUNCTION = "wa-outbound-calls";

/** Dependencies of {@link createOutboundCallsHandler}. */
export interface OutboundCallsDeps {
  /** Raw environment; read per request so a missing variable is a 500 naming it. */
  env: RawEnv;
  store: () => Promise<Store>;
  /** Default from `WHATSAPP_GRAPH_URL` and `WHATSAPP_ACCESS_TOKEN`. */
  graph?: GraphClient;
  /** Default from `VOICE_BRIDGE_URL` and `VOICE_BRIDGE_SECRET`. */
  bridge?: BridgeClient;
  fetch?: typeof fetch;
  /** Unix ms. Default `Date.now`. */
  now?: () => number;
}

const log = functionLogger(OUTBOUND_CALLS_FUNCTION);

function problem(status: number, error: string, extra: Record<string, unknown> = {}): Response {
  return Response.json({ error, ...extra }, { status });
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Builds the handler. */
export function createOutboundCallsHandler(
  deps: OutboundCallsDeps,
): (req: Request) => Promise<Response> {
  const parsed = parseFunctionsEnv(deps.env);
  const now = deps.now ?? Date.now;
  let clients: { graph: GraphClient; bridge: BridgeClient } | undefined;

  return catchInternalErrors(async (req) => {
    const auth = requireEnv(parsed, ["SUPABASE_SERVICE_ROLE_KEY"]);
    if (!auth.ok) return envErrorResponse(auth.problems);
    if (
      !await bearerMatches(req.headers.get("authorization"), auth.env.SUPABASE_SERVICE_ROLE_KEY)
    ) {
      await req.body?.cancel();
      return problem(401, "unauthorized");
    }
    const check = requireEnv(parsed, [
      ...(deps.graph === undefined ? ["WHATSAPP_ACCESS_TOKEN"] as const : []),
      ...(deps.bridge === undefined ? ["VOICE_BRIDGE_URL", "VOICE_BRIDGE_SECRET"] as const : []),
    ]);
    if (!check.ok) return envErrorResponse(check.problems);
    const env = check.env;
    const fetchOpt = deps.fetch === undefined ? {} : { fetch: deps.fetch };
    clients ??= {
      graph: deps.graph ??
        new GraphClient({
          baseUrl: env.WHATSAPP_GRAPH_URL,
          accessToken: env.WHATSAPP_ACCESS_TOKEN!,
          ...fetchOpt,
        }),
      bridge: deps.bridge ??
        new BridgeClient({
          baseUrl: env.VOICE_BRIDGE_URL!,
          secret: env.VOICE_BRIDGE_SECRET!,
          ...fetchOpt,
        }),
    };
    const path = new URL(req.url).pathname.replace(/\/+$/, "");
    const sub = path.slice(path.indexOf(OUTBOUND_CALLS_FUNCTION) + OUTBOUND_CALLS_FUNCTION.length);
    const store = await deps.store();
    if (sub === "" && req.method === "POST") {
      return await postCall(
        { ...clients, env, store, now: now(), limits: limitsFromEnv(env), log },
        req,
      );
    }
    if (sub.startsWith("/") && req.method === "GET") return await getCall(store, sub.slice(1));
    await req.body?.cancel();
    return problem(sub === "" ? 405 : 404, "not found or method not allowed");
  }, log);
}

async function postCall(
  ctx: Parameters<typeof placeReserved>[0],
  req: Request,
): Promise<Response> {
  const key = IdempotencyKeySchema.safeParse(req.headers.get("idempotency-key") ?? "");
  if (!key.success) {
    await req.body?.cancel();
    return problem(400, "idempotency_key_required", { detail: key.error.issues[0]?.message });
  }
  const body = await readJsonBody(req, OutboundCallBodySchema);
  if (!body.ok) return body.response;
  const data: OutboundCallBody = body.data;
  const phoneNumberId = data.phone_number_id ?? ctx.env.WHATSAPP_PHONE_NUMBER_ID;
  if (phoneNumberId === undefined) {
    return problem(400, "phone_number_id_required", {
      detail: "name phone_number_id or set WHATSAPP_PHONE_NUMBER_ID",
    });
  }
  const requestHash = await sha256Hex(JSON.stringify([phoneNumberId, data]));
  const reserved = await ctx.store.reserveOutboundCall({
    phoneNumberId,
    idempotencyKey: key.data,
    requestHash,
    user: data.user,
  });
  if (reserved.kind === "existing") {
    const r = reserved.request;
    if (r.requestHash !== requestHash) return problem(422, "idempotency_key_reused");
    if (r.status === "pending") return problem(409, "request_in_progress");
    const replay = r.response as { status: number; body: unknown };
    return Response.json(replay.body, {
      status: replay.status,
      headers: { "idempotent-replayed": "true" },
    });
  }
  return await placeReserved(ctx, { id: reserved.request.id, phoneNumberId }, data);
}

async function getCall(store: Store, id: string): Promise<Response> {
  const callId = CallIdPathSchema.safeParse(decodeURIComponent(id));
  if (!callId.success) return problem(404, "not_found");
  const call = await store.getCall(callId.data);
  if (call === null || call.direction !== "business_initiated") return problem(404, "not_found");
  const events = await store.listEvents(call.callId);
  return Response.json({
    call: callJson(call),
    events: events.map((e) => ({ name: e.name, at: e.occurredAt.toISOString() })),
  });
}

/** The handler configured from the process environment. */
export const handler: (req: Request) => Promise<Response> = createOutboundCallsHandler({
  env: Deno.env.toObject(),
  store: storeOpener((name) => Deno.env.get(name)),
});

// Supabase's Edge Runtime loads the entrypoint as a worker module; serve there too.
if (import.meta.main || "EdgeRuntime" in globalThis) Deno.serve(handler);
