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

import type { BridgeClient } from "../../../lib/bridge_api/client.ts";
import type { GraphClient } from "../../../lib/whatsapp/graph.ts";
import { storeOpener } from "../../../store/open.ts";
import type { Store } from "../../../store/store.ts";
import { buildClients, type ClientDeps, clientEnvNeeded } from "../_shared/clients.ts";
import { envErrorResponse, parseFunctionsEnv, requireEnv } from "../_shared/env.ts";
import { catchInternalErrors } from "../_shared/internal_error.ts";
import { functionLogger } from "../_shared/log.ts";
import {
  functionSubPath,
  problem,
  readIdempotentPost,
  refuseUnlessServiceRole,
  replayIdempotent,
  type ServiceDeps,
  sha256Hex,
} from "../_shared/service_request.ts";
import { limitsFromEnv } from "../wa-call-permissions/index.ts";
import { placeReserved } from "./place_call.ts";
import {
  CallIdPathSchema,
  callJson,
  type OutboundCallBody,
  OutboundCallBodySchema,
} from "./schema.ts";

/** Name of this function (its path under `/functions/v1/`). */
export const OUTBOUND_CALLS_FUNCTION = "wa-outbound-calls";

/** Dependencies of {@link createOutboundCallsHandler}. */
export interface OutboundCallsDeps extends ServiceDeps, ClientDeps {}

const log = functionLogger(OUTBOUND_CALLS_FUNCTION);

/** Builds the handler. */
export function createOutboundCallsHandler(
  deps: OutboundCallsDeps,
): (req: Request) => Promise<Response> {
  const parsed = parseFunctionsEnv(deps.env);
  const now = deps.now ?? Date.now;
  let clients: { graph: GraphClient; bridge: BridgeClient } | undefined;

  return catchInternalErrors(async (req) => {
    const refused = await refuseUnlessServiceRole(parsed, req);
    if (refused !== null) return refused;
    const check = requireEnv(parsed, clientEnvNeeded(deps));
    if (!check.ok) return envErrorResponse(check.problems);
    const env = check.env;
    clients ??= buildClients(deps, env);
    const sub = functionSubPath(req, OUTBOUND_CALLS_FUNCTION);
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
  const read = await readIdempotentPost(
    req,
    OutboundCallBodySchema,
    ctx.env.WHATSAPP_PHONE_NUMBER_ID,
  );
  if (!read.ok) return read.response;
  const { key, phoneNumberId } = read.post;
  const data: OutboundCallBody = read.post.data;
  const requestHash = await sha256Hex(JSON.stringify([phoneNumberId, data]));
  const reserved = await ctx.store.reserveOutboundCall({
    phoneNumberId,
    idempotencyKey: key,
    requestHash,
    user: data.user,
  });
  if (reserved.kind === "existing") {
    const r = reserved.request;
    return replayIdempotent(
      { requestHash: r.requestHash, pending: r.status === "pending", response: r.response },
      requestHash,
    );
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
