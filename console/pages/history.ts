/**
 * History: every call, newest first, filtered by day, number, direction,
 * status, outcome and words of the transcript, a page at a time, and the
 * same list as CSV.
 *
 *   GET /calls       the page (`?from&to&number&direction&status&outcome&q&tests`,
 *                    `after`/`before` = the cursor of the next/previous page)
 *   GET /calls.csv   the whole filtered list as CSV, streamed
 *
 * Test calls ("Talk to your agent") are listed with a badge unless `tests`
 * says `exclude` (or `only`). A caller without a number (a username-only
 * WhatsApp user) shows by username, profile name or masked user id.
 *
 * A bad query answers 400 with the form and what is wrong. Viewers see
 * masked numbers (CSV too), and their number filter matches the business's
 * `phone_number_id` only: looking a caller up by number would tell a viewer
 * whether that person called, which masking is there to hide.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { html } from "hono/html";
import { type ConsoleDeps, type ConsoleEnv, type ConsoleUser } from "../server/context.ts";
import { type Markup, renderPage } from "../server/layout.ts";
import { consoleLogger } from "../server/log.ts";
import { CALL_STATUSES } from "../../store/store.ts";
import type { CallHistoryPage, CallHistoryRow } from "../../store/call_history.ts";
import { csvStream } from "./history_csv.ts";
import {
  DEFAULT_PAGE_SIZE,
  filterParams,
  type HistoryQuery,
  historyQuerySchema,
  pageLink,
  queryProblems,
  toFilter,
} from "./history_query.ts";
import {
  callHref,
  formatDuration,
  formatUsd,
  partyLabel,
  statusBadge,
  testCallBadge,
} from "./call_format.ts";

const log = consoleLogger("history");

/** The page's routes. */
export function historyRoutes(deps: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();

  app.get("/calls", async (c) => {
    const outcomes = await deps.store.listOutcomes();
    const parsed = historyQuerySchema.safeParse(c.req.query());
    const viewer = c.get("user").role === "viewer";
    if (!parsed.success) {
      c.status(400);
      return historyPage(c, {
        form: filterForm(c.req.query(), outcomes, viewer),
        problems: queryProblems(parsed.error),
      });
    }
    const query = parsed.data;
    const page = await deps.store.listCallHistory(toFilter(query, viewer), {
      limit: query.limit ?? DEFAULT_PAGE_SIZE,
      after: query.after,
      before: query.before,
    });
    return historyPage(c, {
      form: filterForm(rawValues(query), outcomes, viewer),
      results: results(c, query, page),
    });
  });

  app.get("/calls.csv", (c) => {
    const parsed = historyQuerySchema.safeParse(c.req.query());
    if (!parsed.success) return c.text(queryProblems(parsed.error).join("\n"), 400);
    const user = c.get("user");
    const filter = toFilter(parsed.data, user.role === "viewer");
    const body = csvStream(
      deps.store.iterateCallHistory(filter),
      (row, side) => partyLabel(user, row, side),
      (rows) => log.info("CONSOLE_CALLS_EXPORTED", { userId: user.id, rows }),
    );
    return c.body(body, 200, {
      "content-type": "text/csv; charset=utf-8; header=present",
      "content-disposition": 'attachment; filename="calls.csv"',
      "cache-control": "no-store",
    });
  });

  return app;
}

function historyPage(
  c: Context<ConsoleEnv>,
  parts: { form: Markup; problems?: string[]; results?: Markup },
): Response | Promise<Response> {
  const problems = parts.problems ?? [];
  return renderPage(c, {
    title: "Call history",
    section: "/calls",
    styles: ["call.css"],
    body: html`${parts.form}${
      problems.length === 0 ? "" : html`
        <div class="error" role="alert">
          <p>These filters cannot be used:</p>
          <ul>${problems.map((p) => html`<li>${p}</li>`)}</ul>
        </div>
      `
    }${parts.results ?? ""}`,
  });
}

/** The query as the form shows it back. */
function rawValues(query: HistoryQuery): Record<string, string> {
  return Object.fromEntries(filterParams(query));
}

