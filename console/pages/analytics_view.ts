/**
 * The analytics page's markup: the filter form, range shortcuts, chart
 * figures and the tables that carry every number (the charts' text
 * alternative). Each numeric cell keeps its exact value in `data-v`, which
 * `static/analytics.js` reads to draw the charts, so the table is the one
 * source of what the page shows.
 *
 * @module
 */
import type { Context } from "hono";
import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { type ConsoleEnv, shownNumberFor } from "../server/context.ts";
import type {
  AnalyticsFigures,
  AnalyticsLabel,
  CallAnalytics,
} from "../../store/call_analytics.ts";

/** The filter form's fields as shown (validated or echoed back). */
export interface AnalyticsForm {
  from: string;
  to: string;
  tz: string;
  /** `""`: every number. */
  number: string;
}

/** What {@linkcode analyticsBody} renders. */
export interface AnalyticsView {
  form: AnalyticsForm;
  /** Problems with the query; no figures are shown when there are any. */
  errors: string[];
  numbers: string[];
  /** Today in the form's time zone, for the range shortcuts. */
  today: string;
  data: CallAnalytics | null;
}

type Markup = HtmlEscapedString | Promise<HtmlEscapedString>;

/** Time zones offered in the form's list (any IANA name may be typed). */
const ZONES: readonly string[] = ["UTC", ...Intl.supportedValuesOf("timeZone")];

const COLUMNS = [
  ["calls", "Calls"],
  ["answered", "Answered"],
  ["rejected", "Rejected"],
  ["failed", "Failed"],
  ["other", "Missed or open"],
  ["avgDurationSeconds", "Average talk time"],
  ["turnP50Ms", "Turn latency p50"],
  ["turnP95Ms", "Turn latency p95"],
  ["costUsd", "Cost (USD)"],
] as const;

type Column = typeof COLUMNS[number][0];

