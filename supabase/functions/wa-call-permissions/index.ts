/**
 * `wa-call-permissions`: the API to ask a WhatsApp user for permission to
 * call them and to read a user's permission. Internal, like
 * `wa-webhook-voice-calls`: callers present the service role key as a bearer
 * token (checked in constant time; `verify_jwt` is off).
 *
 * - `POST /functions/v1/wa-call-permissions/requests` with an
 *   `Idempotency-Key` header sends one call permission request. Meta's limits
 *   (`lib/whatsapp/call_permission_decision.ts`) are checked and the request
 *   reserved in one transaction BEFORE Graph is called, so a foreseeable Meta
 *   error (138009 request limit, 138017 permanent permission) is answered
 *   here as 429/409 with the reason and the next allowed time; so is an
 *   interactive request when the user has not written within 24 h (131047,
 *   409 `outside_customer_service_window`: send a template instead). A retry with
 *   the same key replays the first answer and never sends twice.
 * - `GET /functions/v1/wa-call-permissions?user=…[&refresh=graph]` answers the
 *   stored permission (a lapsed temporary one reads `no_permission`: Meta
 *   sends no expiry webhook), the counts in Meta's windows and whether a
 *   request or a call may be made now.
 *
 * Replies arrive through `wa-webhook-core` (`call_permission_reply` on the
 * `messages` field) and land in the same tables.
 *
 * @module
 */

import {
  effectiveStatus,
  graphPermissionView,
  META_PERMISSION_LIMITS,
  permissionDecision,
  type PermissionLimits,
  requestDecisionFor,
  SANDBOX_PERMISSION_LIMITS,
} from "../../../lib/whatsapp/call_permissions.ts";
import {
  GraphPermissionError,
  GraphPermissionsClient,
} from "../../../lib/whatsapp/graph_permissions.ts";
import { maskPhone, maskUserId } from "../../../lib/whatsapp/mask.ts";
import { storeOpener } from "../../../store/open.ts";
import type { Store } from "../../../store/store.ts";
import {
  envErrorResponse,
  type FunctionsEnv,
  parseFunctionsEnv,
  requireEnv,
} from "../_shared/env.ts";
import {
  functionSubPath,
  problem,
  readIdempotentPost,
  refuseUnlessServiceRole,
  replayIdempotent,
  type ServiceDeps,
  sha256Hex,
} from "../_shared/service_request.ts";
import { catchInternalErrors } from "../_shared/internal_error.ts";
import { functionLogger } from "../_shared/log.ts";
import {
  decisionJson,
  permissionJson,
  PermissionQuerySchema,
  type PermissionRequestBody,
  PermissionRequestBodySchema,
  requestContent,
} from "./schema.ts";
import { sendReserved } from "./send.ts";

/** Name of this function (its path under `/functions/v1/`). */
export const CALL_PERMISSIONS_FUNCTION = "wa-call-permissions";

/** Dependencies of {@link createCallPermissionsHandler}. */
export interface CallPermissionsDeps extends ServiceDeps {
  /** Default from `WHATSAPP_GRAPH_URL` and `WHATSAPP_ACCESS_TOKEN`. */
  graph?: GraphPermissionsClient;
}

const log = functionLogger(CALL_PERMISSIONS_FUNCTION);

/** The limits `WA_CALL_PERMISSION_LIMITS` and `WA_CONNECTED_CALLS_PER_DAY` select. */
export function limitsFromEnv(env: FunctionsEnv): PermissionLimits {
  const base = env.WA_CALL_PERMISSION_LIMITS === "sandbox"
    ? SANDBOX_PERMISSION_LIMITS
    : META_PERMISSION_LIMITS;
  return { ...base, connectedCallsPerDay: env.WA_CONNECTED_CALLS_PER_DAY };
}

/** A user as logs may show it. */
export function maskedUser(user: string): string {
  return /^\d+$/.test(user) ? maskPhone(user) : maskUserId(user);
}

/** Builds the handler. */
export function createCallPermissionsHandler(
  deps: CallPermissionsDeps,
): (req: Request) => Promise<Response> {
  const parsed = parseFunctionsEnv(deps.env);
  const now = deps.now ?? Date.now;
  let graph = deps.graph;

  return catchInternalErrors(async (req) => {
    const refused = await refuseUnlessServiceRole(parsed, req);
    if (refused !== null) return refused;
    const check = requireEnv(parsed, deps.graph === undefined ? ["WHATSAPP_ACCESS_TOKEN"] : []);
    if (!check.ok) return envErrorResponse(check.problems);
    const env = check.env;
    graph ??= new GraphPermissionsClient({
      baseUrl: env.WHATSAPP_GRAPH_URL,
      accessToken: env.WHATSAPP_ACCESS_TOKEN!,
      ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
    });
    const sub = functionSubPath(req, CALL_PERMISSIONS_FUNCTION);
    const ctx = { env, graph, store: await deps.store(), now: now(), limits: limitsFromEnv(env) };
    if (sub === "/requests" && req.method === "POST") return await postRequest(ctx, req);
    if (sub === "" && req.method === "GET") return await getPermission(ctx, req);
    await req.body?.cancel();
    return problem(
      sub === "" || sub === "/requests" ? 405 : 404,
      "not found or method not allowed",
    );
  }, log);
}