function filterForm(values: Record<string, string>, outcomes: string[], viewer: boolean): Markup {
  const v = (name: string) => values[name] ?? "";
  const option = (value: string, label: string, current: string) =>
    html`
      <option value="${value}" ${current === value
        ? html`
          selected
        `
        : ""}>${label}</option>
    `;
  const knownOutcome = v("outcome") === "" || outcomes.includes(v("outcome"));
  return html`
    <form class="filters" method="get" action="/calls" role="search" aria-label="Filter calls">
      <p><label for="f-from">From day (UTC)</label>
    <input id="f-from" name="from" type="date" value="${v("from")}"></p>
      <p><label for="f-to">To day (UTC)</label>
    <input id="f-to" name="to" type="date" value="${v("to")}"></p>
      <p><label for="f-number">${viewer ? "Phone number id" : "Number"}</label>
    <input id="f-number" name="number" inputmode="tel" autocomplete="off" value="${v("number")}"
    aria-describedby="f-number-help">
    <span id="f-number-help" class="muted">${viewer
      ? "The business's phone_number_id."
      : "The caller's number or the business's phone_number_id."}</span></p>
      <p><label for="f-direction">Direction</label>
    <select id="f-direction" name="direction">${option("", "Any", v("direction"))}${option(
      "user_initiated",
      "Caller called us",
      v("direction"),
    )}${option("business_initiated", "We called", v("direction"))}</select></p>
      <p><label for="f-status">Status</label>
    <select id="f-status" name="status">${option("", "Any", v("status"))}${CALL_STATUSES.map((s) =>
      option(s, s.replace("_", " "), v("status"))
    )}</select></p>
      <p><label for="f-outcome">Outcome</label>
    <select id="f-outcome" name="outcome">${option("", "Any", v("outcome"))}${outcomes.map((o) =>
      option(o, o, v("outcome"))
    )}${knownOutcome ? "" : option(v("outcome"), v("outcome"), v("outcome"))}</select></p>
      <p><label for="f-tests">Test calls</label>
    <select id="f-tests" name="tests" aria-describedby="f-tests-help">${option(
      "",
      "Include (marked)",
      v("tests"),
    )}${option("exclude", "Leave out", v("tests"))}${option(
      "only",
      "Only test calls",
      v("tests"),
    )}</select>
    <span id="f-tests-help" class="muted">Calls placed from Talk to your agent.</span></p>
      <p><label for="f-q">Words in the transcript</label>
    <input id="f-q" name="q" type="search" value="${v("q")}" aria-describedby="f-q-help">
    <span id="f-q-help" class="muted">Whole words said anywhere in the call; "a phrase" in quotes, -word to leave out.</span></p>
      <p><button type="submit">Filter</button> <a href="/calls">Clear filters</a></p>
    </form>
  `;
}

function results(c: Context<ConsoleEnv>, query: HistoryQuery, page: CallHistoryPage): Markup {
  const user = c.get("user");
  const csv = `/calls.csv${filterParams(query).size === 0 ? "" : `?${filterParams(query)}`}`;
  const pager = html`<nav class="pagination" aria-label="Pages">${
    page.newer === null
      ? ""
      : html`<a href="${
        pageLink("/calls", query, { dir: "before", cursor: page.newer })
      }" rel="prev">← Previous (newer)</a>`
  } ${
    page.older === null
      ? ""
      : html`<a href="${
        pageLink("/calls", query, { dir: "after", cursor: page.older })
      }" rel="next">Next (older) →</a>`
  }</nav>`;
  if (page.rows.length === 0) {
    return html`<p>No calls match these filters.</p>${pager}`;
  }
  return html`
    <p><a href="${csv}" download>Download these calls as CSV</a></p>
    <div class="table-wrap">
      <table>
        <caption>Calls, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Started (UTC)</th>
            <th scope="col">Direction</th>
            <th scope="col">From</th>
            <th scope="col">To</th>
            <th scope="col">Number id</th>
            <th scope="col">Status</th>
            <th scope="col" class="num">Duration</th>
            <th scope="col">Outcome</th>
            <th scope="col" class="num">Cost</th>
          </tr>
        </thead>
        <tbody>${page.rows.map((r) => row(r, user))}</tbody>
      </table>
    </div>
    ${pager}
  `;
}

function row(r: CallHistoryRow, user: ConsoleUser): Markup {
  const started = (r.offeredAt ?? r.createdAt).toISOString().replace("T", " ").slice(0, 19);
  return html`
    <tr>
      <td class="when"><a href="${callHref(r.callId)}">${started}</a>${testCallBadge(
        r.testCall,
      )}</td>
      <td>${r.direction === "business_initiated"
        ? "outbound"
        : r.direction === null
        ? "—"
        : "inbound"}</td>
      <td>${partyLabel(user, r, "from")}</td>
      <td>${partyLabel(user, r, "to")}</td>
      <td>${r.phoneNumberId ?? "—"}</td>
      <td>${statusBadge(r.status)}</td>
      <td class="num">${formatDuration(r.durationSeconds)}</td>
      <td>${r.outcome ?? "—"}</td>
      <td class="num">${formatUsd(r.costUsd)}</td>
    </tr>
  `;
}
