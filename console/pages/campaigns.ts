/**
 * Campaigns of business-initiated calls (issue 17) in the console:
 *
 *   GET  /campaigns                       the list with progress, and (operators) the create form
 *   POST /campaigns                       operator: create from a CSV upload (multipart)
 *   GET  /campaigns/:id[?page=]           settings, progress, recipients' outcomes
 *   POST /campaigns/:id/pause|resume|cancel   operator
 *
 * The console writes campaigns through the store's own functions
 * (`store/campaigns.ts`), as `wa-campaigns` does: creating or pausing one
 * involves neither Graph nor a bridge (the bridges' dialers pick queued
 * recipients from Postgres), so no HTTP hop is needed. The body is checked by
 * the API's `CreateCampaignBodySchema`; each rendered form carries an
 * idempotency key, so a double submit creates one campaign. Numbers are
 * masked for viewers, and so are the recipients' variables (names, times…),
 * of which viewers see the names only. Every change is audited.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { html } from "hono/html";
import { getLogger } from "@logtape/logtape";
import {
  type ConsoleDeps,
  type ConsoleEnv,
  hasRole,
  requireRole,
  shownNumber,
} from "../server/context.ts";
import { renderPage } from "../server/layout.ts";
import type { CampaignRecipient } from "../../store/campaigns.ts";
import { maskPhonesInText } from "../../lib/whatsapp/mask.ts";
import {
  ALLOWED_FROM,
  CampaignActionSchema,
  campaignBody,
  CampaignFormSchema,
  CampaignParamsSchema,
  csvRecipients,
  MAX_ROW_ERRORS,
  RecipientsQuerySchema,
} from "./campaigns_form.ts";
import {
  campaignDetail,
  type CampaignRow,
  campaignsTable,
  createForm,
  type RecipientRow,
} from "./campaigns_view.ts";
import { issueLines, newFormKey } from "./outbound_form.ts";

/** Campaigns listed. */
const MAX_LISTED = 50;
/** Recipients per page. */
const PAGE_SIZE = 100;

const log = getLogger(["console", "campaigns"]);