/** Per-request context. */
export interface Ctx {
  env: FunctionsEnv;
  graph: GraphPermissionsClient;
  store: Store;
  now: number;
  limits: PermissionLimits;
}

async function postRequest(ctx: Ctx, req: Request): Promise<Response> {
  const read = await readIdempotentPost(
    req,
    PermissionRequestBodySchema,
    ctx.env.WHATSAPP_PHONE_NUMBER_ID,
  );
  if (!read.ok) return read.response;
  const { key, data: body, phoneNumberId } = read.post;
  const pair = { phoneNumberId, user: body.user };
  const requestHash = await sha256Hex(
    JSON.stringify([phoneNumberId, body.user, body.message]),
  );
  const reserved = await ctx.store.reservePermissionRequest({
    ...pair,
    idempotencyKey: key,
    requestHash,
    now: ctx.now,
    // An interactive request outside the customer service window would earn 131047.
    decide: (s) => requestDecisionFor(body.message.type, s, ctx.now, ctx.limits),
  });
  const userLog = { user: maskedUser(pair.user), phoneNumberId };
  if (reserved.kind === "existing") {
    const r = reserved.request;
    return replayIdempotent(
      { requestHash: r.requestHash, pending: r.requestStatus === "pending", response: r.response },
      requestHash,
    );
  }
  if (reserved.kind === "refused") {
    const d = reserved.decision;
    log.warn("WA_CALL_PERMISSION_REFUSED", { ...userLog, reason: d.reason, metaCode: d.metaCode });
    const state = await ctx.store.readCallPermission(pair, ctx.now);
    const headers: Record<string, string> = {};
    if (d.retryAt !== undefined) {
      headers["retry-after"] = String(Math.max(1, Math.ceil((d.retryAt - ctx.now) / 1000)));
    }
    return Response.json({
      error: d.reason,
      ...decisionJson(d),
      permission: permissionJson(state, d.status, ctx.now),
    }, { status: d.httpStatus, headers });
  }
  return await sendReserved(
    ctx,
    reserved.request,
    requestContent(body as PermissionRequestBody),
    userLog,
  );
}

async function getPermission(ctx: Ctx, req: Request): Promise<Response> {
  const query = PermissionQuerySchema.safeParse(
    Object.fromEntries(new URL(req.url).searchParams),
  );
  if (!query.success) {
    return problem(400, "invalid_query", {
      issues: query.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`),
    });
  }
  const phoneNumberId = query.data.phone_number_id ?? ctx.env.WHATSAPP_PHONE_NUMBER_ID;
  if (phoneNumberId === undefined) return problem(400, "phone_number_id_required");
  const pair = { phoneNumberId, user: query.data.user };
  if (query.data.refresh === "graph") {
    try {
      const answer = await ctx.graph.getCallPermissions(pair);
      await ctx.store.syncPermissionFromGraph(pair, graphPermissionView(answer), ctx.now);
    } catch (error) {
      log.warn("WA_CALL_PERMISSION_GRAPH_FAILED", {
        user: maskedUser(pair.user),
        error: String(error),
      });
      return error instanceof GraphPermissionError
        ? problem(502, "meta_refused", { meta_code: error.code, details: error.details ?? null })
        : problem(504, "meta_unreachable");
    }
  }
  const state = await ctx.store.readCallPermission(pair, ctx.now);
  const status = effectiveStatus(state, ctx.now);
  return Response.json({
    phone_number_id: phoneNumberId,
    user: pair.user,
    permission: permissionJson(state, status, ctx.now),
    request: decisionJson(permissionDecision(state, "request", ctx.now, ctx.limits)),
    call: decisionJson(permissionDecision(state, "call", ctx.now, ctx.limits)),
  });
}

/** The handler configured from the process environment. */
export const handler: (req: Request) => Promise<Response> = createCallPermissionsHandler({
  env: Deno.env.toObject(),
  store: storeOpener((name) => Deno.env.get(name)),
});

// Supabase's Edge Runtime loads the entrypoint as a worker module; serve there too.
if (import.meta.main || "EdgeRuntime" in globalThis) Deno.serve(handler);
