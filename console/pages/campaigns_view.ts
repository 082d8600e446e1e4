/**
 * Markup of the Campaigns pages: the list with each campaign's progress, the
 * create form (CSV upload), and a campaign with its recipients' outcomes and,
 * for operators, pause / resume / cancel.
 *
 * @module
 */
import { html } from "hono/html";
import type { Markup } from "../server/layout.ts";
import type { Campaign, CampaignCounts } from "../../store/campaigns.ts";
import { WEEKDAYS } from "../../lib/agent_settings/schema.ts";
import { MAX_CSV_BYTES } from "./campaigns_form.ts";
import { formatWhen } from "./outbound_view.ts";
import { ALLOWED_FROM } from "./campaigns_form.ts";

/** The progress columns, in order: label and how to read it from the counts. */
const PROGRESS: ReadonlyArray<[string, (c: CampaignCounts) => number]> = [
  ["Queued", (c) => c.queued],
  ["In progress", (c) => c.dialing],
  ["Answered", (c) => c.outcomes.answered ?? 0],
  ["No answer", (c) => c.outcomes.no_answer ?? 0],
  ["Rejected", (c) => c.outcomes.rejected ?? 0],
  ["No permission", (c) => c.outcomes.no_permission ?? 0],
  ["Failed", (c) => c.outcomes.failed ?? 0],
  ["Cancelled", (c) => c.outcomes.cancelled ?? 0],
];

/** A campaign and its counts. */
export interface CampaignRow {
  campaign: Campaign;
  counts: CampaignCounts;
}

function progressHeads(): Markup[] {
  return PROGRESS.map(([label]) => html`<th scope="col" class="num">${label}</th>`);
}

function progressCells(counts: CampaignCounts): Markup[] {
  return PROGRESS.map(([, read]) => html`<td class="num">${read(counts)}</td>`);
}

/** The window in words: `mon tue 09:00–17:00 (Europe/Madrid)`, or `any time`. */
export function windowText(c: Campaign): string {
  if (c.window === null) return "any time";
  const days = WEEKDAYS.filter((d) => (c.window!.weekly[d] ?? []).length > 0).map((d) =>
    `${d} ${(c.window!.weekly[d] ?? []).map((i) => `${i.open}–${i.close}`).join(", ")}`
  );
  return `${days.join("; ")} (${c.window.timeZone})`;
}

/** The campaigns table. */
export function campaignsTable(rows: readonly CampaignRow[]): Markup {
  if (rows.length === 0) return html`<p>No campaigns yet.</p>`;
  return html`
    <div class="table-wrap" tabindex="0" role="region"
      aria-label="Campaigns, newest first, with each recipient's state">
      <table>
        <caption>Campaigns, newest first, with each recipient's state</caption>
        <thead>
          <tr><th scope="col">Campaign</th><th scope="col">Kind</th><th scope="col">Number</th>
          <th scope="col">Status</th>${progressHeads()}<th scope="col">Created</th></tr>
        </thead>
        <tbody>${rows.map(({ campaign: c, counts }) =>
          html`<tr><td><a href="/campaigns/${c.id}">${c.name}</a></td><td>${c.kind}</td><td>${c.phoneNumberId}</td>
        <td><span class="badge">${c.status}</span></td>${progressCells(counts)}<td>${
            formatWhen(c.createdAt)
          }</td></tr>`
        )}</tbody>
      </table>
    </div>
  `;
}

/** What the create form shows: its key, the numbers, and after a refusal what was typed. */
export interface CreateFormView {
  csrf: string;
  key: string;
  phoneNumberId: string;
  knownNumbers: readonly string[];
  values: Record<string, string | string[]>;
}

function val(v: CreateFormView, name: string, fallback = ""): string {
  const x = v.values[name];
  return typeof x === "string" ? x : fallback;
}

function checked(v: CreateFormView, name: string, value: string, byDefault: boolean): Markup | "" {
  const x = v.values[name];
  const on = x === undefined ? byDefault : Array.isArray(x) ? x.includes(value) : x === value;
  return on
    ? html`
      checked
    `
    : "";
}

