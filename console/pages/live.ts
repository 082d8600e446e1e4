/**
 * Live: the calls in progress on every bridge, with caller (masked), state,
 * duration, agent, each side's audio level and the transcript as it is
 * spoken; an operator can end a call.
 *
 *   GET  /live               the page: the store's live calls (`offered` … `active`)
 *   GET  /live/stream        Server-Sent Events from the live hub (`server/live_hub.ts`):
 *                            `calls` (the list, first), `snapshot` (a call now), `ended`
 *   GET  /live/:callId/end   confirmation page (operator; the page without JavaScript)
 *   POST /live/:callId/end   operator + CSRF: asks the bridges to end the call (audited);
 *                            202 JSON for `fetch`, else 303 back to `/live`
 *
 * The page works without JavaScript (a reload shows the calls now);
 * `static/live.js` keeps it current from the stream.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { html } from "hono/html";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import { type ConsoleDeps, type ConsoleEnv, hasRole, requireRole } from "../server/context.ts";
import { callView, type LiveCallView, type LiveHub } from "../server/live_hub.ts";
import { type Markup, renderPage } from "../server/layout.ts";
import { consoleLogger } from "../server/log.ts";
import { TERMINAL_CALL_STATUSES } from "../../store/store.ts";

/** A call id in a path: Meta's are printable ASCII (`wacid.…`, base64 with `=`). */
export const LiveCallParamsSchema = z.object({ callId: z.string().regex(/^[\x21-\x7e]{1,200}$/) });

/** Calls the page lists at most. */
const MAX_LISTED = 200;

const log = consoleLogger("live");

/** The page's routes. */
export function liveRoutes(deps: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();

  app.get("/live", async (c) => {
    const calls = (await deps.store.listLiveCalls(MAX_LISTED)).map(callView);
    const operator = hasRole(c.get("user"), "operator");
    return renderPage(c, {
      title: "Live calls",
      section: "/live",
      scripts: ["live.js"],
      styles: ["live.css"],
      body: liveBody(calls, operator, deps.now().getTime(), deps.live !== undefined),
    });
  });

  app.get("/live/stream", (c) => {
    const hub = deps.live;
    if (hub === undefined) return c.text("Live updates are not available here.", 503);
    return streamSSE(c, (stream) => pump(hub, stream));
  });

  app.get("/live/:callId/end", requireRole("operator"), async (c) => {
    const params = LiveCallParamsSchema.safeParse(c.req.param());
    if (!params.success) return c.text("Not a call id.", 400);
    const call = await deps.store.getCall(params.data.callId);
    if (call === null) return c.text("No such call.", 404);
    return renderPage(c, {
      title: "End this call?",
      section: "/live",
      body: confirmBody(callView(call), c.get("csrfToken")),
    });
  });

  app.post("/live/:callId/end", requireRole("operator"), (c) => endCall(c, deps));

  return app;
}

/** Streams the hub's events to one browser until it goes (or the hub closes). */
async function pump(
  hub: LiveHub,
  stream: Parameters<Parameters<typeof streamSSE>[1]>[0],
): Promise<void> {
  let sub;
  try {
    sub = await hub.subscribe();
  } catch (error) {
    log.warn("CONSOLE_LIVE_UNAVAILABLE", { error: String(error) });
    await stream.writeSSE({ event: "unavailable", data: "{}" });
    return;
  }
  const subscription = sub;
  stream.onAbort(() => subscription.close("disconnect"));
  try {
    while (!subscription.closed) {
      const events = await subscription.next(hub.heartbeatMs);
      if (events.length === 0 && !subscription.closed) await stream.write(": ping\n\n");
      for (const event of events) {
        await stream.writeSSE({ event: event.kind, data: JSON.stringify(event) });
      }
    }
  } finally {
    subscription.close("disconnect");
  }
}

async function endCall(c: Context<ConsoleEnv>, deps: ConsoleDeps): Promise<Response> {
  const params = LiveCallParamsSchema.safeParse(c.req.param());
  if (!params.success) return c.json({ error: "bad_call_id" }, 400);
  const { callId } = params.data;
  const hub = deps.live;
  if (hub === undefined) return c.json({ error: "unavailable" }, 503);
  const call = await deps.store.getCall(callId);
  if (call === null) return c.json({ error: "not_found" }, 404);
  if (TERMINAL_CALL_STATUSES.includes(call.status)) {
    return c.json({ error: "ended", message: "The call has already ended." }, 409);
  }
  const user = c.get("user");
  await deps.store.recordAudit({
    actorId: user.id,
    actorEmail: user.email,
    action: "live_call.end",
    target: callId,
    before: { status: call.status },
    after: { requested: "end" },
  });
  await hub.endCall(callId, user.id);
  log.info("CONSOLE_LIVE_END_REQUESTED", { callId, userId: user.id });
  if ((c.req.header("accept") ?? "").includes("application/json")) {
    return c.json({ sent: true, callId }, 202);
  }
  return c.redirect("/live", 303);
}

