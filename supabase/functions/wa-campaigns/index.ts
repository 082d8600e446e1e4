/**
 * `wa-campaigns`: the API of call campaigns (issue 17). Internal, like the
 * other functions: callers present the service role key as a bearer token.
 *
 * - `POST /functions/v1/wa-campaigns` with an `Idempotency-Key` header creates
 *   a campaign with its recipients (JSON `recipients` or `recipients_csv`); a
 *   retry with the same key and body answers the same campaign, creating
 *   nothing (`Idempotent-Replayed: true`).
 * - `GET /wa-campaigns[?phone_number_id=&limit=]` lists campaigns, newest first.
 * - `GET /wa-campaigns/<id>` reads one with its counts; `GET …/<id>/recipients`
 *   its recipients and outcomes.
 * - `POST /wa-campaigns/<id>/pause|resume|cancel` changes its state.
 *
 * The bridges' dialers (`bridge/dialer/`) place the calls.
 *
 * @module
 */
import { z } from "zod";
import { recipientsFromCsv } from "../../../lib/campaigns/csv.ts";
import {
  type CreateCampaignBody,
  CreateCampaignBodySchema,
  type RecipientInput,
} from "../../../lib/campaigns/schema.ts";
import { storeOpener } from "../../../store/open.ts";
import type { Campaign, CampaignCounts } from "../../../store/campaigns.ts";
import type { Store } from "../../../store/store.ts";
import { parseFunctionsEnv, type RawEnv } from "../_shared/env.ts";
import { catchInternalErrors } from "../_shared/internal_error.ts";
import { readJsonBody } from "../_shared/json_body.ts";
import { functionLogger } from "../_shared/log.ts";
import {
  functionSubPath,
  idempotencyKey,
  phoneNumberIdRequired,
  problem,
  refuseUnlessServiceRole,
  sha256Hex,
} from "../_shared/service_request.ts";

/** Name of this function (its path under `/functions/v1/`). */
export const CAMPAIGNS_FUNCTION = "wa-campaigns";

/** Dependencies of {@link createCampaignsHandler}. */
export interface CampaignsDeps {
  env: RawEnv;
  store: () => Promise<Store>;
  /** Unix ms. Default `Date.now`. */
  now?: () => number;
}

const log = functionLogger(CAMPAIGNS_FUNCTION);