// Made once: `toLocaleString` builds a formatter per call (~30 µs; 1,000 cells a page).
const INTEGER = new Intl.NumberFormat("en", { maximumFractionDigits: 0 });
const USD = new Intl.NumberFormat("en", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

function shown(column: Column, value: number | null): string {
  if (value === null) return "—";
  switch (column) {
    case "avgDurationSeconds": {
      const s = Math.round(value);
      return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
    }
    case "turnP50Ms":
    case "turnP95Ms":
      return `${INTEGER.format(value)} ms`;
    case "costUsd":
      return `$${USD.format(value)}`;
    default:
      return INTEGER.format(value);
  }
}

function cells(f: AnalyticsFigures): Markup[] {
  return COLUMNS.map(([key]) => {
    const v = f[key];
    return html`<td class="num" data-col="${key}" data-v="${v ?? ""}">${shown(key, v)}</td>`;
  });
}

const headers = COLUMNS.map(([key, label]) =>
  html`<th scope="col" class="num" data-col="${key}">${label}</th>`
);

function filterForm(view: AnalyticsView): Markup {
  const { form, numbers } = view;
  const options = numbers.filter((n) => n !== "").map((n) =>
    html`
      <option value="${n}" ${n === form.number
        ? html`
          selected
        `
        : ""}>${n}</option>
    `
  );
  return html`
    <form class="filters" method="get" action="/analytics" aria-label="Analytics range">
      <p><label for="an-from">From</label><br><input id="an-from" name="from" type="date" value="${form
        .from}"></p>
      <p><label for="an-to">To (inclusive)</label><br><input id="an-to" name="to" type="date" value="${form
        .to}"></p>
      <p><label for="an-tz">Time zone</label><br><input id="an-tz" name="tz" type="text" list="an-zones"
      value="${form.tz}" autocomplete="off" spellcheck="false"></p>
      <datalist id="an-zones">${ZONES.map((z) => html`<option value="${z}"></option>`)}</datalist>
      <p><label for="an-number">Number (phone_number_id)</label><br><select id="an-number" name="number">
    <option value=""${form.number === ""
      ? html`
        selected
      `
      : ""}>All numbers</option>${options}</select></p>
      <p><button type="submit">Show</button></p>
    </form>
  `;
}

function shortcuts(view: AnalyticsView): Markup {
  const link = (days: number) => {
    const from = new Date(Date.parse(`${view.today}T00:00:00Z`) - (days - 1) * 86_400_000)
      .toISOString().slice(0, 10);
    const q = new URLSearchParams({ from, to: view.today, tz: view.form.tz });
    if (view.form.number !== "") q.set("number", view.form.number);
    return html`<li><a href="/analytics?${q.toString()}">Last ${days} days</a></li>`;
  };
  return html`
    <nav aria-label="Ranges">
      <ul class="an-ranges">${[7, 30, 90].map(link)}</ul>
    </nav>
  `;
}

function dayTable(data: CallAnalytics, caption: string): Markup {
  return html`
    <div class="table-wrap" tabindex="0" role="region" aria-label="By day table">
      <table id="an-days">
        <caption>${caption}</caption>
        <thead>
          <tr><th scope="col">Day</th>${headers}</tr>
        </thead>
        <tbody>${data.days.map((d) =>
          html`<tr data-day="${d.day}"><th scope="row">${d.day}</th>${cells(d)}</tr>`
        )}</tbody>
        <tfoot>
          <tr><th scope="row">All days</th>${cells(data.total)}</tr>
        </tfoot>
      </table>
    </div>
  `;
}

function numberTable(c: Context<ConsoleEnv>, data: CallAnalytics): Markup {
  const rows = data.numbers.map((n) =>
    html`<tr><th scope="row">${n.phoneNumberId === "" ? "(none recorded)" : n.phoneNumberId}</th>
<td>${shownNumberFor(c, n.businessNumber)}</td>${cells(n)}</tr>`
  );
  return html`
    <div class="table-wrap" tabindex="0" role="region" aria-label="By number table">
      <table id="an-numbers">
        <caption>By number over the whole range</caption>
        <thead>
          <tr><th scope="col">phone_number_id</th><th scope="col">Business number</th>${headers}</tr>
        </thead>
        <tbody>${rows.length === 0
          ? html`
            <tr>
              <td colspan="11">No calls in this range.</td>
            </tr>
          `
          : rows}</tbody>
      </table>
    </div>
  `;
}

function labelTable(
  id: string,
  caption: string,
  what: string,
  none: string,
  labels: AnalyticsLabel[],
  total: number,
): Markup {
  const rows = labels.map((l) => {
    const share = total === 0 ? 0 : (100 * l.calls) / total;
    return html`
      <tr>
        <th scope="row">${l.label === null ? none : l.label}</th>
        <td class="num" data-v="${l.calls}">${INTEGER.format(l.calls)}</td>
        <td class="num">${share.toFixed(1)}%</td>
      </tr>
    `;
  });
  return html`
    <div class="table-wrap" tabindex="0" role="region" aria-label="${caption}">
      <table id="${id}">
        <caption>${caption}</caption>
        <thead>
          <tr>
            <th scope="col">${what}</th>
            <th scope="col" class="num">Calls</th>
            <th scope="col" class="num">Share</th>
          </tr>
        </thead>
        <tbody>${rows.length === 0
          ? html`
            <tr>
              <td colspan="3">No calls in this range.</td>
            </tr>
          `
          : rows}</tbody>
      </table>
    </div>
  `;
}

/** A chart slot `analytics.js` fills; its name and description point at the table. */
function chart(id: string, title: string, description: string): Markup {
  return html`
    <figure class="an-chart">
      <div id="${id}" class="an-plot" data-chart="${id}"
        data-label="${title}: ${description}"></div>
      <figcaption><strong>${title}.</strong> ${description} Every value is in the table “By day” below.</figcaption>
    </figure>
  `;
}

/** The page body. */
export function analyticsBody(c: Context<ConsoleEnv>, view: AnalyticsView): Markup {
  const { data, form } = view;
  const errors = view.errors.length === 0 ? "" : html`
    <div class="error" role="alert">
      <p>The range could not be shown:</p>
      <ul>${view.errors.map((e) => html`<li>${e}</li>`)}</ul>
    </div>
  `;
  if (data === null) return html`${filterForm(view)}${errors}`;
  const scope = form.number === "" ? "all numbers" : `number ${form.number}`;
  const caption = `By day, ${form.from} to ${form.to} (${form.tz}), ${scope}`;
  return html`
    ${filterForm(view)}${shortcuts(view)}
    <p
      class="muted">Days run midnight to midnight in ${form
        .tz}. A call counts on the day it was offered.
    Answered, rejected, failed and missed-or-open add up to the calls; a call that failed after it was
    answered counts as failed. Turn latency p50 is the median of the calls' median turn; p95 the 95th
    percentile of the calls' p95 turn (caller's end of speech → first agent audio). Cost is what settled
    calls cost (OpenAI and Meta). Test calls from Talk to your agent are not counted: History lists
    them, marked.</p>
    <section aria-labelledby="an-charts-h">
      <h2 id="an-charts-h">Charts</h2>
      <div class="an-charts">
    ${chart(
      "an-chart-calls",
      "Calls per day",
      "Answered, rejected, failed and missed-or-open calls each day.",
    )}
    ${chart(
      "an-chart-latency",
      "Turn latency per day",
      "p50 and p95 turn latency each day, in milliseconds.",
    )}
    ${chart("an-chart-cost", "Cost per day", "What each day's calls cost, in US dollars.")}
      </div>
    </section>
    <section aria-labelledby="an-days-h"><h2 id="an-days-h">By day</h2>${dayTable(
      data,
      caption,
    )}</section>
    <section aria-labelledby="an-numbers-h"><h2 id="an-numbers-h">By number</h2>${numberTable(
      c,
      data,
    )}</section>
    <section aria-labelledby="an-labels-h"><h2 id="an-labels-h">Outcomes and end reasons</h2>
    ${labelTable(
      "an-outcomes",
      "Outcomes (post-call analysis)",
      "Outcome",
      "No outcome recorded",
      data.outcomes,
      data.total.calls,
    )}
    ${labelTable(
      "an-end-reasons",
      "End reasons",
      "End reason",
      "Not ended yet",
      data.endReasons,
      data.total.calls,
    )}
    </section>
  `;
}
