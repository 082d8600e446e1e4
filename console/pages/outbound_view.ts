/**
 * Markup of the Call a customer page: the look-up form, the user's
 * permission with the two decisions (may we ask? may we call?), the recent
 * permission events, and for operators the permission request and call
 * forms, each carrying a fresh idempotency key.
 *
 * @module
 */
import { html } from "hono/html";
import type { Markup } from "../server/layout.ts";
import type { PermissionDecision } from "../../lib/whatsapp/call_permission_decision.ts";
import type { PermissionEventRecord } from "../../store/call_permissions.ts";

/** What the look-up found, ready to show. */
export interface LookupView {
  /** The user as this viewer may see it. */
  shownUser: string;
  /** `permissionJson` of the function's GET: status, expiry, counts. */
  permission: Record<string, unknown>;
  request: PermissionDecision;
  call: PermissionDecision;
  events: readonly PermissionEventRecord[];
  /** Whether the user is a number (a BSUID cannot be called: Graph `connect` takes numbers). */
  callable: boolean;
}

/** The whole page body. */
export interface OutboundView {
  csrf: string;
  /** The user typed (whole), only for operators; viewers' inputs are not echoed back. */
  userValue: string;
  phoneNumberId: string;
  knownNumbers: readonly string[];
  mayAct: boolean;
  /** The functions are reachable (CONSOLE_FUNCTIONS_URL / SUPABASE_URL + service role key). */
  available: boolean;
  lookup?: LookupView | undefined;
  errors: readonly string[];
  result?: Markup | undefined;
  requestKey: string;
  callKey: string;
  /** Values to refill the call form with after an error. */
  call?: { instructions?: string; greeting?: string; variables?: string } | undefined;
}

const REASONS: Record<string, string> = {
  already_permanent: "the user already allows calls permanently: no request is needed",
  request_limit_day: "one permission request per 24 hours",
  request_limit_week: "two permission requests per 7 days",
  no_permission: "the user has not given permission to call",
  permission_expired: "the user's temporary permission has lapsed",
  permission_declined: "the user declined calls",
  permission_revoked: "the permission was revoked",
  call_limit: "the limit of connected calls to this user in 24 hours is reached",
};

/** A reason code in plain words (unknown codes as written). */
export function reasonText(reason: string): string {
  return REASONS[reason] ?? reason.replaceAll("_", " ");
}