/** `m:ss` (or `h:mm:ss`) of `ms`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60));
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${mm.padStart(2, "0")}:${ss}` : `${mm}:${ss}`;
}

function levelCell(side: "caller" | "agent", label: string): Markup {
  return html`<span class="level"><span class="level-name">${label}</span>
<meter data-level="${side}" min="-60" max="0" low="-45" high="-6" optimum="-20" value="-60"
 aria-label="${label} audio level"></meter>
<span class="level-value" data-level-text="${side}">—</span></span>`;
}

/** One call's row; `live.js` fills the same cells from the stream. */
function callRow(call: LiveCallView, operator: boolean, now: number): Markup {
  const since = call.acceptedAt ?? call.startedAt;
  return html`<tr data-call-id="${call.callId}" data-since="${since}">
<th scope="row" data-cell="caller"><a href="/calls/${
    encodeURIComponent(call.callId)
  }">${call.caller}</a></th>
<td data-cell="state">${call.state ?? call.status ?? "—"}</td>
<td data-cell="duration">${formatDuration(now - since)}</td>
<td data-cell="agent">${call.agent ?? "—"}</td>
<td data-cell="levels">${levelCell("caller", "Caller")} ${levelCell("agent", "Agent")}</td>
<td data-cell="transcript"><ol class="live-lines"></ol></td>
${
    operator
      ? html`
        <td>
          <form method="get" action="/live/${encodeURIComponent(call.callId)}/end">
            <button type="submit" class="danger" data-end-call
              aria-label="End call from ${call.caller}">End call</button>
          </form>
        </td>
      `
      : ""
  }
</tr>`;
}

function liveBody(
  calls: readonly LiveCallView[],
  operator: boolean,
  now: number,
  streaming: boolean,
): Markup {
  return html`
    <p id="live-status" role="status" class="muted" data-streaming="${String(streaming)}">
    ${calls.length} ${calls.length === 1 ? "call" : "calls"} in progress.
    ${streaming ? "" : "Live updates are off here: reload to see changes."}</p>
    <p id="live-empty" ${calls.length === 0 ? "" : html`
      hidden
    `}>No calls in progress.</p>
    <div class="table-wrap">
      <table id="live-calls" data-operator="${String(operator)}">
        <caption>Calls in progress on every bridge</caption>
        <thead>
          <tr>
    <th scope="col">Caller</th><th scope="col">State</th><th scope="col">Duration</th>
    <th scope="col">Agent</th><th scope="col">Audio level</th><th scope="col">Transcript</th>
    ${operator ? html`<th scope="col">Action</th>` : ""}
          </tr>
        </thead>
        <tbody>${calls.map((call) => callRow(call, operator, now))}</tbody>
      </table>
    </div>
    <template id="live-row">${callRow(emptyView(now), operator, now)}</template>
    ${operator ? endDialog() : ""}
  `;
}

/** An empty view: the template row `live.js` clones. */
function emptyView(now: number): LiveCallView {
  return {
    callId: "",
    caller: "—",
    status: null,
    state: null,
    agent: null,
    startedAt: now,
    acceptedAt: null,
    levels: { caller: null, agent: null },
    lines: [],
  };
}

function endDialog(): Markup {
  return html`
    <dialog id="end-dialog" aria-labelledby="end-dialog-title">
      <h2 id="end-dialog-title">End this call?</h2>
      <p>The caller <strong data-dialog-caller></strong> will be hung up at once.</p>
      <form method="dialog">
        <button type="submit" value="cancel" class="secondary">Cancel</button>
        <button type="submit" value="confirm" class="danger">End call</button>
      </form>
    </dialog>
  `;
}

function confirmBody(call: LiveCallView, csrf: string): Markup {
  return html`
    <p>The caller <strong>${call.caller}</strong> will be hung up at once.</p>
    <form method="post" action="/live/${encodeURIComponent(call.callId)}/end">
      <input type="hidden" name="_csrf" value="${csrf}">
      <button type="submit" class="danger">End call</button>
      <a class="button secondary" href="/live">Cancel</a>
    </form>
  `;
}
