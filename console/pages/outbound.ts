/**
 * "Call a customer" (issue 17): look up a WhatsApp user's call permission
 * with Meta's decision (may we ask? may we call? why not, and when next),
 * ask them for permission, and call them with the call's purpose.
 *
 *   GET  /outbound?user=&phone_number_id=   the page (any role; numbers masked for viewers)
 *   POST /outbound/permission-requests      operator: send a call permission request
 *   POST /outbound/calls                    operator: place a business-initiated call
 *
 * The look-up reads the store with the functions' own pure decision. The two
 * changes go through the Edge Functions (`console/outbound/functions_client.ts`
 * says why), each with the idempotency key of the rendered form: a double
 * submit is a replay of the first answer and never rings twice. Every send is
 * written to the audit log.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { html } from "hono/html";
import { getLogger } from "@logtape/logtape";
import { type ConsoleDeps, type ConsoleEnv, hasRole, requireRole } from "../server/context.ts";
import { type Markup, renderPage } from "../server/layout.ts";
import { maskPhone, maskUserId } from "../../lib/whatsapp/mask.ts";
import {
  effectiveStatus,
  META_PERMISSION_LIMITS,
  permissionDecision,
} from "../../lib/whatsapp/call_permission_decision.ts";
import { permissionJson } from "../../supabase/functions/wa-call-permissions/schema.ts";
import type { FunctionAnswer } from "../outbound/functions_client.ts";
import {
  CallFormSchema,
  callRequestInput,
  issueLines,
  LookupQuerySchema,
  newFormKey,
  PermissionFormSchema,
  permissionRequestInput,
} from "./outbound_form.ts";
import { formatWhen, type LookupView, outboundBody, reasonText } from "./outbound_view.ts";

/** Recent permission events shown. */
const MAX_EVENTS = 10;

const log = getLogger(["console", "outbound"]);

/** A user as `role` may see it: numbers and business-scoped ids masked for viewers. */
export function shownUserFor(c: Context<ConsoleEnv>, user: string): string {
  if (c.get("user").role !== "viewer") return user;
  return /^\d+$/.test(user) ? maskPhone(user) : maskUserId(user);
}

interface Render {
  user?: string | undefined;
  phoneNumberId?: string | undefined;
  errors?: readonly string[];
  result?: Markup;
  call?: { instructions?: string; greeting?: string; variables?: string };
  status?: 200 | 400 | 403 | 409 | 422 | 429 | 500 | 502 | 503 | 504;
}

/** The page's routes. */
export function outboundRoutes(deps: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();

  const lookup = async (c: Context<ConsoleEnv>, user: string, phoneNumberId: string) => {
    const pair = { phoneNumberId, user };
    const now = deps.now().getTime();
    const limits = deps.outbound?.limits ?? META_PERMISSION_LIMITS;
    const [state, events] = await Promise.all([
      deps.store.readCallPermission(pair, now),
      deps.store.listCallPermissionEvents(pair, MAX_EVENTS),
    ]);
    const view: LookupView = {
      shownUser: shownUserFor(c, user),
      permission: permissionJson(state, effectiveStatus(state, now), now),
      request: permissionDecision(state, "request", now, limits),
      call: permissionDecision(state, "call", now, limits),
      events,
      callable: /^\d{6,15}$/.test(user),
    };
    return view;
  };

  const page = async (c: Context<ConsoleEnv>, r: Render) => {
    const numbers = (await deps.store.knownBusinessNumbers(20)).map((n) => n.phoneNumberId);
    const phoneNumberId = r.phoneNumberId ?? deps.outbound?.defaultPhoneNumberId ?? numbers[0] ??
      "";
    const found = r.user !== undefined && phoneNumberId !== ""
      ? await lookup(c, r.user, phoneNumberId)
      : undefined;
    const mayAct = hasRole(c.get("user"), "operator");
    c.status(r.status ?? 200);
    return await renderPage(c, {
      title: "Call a customer",
      section: "/outbound",
      body: outboundBody({
        csrf: c.get("csrfToken"),
        // Viewers see masked numbers only: what they typed is not echoed back whole.
        userValue: mayAct ? r.user ?? "" : "",
        phoneNumberId,
        knownNumbers: numbers,
        mayAct,
        available: deps.outbound !== undefined,
        lookup: found,
        errors: r.errors ?? [],
        result: r.result,
        requestKey: newFormKey(),
        callKey: newFormKey(),
        call: r.call,
      }),
    });
  };

  app.get("/outbound", async (c) => {
    const q = LookupQuerySchema.safeParse(c.req.query());
    if (!q.success) return await page(c, { errors: issueLines(q.error), status: 400 });
    return await page(c, { user: q.data.user, phoneNumberId: q.data.phone_number_id });
  });

  app.post("/outbound/permission-requests", requireRole("operator"), async (c) => {
    const raw = await c.req.parseBody();
    const form = PermissionFormSchema.safeParse(raw);
    if (!form.success) {
      return await page(c, { ...echo(raw), errors: issueLines(form.error), status: 400 });
    }
    const f = form.data;
    if (!deps.outbound) return await page(c, { ...echo(raw), errors: [UNAVAILABLE], status: 503 });
    const answer = await deps.outbound.requestPermission(f.key, permissionRequestInput(f));
    await audit(c, deps, "outbound.permission_request", f, answer);
    return await page(c, {
      user: f.user,
      phoneNumberId: f.phone_number_id,
      result: requestResult(answer),
      status: answerStatus(answer),
    });
  });

  app.post("/outbound/calls", requireRole("operator"), async (c) => {
    const raw = await c.req.parseBody();
    const form = CallFormSchema.safeParse(raw);
    const refill = {
      instructions: text(raw.instructions),
      greeting: text(raw.greeting),
      variables: text(raw.variables),
    };
    if (!form.success) {
      return await page(c, {
        ...echo(raw),
        call: refill,
        errors: issueLines(form.error),
        status: 400,
      });
    }
    const f = form.data;
    if (!deps.outbound) {
      return await page(c, { ...echo(raw), call: refill, errors: [UNAVAILABLE], status: 503 });
    }
    const answer = await deps.outbound.placeCall(f.key, callRequestInput(f));
    await audit(c, deps, "outbound.call", f, answer);
    const placed = answer.status === 201;
    return await page(c, {
      user: f.user,
      phoneNumberId: f.phone_number_id,
      result: callResult(answer),
      // A refused call keeps the purpose typed, for another try after asking.
      ...(placed ? {} : { call: refill }),
      status: answerStatus(answer),
    });
  });

  return app;
}

