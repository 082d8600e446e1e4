/**
 * Call: one call in full. Its timeline (webhook → pre_accept → accept →
 * first audio → each turn, barge-in, tool call, keypad → hang-up, at offsets
 * from the start), the transcript beside the recording (each line a button
 * that plays from there; `static/call.js` marks the line being heard with
 * `aria-current`), cost and turn latencies, the analysis (summary, outcome,
 * fields), the end-of-call webhook deliveries, and Meta's error codes in
 * words when the call failed.
 *
 *   GET /calls/:callId             the page (404 page for an unknown call)
 *   GET /calls/:callId/recording   the stereo Ogg, whole or a byte range
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { html } from "hono/html";
import { z } from "zod";
import { type ConsoleDeps, type ConsoleEnv, type ConsoleUser, hasRole } from "../server/context.ts";
import { maskPhonesInText } from "../../lib/whatsapp/mask.ts";
import { renderPage } from "../server/layout.ts";
import { callStart, recordingOrigin } from "./call_timeline.ts";
import { serveRecording } from "./call_recording.ts";
import { callSections, type CallView } from "./call_sections.ts";

/** A call id in a path: Meta's are printable ASCII (`wacid.…`, base64 with `/`, `+`, `=`). */
const callIdSchema = z.string().regex(/^[\x21-\x7e]{1,256}$/);

/** The page's routes. */
export function callRoutes(deps: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();

  app.get("/calls/:callId{.+}/recording", async (c) => {
    const id = callIdSchema.safeParse(c.req.param("callId"));
    if (!id.success) return c.text("Not a call id.", 400);
    return await serveRecording(c, deps.recordings, id.data);
  });

  app.get("/calls/:callId{.+}", async (c) => {
    const id = callIdSchema.safeParse(c.req.param("callId"));
    const call = id.success ? await deps.store.getCall(id.data) : null;
    if (call === null) return notFound(c);
    const [events, transcripts, figures, analysis, webhooks, recording] = await Promise.all([
      deps.store.listEvents(call.callId),
      deps.store.listTranscripts(call.callId),
      deps.store.getFigures(call.callId),
      deps.store.getAnalysis(call.callId),
      deps.store.listWebhooks(call.callId),
      deps.store.getRecording(call.callId),
    ]);
    const user = c.get("user");
    // A row says a file was made (post-call registers it); without one there is nothing to play.
    const hasRecording = deps.recordings !== undefined && recording !== null &&
      recording.deletedAt === null;
    return renderPage(c, {
      title: `Call ${shownStart(callStart(call))}`,
      section: "/calls",
      scripts: ["call.js"],
      styles: ["call.css"],
      body: callSections(readableBy(user, {
        call,
        events,
        transcripts,
        figures,
        analysis,
        webhooks,
        origin: recordingOrigin(call, events),
        hasRecording,
        user,
      })),
    });
  });

  return app;
}

/**
 * What `user` may read: for viewers, phone numbers said on the call (the
 * transcript, the summary and fields, tool arguments in events) are masked
 * like the caller's own.
 */
function readableBy(user: ConsoleUser, view: CallView): CallView {
  if (hasRole(user, "operator")) return view;
  const { analysis } = view;
  return {
    ...view,
    transcripts: view.transcripts.map((t) => ({ ...t, text: maskPhonesInText(t.text) })),
    events: view.events.map((e) => ({ ...e, data: maskJson(e.data) })),
    analysis: analysis && {
      ...analysis,
      summary: analysis.summary === null ? null : maskPhonesInText(analysis.summary),
      fields: analysis.fields === null ? null : maskJson(analysis.fields) as typeof analysis.fields,
    },
  };
}

/** Every string in a JSON value through {@linkcode maskPhonesInText}. */
function maskJson<T>(value: T): T {
  if (typeof value === "string") return maskPhonesInText(value) as T;
  if (Array.isArray(value)) return value.map(maskJson) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskJson(v)])) as T;
  }
  return value;
}

function shownStart(d: Date): string {
  return `${d.toISOString().replace("T", " ").slice(0, 19)} UTC`;
}

function notFound(c: Context<ConsoleEnv>): Response | Promise<Response> {
  c.status(404);
  return renderPage(c, {
    title: "Call not found",
    section: "/calls",
    body: html`<p>No call has this id. It may have been deleted, or the link is incomplete.</p>
<p><a href="/calls">Back to the call history</a></p>`,
  });
}