/** Unix ms or an ISO string as `YYYY-MM-DD HH:MM UTC`. */
export function formatWhen(at: number | string | Date | null | undefined): string {
  if (at === null || at === undefined) return "—";
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? "—" : `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

function decisionRow(label: string, d: PermissionDecision): Markup {
  if (d.allowed) {
    return html`
      <tr>
        <th scope="row">${label}</th>
        <td><span class="badge ok">yes</span>${d.warning === "unanswered_calls_prompt"
          ? html`
            — after unanswered calls Meta asks the user to reconsider
          `
          : ""}</td>
        <td>—</td>
      </tr>
    `;
  }
  return html`
    <tr>
      <th scope="row">${label}</th>
      <td><span class="badge bad">no</span> — ${reasonText(d.reason)} (Meta error ${d
        .metaCode})</td>
      <td>${formatWhen(d.retryAt)}</td>
    </tr>
  `;
}

function permissionSection(l: LookupView): Markup {
  const p = l.permission;
  const cell = (v: unknown) => v === null || v === undefined ? "—" : String(v);
  return html`<section aria-labelledby="perm-h"><h2 id="perm-h">Permission of ${l.shownUser}</h2>
    <div class="table-wrap" tabindex="0" role="region" aria-label="Can the business ask or call now?"><table>
      <caption>Can the business ask or call now?</caption>
      <thead><tr><th scope="col">Action</th><th scope="col">Allowed</th>
        <th scope="col">Next allowed</th></tr></thead>
      <tbody>${decisionRow("Ask for permission", l.request)}${decisionRow("Call", l.call)}</tbody>
    </table></div>
    <div class="table-wrap" tabindex="0" role="region" aria-label="Stored permission"><table>
      <caption>Stored permission</caption>
      <tbody>
        <tr><th scope="row">Status</th><td id="perm-status">${cell(p.status)}</td></tr>
        <tr><th scope="row">Expires</th><td>${formatWhen(p.expires_at as string | null)}</td></tr>
        <tr><th scope="row">Source</th><td>${cell(p.source)}</td></tr>
        <tr><th scope="row">Requests in 24 h / 7 days</th><td>${cell(p.requests_24h)} / ${
    cell(p.requests_7d)
  }</td></tr>
        <tr><th scope="row">Connected calls in 24 h</th><td>${cell(p.connected_calls_24h)}${
    p.connected_call_limit === null ? "" : html`
      of ${cell(p.connected_call_limit)} (Meta)
    `
  }</td></tr>
        <tr><th scope="row">Unanswered calls in a row</th><td>${cell(p.unanswered_streak)}</td></tr>
      </tbody>
    </table></div>
    ${eventsTable(l.events)}
  </section>`;
}

function eventsTable(events: readonly PermissionEventRecord[]): Markup {
  if (events.length === 0) return html`<p class="muted">No requests, replies or calls yet.</p>`;
  return html`
    <div class="table-wrap" tabindex="0" role="region" aria-label="Recent requests, replies and calls">
      <table>
        <caption>Recent requests, replies and calls</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">What</th>
            <th scope="col">State</th>
            <th scope="col">Call</th>
          </tr>
        </thead>
        <tbody>${events.map((e) =>
          html`
            <tr>
              <td>${formatWhen(e.occurredAt)}</td>
              <td>${e.kind.replaceAll("_", " ")}</td>
              <td>${e.requestStatus ?? "—"}</td>
              <td>${e.callId === null
                ? "—"
                : html`<a href="/calls/${encodeURIComponent(e.callId)}">${e.callId}</a>`}</td>
            </tr>
          `
        )}</tbody>
      </table>
    </div>
  `;
}

function lookupForm(v: OutboundView): Markup {
  return html`
    <form method="get" action="/outbound" class="filters" role="search"
      aria-label="Look up a user">
        <p><label for="q-user">User (WhatsApp number or business-scoped user id)</label>
          <input id="q-user" name="user" required maxlength="130" autocomplete="off"
            value="${v.userValue}"></p>
        ${numberInput("q-number", v)}
        <p><button type="submit">Look up</button></p>
      </form>
  `;
}

function numberInput(id: string, v: OutboundView): Markup {
  return html`<p><label for="${id}">Business number (phone_number_id)</label>
    <input id="${id}" name="phone_number_id" required inputmode="numeric" pattern="[0-9]{1,30}"
      list="known-numbers" value="${v.phoneNumberId}"></p>`;
}

function hidden(v: OutboundView, key: string): Markup {
  return html`
    <input type="hidden" name="_csrf" value="${v.csrf}">
    <input type="hidden" name="key" value="${key}">
  `;
}

function requestForm(v: OutboundView): Markup {
  return html`
    <section aria-labelledby="ask-h">
      <h2 id="ask-h">Ask for permission</h2>
      <form method="post" action="/outbound/permission-requests">
        ${hidden(v, v.requestKey)}
        <input type="hidden" name="user" value="${v.userValue}">
        <input type="hidden" name="phone_number_id" value="${v.phoneNumberId}">
        <fieldset><legend>Message</legend>
          <p><input type="radio" id="kind-i" name="kind" value="interactive" checked>
            <label for="kind-i">Interactive (only within 24 h of the user's last message or call)</label></p>
          <p><input type="radio" id="kind-t" name="kind" value="template">
            <label for="kind-t">Template with a call permission request (any time)</label></p>
        </fieldset>
        <p><label for="body-text">Interactive: text shown with the request (optional)</label>
          <textarea id="body-text" name="body_text" maxlength="1024" rows="2"></textarea></p>
        <p><label for="tpl-name">Template: name</label>
          <input id="tpl-name" name="template_name" maxlength="512" autocomplete="off"></p>
        <p><label for="tpl-lang">Template: language</label>
          <input id="tpl-lang" name="template_language" value="en" maxlength="6"></p>
        <p><label for="tpl-params">Template: body parameters, one per line</label>
          <textarea id="tpl-params" name="template_parameters" rows="2"></textarea></p>
        <p><button type="submit">Send permission request</button></p>
      </form>
    </section>
  `;
}

function callForm(v: OutboundView): Markup {
  return html`
    <section aria-labelledby="call-h">
      <h2 id="call-h">Call</h2>
      <form method="post" action="/outbound/calls">
        ${hidden(v, v.callKey)}
        <input type="hidden" name="user" value="${v.userValue}">
        <input type="hidden" name="phone_number_id" value="${v.phoneNumberId}">
        <p><label for="instructions">Instructions for this call (replace the agent's; {{variables}} allowed)</label>
          <textarea id="instructions" name="instructions" rows="4">${v.call?.instructions ??
            ""}</textarea></p>
        <p><label for="greeting">Greeting: the agent's first words when the user picks up</label>
          <textarea id="greeting" name="greeting" rows="2">${v.call?.greeting ?? ""}</textarea></p>
        <p><label for="variables">Variables, one name=value per line (e.g. name=Ana)</label>
          <textarea id="variables" name="variables" rows="3">${v.call?.variables ??
            ""}</textarea></p>
        <p><button type="submit">Call now</button></p>
      </form>
    </section>
  `;
}

function actions(v: OutboundView): Markup | "" {
  if (v.lookup === undefined) return "";
  if (!v.mayAct) {
    return html`<p class="notice">Asking for permission and calling need the operator role.</p>`;
  }
  if (!v.available) {
    return html`<p class="notice">Sending needs the functions: set CONSOLE_FUNCTIONS_URL (or
      SUPABASE_URL) and SUPABASE_SERVICE_ROLE_KEY.</p>`;
  }
  return html`${requestForm(v)}${
    v.lookup.callable
      ? callForm(v)
      : html`<p class="notice">Meta places calls to WhatsApp numbers: look the user up by number to call.</p>`
  }`;
}

/** The page body for `v`. */
export function outboundBody(v: OutboundView): Markup {
  return html`
    <p>Look up whether a WhatsApp user allows the business to call, ask them, and call them with
      the agent speaking first. Each form is sent once: sending it again never rings twice.</p>
    <datalist id="known-numbers">${v.knownNumbers.map((n) =>
      html`<option value="${n}"></option>`
    )}</datalist>
    ${v.errors.length > 0
      ? html`
        <div class="error" role="alert">
          <p>Not sent:</p>
          <ul>${v.errors.map((e) => html`<li>${e}</li>`)}</ul>
        </div>
      `
      : ""}
    ${v.result ?? ""}
    ${lookupForm(v)}
    ${v.lookup === undefined ? "" : permissionSection(v.lookup)}
    ${actions(v)}
  `;
}