/** The create form (multipart: the CSV is a file). */
export function createForm(v: CreateFormView): Markup {
  const fresh = Object.keys(v.values).length === 0;
  return html`
    <section aria-labelledby="new-h">
      <h2 id="new-h">New campaign</h2>
      <form method="post" action="/campaigns" enctype="multipart/form-data">
        <input type="hidden" name="_csrf" value="${v.csrf}">
        <input type="hidden" name="key" value="${v.key}">
        <datalist id="known-numbers">${v.knownNumbers.map((n) =>
          html`<option value="${n}"></option>`
        )}</datalist>
        <p><label for="c-name">Name</label>
          <input id="c-name" name="name" required maxlength="200" value="${val(v, "name")}"></p>
        <p><label for="c-number">Business number (phone_number_id)</label>
          <input id="c-number" name="phone_number_id" required inputmode="numeric" list="known-numbers"
            value="${val(v, "phone_number_id", v.phoneNumberId)}"></p>
        <p><label for="c-csv">Recipients: CSV with a user (or phone) column; every other column is a
          {{variable}} (at most ${MAX_CSV_BYTES} bytes)</label>
          <input id="c-csv" name="csv" type="file" accept=".csv,text/csv" required></p>
        <fieldset>
          <legend>Calling window (leave the days empty to call at any time)</legend>
          <p>${WEEKDAYS.map((d) =>
            html`
              <input type="checkbox" id="d-${d}" name="days" value="${d}" ${checked(
                v,
                "days",
                d,
                false,
              )}> <label
                for="d-${d}">${d}</label>
            `
          )}</p>
          <p><label for="c-open">From (HH:MM)</label>
            <input id="c-open" name="window_open" type="time" value="${val(
              v,
              "window_open",
              "09:00",
            )}"></p>
          <p><label for="c-close">To (HH:MM)</label>
            <input id="c-close" name="window_close" type="time" value="${val(
              v,
              "window_close",
              "18:00",
            )}"></p>
          <p><label for="c-tz">Time zone (IANA, e.g. Europe/Madrid)</label>
            <input id="c-tz" name="time_zone" maxlength="64" value="${val(
              v,
              "time_zone",
              "UTC",
            )}"></p>
        </fieldset>
        <fieldset>
          <legend>Pace and retries</legend>
          <p><label for="c-conc">Calls at once</label>
            <input id="c-conc" name="max_concurrent" type="number" min="1" max="1000"
              value="${val(v, "max_concurrent", "1")}"></p>
          <p><label for="c-att">Attempts per recipient</label>
            <input id="c-att" name="max_attempts" type="number" min="1" max="10"
              value="${val(v, "max_attempts", "1")}"></p>
          <p><label for="c-delay">Minutes between attempts</label>
            <input id="c-delay" name="retry_delay_min" type="number" min="0" max="10080"
              value="${val(v, "retry_delay_min", "60")}"></p>
          <p>Retry when:
            <input type="checkbox" id="r-na" name="retry_on" value="no_answer"${checked(
              v,
              "retry_on",
              "no_answer",
              fresh,
            )}> <label for="r-na">not answered</label>
            <input type="checkbox" id="r-rej" name="retry_on" value="rejected"${checked(
              v,
              "retry_on",
              "rejected",
              fresh,
            )}> <label for="r-rej">declined</label></p>
        </fieldset>
        <fieldset>
          <legend>Purpose</legend>
          <p><label for="c-instr">Instructions ({{variables}} from the CSV's columns)</label>
            <textarea id="c-instr" name="instructions" rows="3">${val(
              v,
              "instructions",
            )}</textarea></p>
          <p><label for="c-greet">Greeting: the agent's first words</label>
            <textarea id="c-greet" name="greeting" rows="2">${val(v, "greeting")}</textarea></p>
        </fieldset>
        <p><button type="submit">Create campaign</button></p>
      </form>
    </section>
  `;
}

/** A recipient as the table shows it (user already masked for viewers). */
export interface RecipientRow {
  user: string;
  variables: string;
  status: string;
  outcome: string | null;
  attempts: number;
  nextAttemptAt: Date | null;
  callId: string | null;
  lastError: string | null;
}