const ListQuerySchema = z.object({
  phone_number_id: z.string().regex(/^\d{1,30}$/).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

/** A campaign as the API answers it. */
export function campaignJson(c: Campaign, counts?: CampaignCounts): Record<string, unknown> {
  return {
    id: c.id,
    kind: c.kind,
    name: c.name,
    phone_number_id: c.phoneNumberId,
    status: c.status,
    window: c.window,
    max_concurrent: c.maxConcurrent,
    retry: { max_attempts: c.maxAttempts, delay_s: c.retryDelayS, on: c.retryOn },
    purpose: c.purpose,
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
    ...(counts === undefined ? {} : { counts }),
  };
}

/** Builds the handler. */
export function createCampaignsHandler(deps: CampaignsDeps): (req: Request) => Promise<Response> {
  const parsed = parseFunctionsEnv(deps.env);
  const now = deps.now ?? Date.now;
  return catchInternalErrors(async (req) => {
    const refused = await refuseUnlessServiceRole(parsed, req);
    if (refused !== null) return refused;
    const sub = functionSubPath(req, CAMPAIGNS_FUNCTION);
    const store = await deps.store();
    const defaultNumber = parsed.ok ? parsed.env.WHATSAPP_PHONE_NUMBER_ID : undefined;
    if (sub === "" && req.method === "POST") {
      return await create(store, req, new Date(now()), defaultNumber);
    }
    if (sub === "" && req.method === "GET") return await list(store, req);
    const m = /^\/(\d{1,18})(?:\/(recipients|pause|resume|cancel))?$/.exec(sub);
    if (m) {
      const id = Number(m[1]);
      const action = m[2];
      if (action === undefined && req.method === "GET") return await read(store, id);
      if (action === "recipients" && req.method === "GET") return await recipients(store, id, req);
      if (action !== undefined && action !== "recipients" && req.method === "POST") {
        await req.body?.cancel();
        return await change(store, id, action as "pause" | "resume" | "cancel", new Date(now()));
      }
    }
    await req.body?.cancel();
    return problem(404, "not found or method not allowed");
  }, log);
}

function recipientsOf(
  body: CreateCampaignBody,
): { ok: true; list: RecipientInput[] } | { ok: false; error: string } {
  const list = body.recipients ?? [];
  if (body.recipients_csv !== undefined) {
    const csv = recipientsFromCsv(body.recipients_csv);
    if (!csv.ok) return csv;
    list.push(...csv.recipients);
  }
  if (list.length === 0) return { ok: false, error: "no recipients" };
  const seen = new Set<string>();
  for (const r of list) {
    if (seen.has(r.user)) return { ok: false, error: `recipient ${r.user.slice(-4)} listed twice` };
    seen.add(r.user);
  }
  return { ok: true, list };
}

async function create(
  store: Store,
  req: Request,
  now: Date,
  defaultNumber: string | undefined,
): Promise<Response> {
  const key = await idempotencyKey(req);
  if (!key.ok) return key.response;
  const body = await readJsonBody(req, CreateCampaignBodySchema);
  if (!body.ok) return body.response;
  const data = body.data;
  const phoneNumberId = data.phone_number_id ?? defaultNumber;
  if (phoneNumberId === undefined) return phoneNumberIdRequired();
  const recipients = recipientsOf(data);
  if (!recipients.ok) return problem(400, "invalid_recipients", { detail: recipients.error });
  const requestHash = await sha256Hex(JSON.stringify([phoneNumberId, data]));
  const made = await store.createCampaign({
    phoneNumberId,
    name: data.name,
    idempotencyKey: key.key,
    requestHash,
    window: data.window,
    maxConcurrent: data.max_concurrent,
    maxAttempts: data.retry.max_attempts,
    retryDelayS: data.retry.delay_s,
    retryOn: data.retry.on,
    purpose: data.purpose,
    recipients: recipients.list,
  }, now);
  if (made.kind === "existing" && made.campaign.requestHash !== requestHash) {
    return problem(422, "idempotency_key_reused");
  }
  const counts = await store.campaignCounts(made.campaign.id);
  log.info("WA_CAMPAIGN_CREATED", {
    campaignId: made.campaign.id,
    recipients: counts.queued + counts.dialing + counts.done,
    replayed: made.kind === "existing",
  });
  return Response.json({ campaign: campaignJson(made.campaign, counts) }, {
    status: made.kind === "created" ? 201 : 200,
    headers: made.kind === "existing" ? { "idempotent-replayed": "true" } : {},
  });
}

async function list(store: Store, req: Request): Promise<Response> {
  const q = ListQuerySchema.safeParse(Object.fromEntries(new URL(req.url).searchParams));
  if (!q.success) return problem(400, "invalid_query", { issues: q.error.issues });
  const campaigns = await store.listCampaigns({
    ...(q.data.phone_number_id === undefined ? {} : { phoneNumberId: q.data.phone_number_id }),
    limit: q.data.limit,
  });
  return Response.json({ campaigns: campaigns.map((c) => campaignJson(c)) });
}

async function read(store: Store, id: number): Promise<Response> {
  const c = await store.getCampaign(id);
  if (c === null) return problem(404, "not_found");
  return Response.json({ campaign: campaignJson(c, await store.campaignCounts(id)) });
}

async function recipients(store: Store, id: number, req: Request): Promise<Response> {
  const q = ListQuerySchema.safeParse(Object.fromEntries(new URL(req.url).searchParams));
  if (!q.success) return problem(400, "invalid_query", { issues: q.error.issues });
  if (await store.getCampaign(id) === null) return problem(404, "not_found");
  const rows = await store.listCampaignRecipients(id, {
    limit: q.data.limit,
    offset: q.data.offset,
  });
  return Response.json({
    recipients: rows.map((r) => ({
      id: r.id,
      user: r.user,
      variables: r.variables,
      status: r.status,
      outcome: r.outcome,
      attempts: r.attempts,
      next_attempt_at: r.status === "queued" ? r.nextAttemptAt.toISOString() : null,
      call_id: r.callId,
      last_error: r.lastError,
      origin_call_id: r.originCallId,
    })),
  });
}

const ALLOWED_FROM = { pause: ["active"], resume: ["paused"], cancel: ["active", "paused"] };

async function change(
  store: Store,
  id: number,
  action: "pause" | "resume" | "cancel",
  now: Date,
): Promise<Response> {
  const before = await store.getCampaign(id);
  if (before === null) return problem(404, "not_found");
  if (!ALLOWED_FROM[action].includes(before.status)) {
    return problem(409, "invalid_transition", { status: before.status });
  }
  const after = await store.changeCampaignStatus(id, action, now);
  log.info("WA_CAMPAIGN_CHANGED", { campaignId: id, action });
  return Response.json({ campaign: campaignJson(after!, await store.campaignCounts(id)) });
}

/** The handler configured from the process environment. */
export const handler: (req: Request) => Promise<Response> = createCampaignsHandler({
  env: Deno.env.toObject(),
  store: storeOpener((name) => Deno.env.get(name)),
});

// Supabase's Edge Runtime loads the entrypoint as a worker module; serve there too.
if (import.meta.main || "EdgeRuntime" in globalThis) Deno.serve(handler);