const UNAVAILABLE =
  "the functions are not configured: set CONSOLE_FUNCTIONS_URL (or SUPABASE_URL) and SUPABASE_SERVICE_ROLE_KEY";

function text(v: unknown): string {
  return typeof v === "string" ? v.slice(0, 20_000) : "";
}

/** The user and number of a refused form, to show the look-up again (only if they parse). */
function echo(raw: Record<string, unknown>): Pick<Render, "user" | "phoneNumberId"> {
  const q = LookupQuerySchema.safeParse({ user: raw.user, phone_number_id: raw.phone_number_id });
  return q.success ? { user: q.data.user, phoneNumberId: q.data.phone_number_id } : {};
}

function answerStatus(a: FunctionAnswer): NonNullable<Render["status"]> {
  if (a.status >= 200 && a.status < 300) return 200;
  const known = [400, 409, 422, 429, 502, 503, 504] as const;
  return known.find((s) => s === a.status) ?? 502;
}

async function audit(
  c: Context<ConsoleEnv>,
  deps: ConsoleDeps,
  action: string,
  f: { key: string; user: string; phone_number_id: string },
  a: FunctionAnswer,
): Promise<void> {
  const user = c.get("user");
  const call = a.body.call as { id?: unknown } | undefined;
  const callId = typeof call?.id === "string" ? call.id : undefined;
  await deps.store.recordAudit({
    actorId: user.id,
    actorEmail: user.email,
    action,
    target: callId ?? `${f.phone_number_id}:${f.user}`,
    after: {
      key: f.key,
      status: a.status,
      replayed: a.replayed,
      error: typeof a.body.error === "string" ? a.body.error : null,
    },
  });
  log.info(a.status < 300 ? "CONSOLE_OUTBOUND_SENT" : "CONSOLE_OUTBOUND_REFUSED", {
    action,
    callId: callId ?? null,
    userId: user.id,
    status: a.status,
    replayed: a.replayed,
    error: typeof a.body.error === "string" ? a.body.error : null,
  });
}

function refusal(a: FunctionAnswer, what: string): Markup {
  const b = a.body;
  const reason = typeof b.error === "string" ? b.error : `HTTP ${a.status}`;
  const code = typeof b.meta_code === "number" ? b.meta_code : undefined;
  const retry = typeof b.retry_at === "string" ? b.retry_at : undefined;
  const detail = typeof b.detail === "string" ? b.detail : undefined;
  const words = [
    `${what} not sent: ${reasonText(reason)}${code === undefined ? "" : ` (Meta error ${code})`}.`,
    retry === undefined ? "" : `Next allowed: ${formatWhen(retry)}.`,
    detail ?? "",
  ].filter((w) => w !== "").join(" ");
  return html`
    <div class="error" role="alert" id="outbound-result">
      <p>${words}</p>
    </div>
  `;
}

function requestResult(a: FunctionAnswer): Markup {
  if (a.status !== 201) return refusal(a, "Permission request");
  return html`
    <div class="success" role="status" id="outbound-result">
      <p>${a.replayed
        ? "This form was already sent: the permission request went once, nothing was sent again."
        : "Permission request sent. The user's answer arrives by webhook; look the user up again to see it."}</p>
    </div>
  `;
}

function callResult(a: FunctionAnswer): Markup {
  if (a.status !== 201) return refusal(a, "Call");
  const call = a.body.call as { id?: unknown; status?: unknown } | undefined;
  const id = typeof call?.id === "string" ? call.id : "";
  return html`
    <div class="success" role="status" id="outbound-result">
      <p>${a.replayed
        ? "This form was already sent: the call placed then, nothing rang twice. "
        : "Calling: "}<a href="/calls/${encodeURIComponent(
          id,
        )}">open the call's page (${id})</a>.</p>
    </div>
  `;
}