/** The pages' routes. */
export function campaignsRoutes(deps: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();

  const listPage = async (
    c: Context<ConsoleEnv>,
    r: {
      errors?: readonly string[];
      values?: Record<string, string | string[]>;
      status?: 200 | 400 | 413 | 422;
    } = {},
  ) => {
    const campaigns = await deps.store.listCampaigns({ limit: MAX_LISTED });
    const rows: CampaignRow[] = await Promise.all(
      campaigns.map(async (campaign) => ({
        campaign,
        counts: await deps.store.campaignCounts(campaign.id),
      })),
    );
    const numbers = (await deps.store.knownBusinessNumbers(20)).map((n) => n.phoneNumberId);
    const mayAct = hasRole(c.get("user"), "operator");
    const errors = r.errors ?? [];
    const shown = errors.slice(0, MAX_ROW_ERRORS);
    c.status(r.status ?? 200);
    return await renderPage(c, {
      title: "Campaigns",
      section: "/campaigns",
      body: html`
        <p>Call a list of WhatsApp users who allowed calls, within a calling window, a few at a time,
          retrying unanswered calls. The bridges place the calls; each recipient is called once per
          attempt even across restarts.</p>
        ${errors.length > 0
          ? html`
            <div class="error" role="alert"
              id="campaign-errors"><p>Not created:</p><ul>${shown.map((e) =>
                html`<li>${e}</li>`
              )}</ul>${errors.length > shown.length
                ? html`<p>and ${errors.length - shown.length} more.</p>`
                : ""}</div>
          `
          : ""}
        ${campaignsTable(rows)}
        ${mayAct
          ? createForm({
            csrf: c.get("csrfToken"),
            key: newFormKey(),
            phoneNumberId: deps.outbound?.defaultPhoneNumberId ?? numbers[0] ?? "",
            knownNumbers: numbers,
            values: r.values ?? {},
          })
          : html`<p class="notice">Creating and changing campaigns needs the operator role.</p>`}
      `,
    });
  };

  app.get("/campaigns", (c) => listPage(c));

  app.post("/campaigns", requireRole("operator"), async (c) => {
    const raw = await c.req.parseBody({ all: true });
    const values = refill(raw);
    const form = CampaignFormSchema.safeParse(raw);
    if (!form.success) {
      return await listPage(c, { errors: issueLines(form.error), values, status: 400 });
    }
    const f = form.data;
    const text = await readUtf8(f.csv);
    if (text === undefined) {
      return await listPage(c, { errors: ["the CSV is not UTF-8 text"], values, status: 400 });
    }
    const recipients = csvRecipients(text);
    if (!recipients.ok) {
      return await listPage(c, { errors: recipients.errors, values, status: 422 });
    }
    const body = campaignBody(f, recipients.recipients);
    if (!body.ok) return await listPage(c, { errors: body.errors, values, status: 400 });
    const b = body.body;
    const made = await deps.store.createCampaign({
      phoneNumberId: f.phone_number_id,
      name: b.name,
      idempotencyKey: f.key,
      requestHash: await sha256Hex(JSON.stringify([f.phone_number_id, b])),
      window: b.window,
      maxConcurrent: b.max_concurrent,
      maxAttempts: b.retry.max_attempts,
      retryDelayS: b.retry.delay_s,
      retryOn: b.retry.on,
      purpose: b.purpose,
      recipients: recipients.recipients,
    }, deps.now());
    const user = c.get("user");
    if (made.kind === "created") {
      await deps.store.recordAudit({
        actorId: user.id,
        actorEmail: user.email,
        action: "campaign.create",
        target: String(made.campaign.id),
        after: { name: b.name, recipients: recipients.recipients.length, key: f.key },
      });
    }
    log.info("CONSOLE_CAMPAIGN_CREATED", {
      campaignId: made.campaign.id,
      userId: user.id,
      recipients: recipients.recipients.length,
      replayed: made.kind === "existing",
    });
    return c.redirect(`/campaigns/${made.campaign.id}?created=${made.kind}`, 303);
  });

  app.get("/campaigns/:id", async (c) => {
    const p = CampaignParamsSchema.safeParse(c.req.param());
    const q = RecipientsQuerySchema.safeParse(c.req.query());
    if (!p.success || !q.success) return c.text("Bad campaign address.", 400);
    const campaign = await deps.store.getCampaign(p.data.id);
    if (campaign === null) return c.text("No such campaign.", 404);
    const offset = (q.data.page - 1) * PAGE_SIZE;
    const [counts, rows] = await Promise.all([
      deps.store.campaignCounts(campaign.id),
      deps.store.listCampaignRecipients(campaign.id, { limit: PAGE_SIZE + 1, offset }),
    ]);
    const viewer = c.get("user").role === "viewer";
    return await renderPage(c, {
      title: `Campaign ${campaign.name}`,
      section: "/campaigns",
      body: campaignDetail({
        csrf: c.get("csrfToken"),
        campaign,
        counts,
        recipients: rows.slice(0, PAGE_SIZE).map((r) => recipientRow(c, r, viewer)),
        page: q.data.page,
        hasNext: rows.length > PAGE_SIZE,
        mayAct: hasRole(c.get("user"), "operator"),
        notice: q.data.created === "created"
          ? "Campaign created: the bridges start calling within its window."
          : q.data.created === "existing"
          ? "This form was already sent: the campaign made then is shown, nothing was added."
          : undefined,
      }),
    });
  });

  app.post("/campaigns/:id/:action", requireRole("operator"), async (c) => {
    const p = CampaignParamsSchema.safeParse(c.req.param());
    const a = CampaignActionSchema.safeParse(c.req.param("action"));
    if (!p.success || !a.success) return c.text("Bad campaign change.", 400);
    const before = await deps.store.getCampaign(p.data.id);
    if (before === null) return c.text("No such campaign.", 404);
    if (!ALLOWED_FROM[a.data].includes(before.status)) {
      return c.text(`A ${before.status} campaign cannot ${a.data}.`, 409);
    }
    const after = await deps.store.changeCampaignStatus(before.id, a.data, deps.now());
    const user = c.get("user");
    await deps.store.recordAudit({
      actorId: user.id,
      actorEmail: user.email,
      action: `campaign.${a.data}`,
      target: String(before.id),
      before: { status: before.status },
      after: { status: after?.status ?? null },
    });
    log.info("CONSOLE_CAMPAIGN_CHANGED", {
      campaignId: before.id,
      action: a.data,
      userId: user.id,
    });
    return c.redirect(`/campaigns/${before.id}`, 303);
  });

  return app;
}

function recipientRow(
  c: Context<ConsoleEnv>,
  r: CampaignRecipient,
  viewer: boolean,
): RecipientRow {
  const vars = Object.entries(r.variables);
  return {
    user: shownNumber(c.get("user"), r.user),
    // Variables hold names and appointments: viewers see which, not what.
    variables: vars.length === 0 ? "—" : vars.map(([k, v]) => viewer ? k : `${k}=${v}`).join(", "),
    status: r.status,
    outcome: r.outcome,
    attempts: r.attempts,
    nextAttemptAt: r.status === "queued" ? r.nextAttemptAt : null,
    callId: r.callId,
    // A dialer's error may quote the number it called.
    lastError: r.lastError === null || !viewer ? r.lastError : maskPhonesInText(r.lastError),
  };
}

/** What the form held, to refill it after a refusal (the file apart). */
function refill(raw: Record<string, unknown>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (k === "_csrf" || k === "key" || k === "csv") continue;
    if (typeof v === "string") out[k] = v.slice(0, 20_000);
    else if (Array.isArray(v)) out[k] = v.filter((x): x is string => typeof x === "string");
  }
  return out;
}

async function readUtf8(file: File): Promise<string | undefined> {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(await file.arrayBuffer());
  } catch {
    return undefined;
  }
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