/** The campaign's page body. */
export interface CampaignDetailView {
  csrf: string;
  campaign: Campaign;
  counts: CampaignCounts;
  recipients: readonly RecipientRow[];
  page: number;
  hasNext: boolean;
  mayAct: boolean;
  notice?: string | undefined;
}

function actionForms(v: CampaignDetailView): Markup | "" {
  if (!v.mayAct) return "";
  const actions = (["pause", "resume", "cancel"] as const).filter((a) =>
    ALLOWED_FROM[a].includes(v.campaign.status)
  );
  if (actions.length === 0) return "";
  return html`<div class="actions">${
    actions.map((a) =>
      html`<form method="post" action="/campaigns/${v.campaign.id}/${a}">
        <input type="hidden" name="_csrf" value="${v.csrf}">
        <button type="submit"${
        a === "cancel"
          ? html`
            class="danger"
          `
          : ""
      }>${a === "pause" ? "Pause" : a === "resume" ? "Resume" : "Cancel campaign"}</button></form>`
    )
  }</div>`;
}

/** The campaign's page. */
export function campaignDetail(v: CampaignDetailView): Markup {
  const c = v.campaign;
  return html`
    <p><a href="/campaigns">All campaigns</a></p>
        ${v.notice
          ? html`
            <div class="success" role="status">
              <p>${v.notice}</p>
            </div>
          `
          : ""}
        <div class="table-wrap" tabindex="0" role="region" aria-label="Settings">
      <table>
        <caption>Settings</caption>
        <tbody>
          <tr>
            <th scope="row">Status</th>
            <td id="campaign-status">${c.status}</td>
          </tr>
          <tr>
            <th scope="row">Business number</th>
            <td>${c.phoneNumberId}</td>
          </tr>
          <tr>
            <th scope="row">Window</th>
            <td>${windowText(c)}</td>
          </tr>
          <tr>
            <th scope="row">Calls at once</th>
            <td>${c.maxConcurrent}</td>
          </tr>
          <tr>
            <th scope="row">Retries</th>
            <td>${c.maxAttempts} attempt(s), ${Math.round(
              c.retryDelayS / 60,
            )} min apart, on ${c.retryOn.join(", ") || "nothing"}</td>
          </tr>
          <tr>
            <th scope="row">Greeting</th>
            <td>${c.purpose?.greeting ?? "—"}</td>
          </tr>
        </tbody>
      </table>
    </div>
        <div class="table-wrap" tabindex="0" role="region" aria-label="Progress">
      <table>
        <caption>Progress</caption>
        <thead>
          <tr>${progressHeads()}</tr>
        </thead>
        <tbody>
          <tr>${progressCells(v.counts)}</tr>
        </tbody>
      </table>
    </div>
        ${actionForms(v)}
        <section aria-labelledby="rec-h">
      <h2 id="rec-h">Recipients</h2>
      <div class="table-wrap" tabindex="0" role="region" aria-label="Recipients and outcomes">
        <table>
          <caption>Recipients and outcomes, page ${v.page}</caption>
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Variables</th>
              <th scope="col">State</th>
              <th scope="col">Outcome</th>
              <th scope="col" class="num">Attempts</th>
              <th scope="col">Next attempt</th>
              <th scope="col">Call</th>
              <th scope="col">Last error</th>
            </tr>
          </thead>
          <tbody>${v.recipients.map((r) =>
            html`
              <tr>
                <td>${r.user}</td>
                <td>${r.variables}</td>
                <td>${r.status}</td>
                <td>${r.outcome ?? "—"}</td>
                <td class="num">${r.attempts}</td>
                <td>${formatWhen(r.nextAttemptAt)}</td>
                <td>${r.callId === null
                  ? "—"
                  : html`<a href="/calls/${encodeURIComponent(r.callId)}">${r.callId}</a>`}</td>
                <td>${r.lastError ?? "—"}</td>
              </tr>
            `
          )}</tbody>
        </table>
      </div>
      <nav aria-label="Recipient pages" class="pagination">${v.page > 1
        ? html`<a href="/campaigns/${c.id}?page=${v.page - 1}">Previous</a>`
        : ""} ${v.hasNext
        ? html`<a href="/campaigns/${c.id}?page=${v.page + 1}">Next</a>`
        : ""}</nav>
    </section>
  `;
}
