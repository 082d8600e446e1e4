/**
 * "Talk to your agent": an operator speaks with a number's agent from the
 * browser's microphone, through the same bridge and agent a WhatsApp caller
 * reaches (`console/talk/test_calls.ts`), and the call is recorded like any
 * other, marked as a test call.
 *
 *   GET    /talk                                   the page (any role; the button needs operator)
 *   POST   /talk/:phoneNumberId/sessions           `{ sdp }` (the browser's gathered offer) →
 *                                                  201 `{ callId, sdp }` (the bridge's answer)
 *   DELETE /talk/:phoneNumberId/sessions/:callId   hang up → 200 `{ outcome }`
 *
 * The two changes need the operator role and the CSRF header (checked by
 * `app.ts` for every change). The page script is `static/talk.js`.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { html } from "hono/html";
import { z } from "zod";
import { MAX_SDP_BYTES } from "../../lib/bridge_api/schema.ts";
import { type ConsoleDeps, type ConsoleEnv, hasRole, requireRole } from "../server/context.ts";
import { renderPage } from "../server/layout.ts";
import { TEST_CALL_ID_PREFIX, TestCallError } from "../talk/test_calls.ts";

/** A business number's `phone_number_id`: Meta's are digits. */
export const PhoneNumberIdSchema = z.string().regex(/^\d{1,32}$/, "digits only, at most 32");

/** Path of `POST /talk/:phoneNumberId/sessions`. */
export const TalkNumberParamsSchema = z.object({ phoneNumberId: PhoneNumberIdSchema });

/** Path of `DELETE /talk/:phoneNumberId/sessions/:callId`. */
export const TalkCallParamsSchema = TalkNumberParamsSchema.extend({
  callId: z.string().regex(
    new RegExp(`^${TEST_CALL_ID_PREFIX}[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$`),
    "a test call id",
  ),
});

/** Body of `POST /talk/:phoneNumberId/sessions`: the browser's complete SDP offer. */
export const TalkOfferSchema = z.object({
  sdp: z.string().min(1).max(MAX_SDP_BYTES).startsWith("v=0").includes("m=audio"),
});

/** An offer is a few KiB: the body is refused past twice the largest SDP, before it is parsed. */
const offerSizeLimit = bodyLimit({
  maxSize: 2 * MAX_SDP_BYTES,
  onError: (c) => c.json({ error: "offer too large" }, 413),
});

/** How many numbers the page lists. */
const MAX_LISTED_NUMBERS = 100;

/** The page's routes. */
export function talkRoutes(deps: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();

  app.get("/talk", async (c) => {
    const numbers = await listedNumbers(deps);
    const mayTalk = hasRole(c.get("user"), "operator");
    return renderPage(c, {
      title: "Talk to your agent",
      section: "/talk",
      scripts: mayTalk && deps.talk ? ["talk.js"] : [],
      styles: ["talk.css"],
      body: talkBody({ numbers, mayTalk, available: deps.talk !== undefined }),
    });
  });

  app.post("/talk/:phoneNumberId/sessions", requireRole("operator"), offerSizeLimit, async (c) => {
    const params = TalkNumberParamsSchema.safeParse(c.req.param());
    if (!params.success) {
      return c.json({ error: "invalid number", issues: lines(params.error) }, 400);
    }
    const body = TalkOfferSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!body.success) return c.json({ error: "invalid offer", issues: lines(body.error) }, 400);
    if (!deps.talk) return c.json({ error: "no bridge configured (VOICE_BRIDGE_URL)" }, 503);
    try {
      const call = await deps.talk.start({
        user: c.get("user"),
        phoneNumberId: params.data.phoneNumberId,
        sdp: body.data.sdp,
      });
      return c.json(call, 201);
    } catch (error) {
      if (!(error instanceof TestCallError)) throw error;
      return refusal(c, error);
    }
  });

  app.delete("/talk/:phoneNumberId/sessions/:callId", requireRole("operator"), async (c) => {
    const params = TalkCallParamsSchema.safeParse(c.req.param());
    if (!params.success) return c.json({ error: "invalid call", issues: lines(params.error) }, 400);
    if (!deps.talk) return c.json({ error: "no bridge configured (VOICE_BRIDGE_URL)" }, 503);
    const outcome = await deps.talk.hangUp(params.data.callId, c.get("user"));
    if (outcome === "not_found") return c.json({ error: "no such test call" }, 404);
    return c.json({ outcome });
  });

  return app;
}

/** The answer for a call the bridge would not take. */
function refusal(c: Context<ConsoleEnv>, error: TestCallError) {
  const { callId } = error;
  switch (error.failure) {
    case "offer_rejected":
      return c.json(
        { error: "the bridge cannot use this offer", reasons: error.reasons, callId },
        400,
      );
    case "capacity":
      return c.json({ error: "the bridge is at capacity; try again shortly", callId }, 503);
    default:
      return c.json({ error: `the bridge did not answer (${error.failure})`, callId }, 502);
  }
}

function lines(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.map(String).join(".") || "(body)"}: ${i.message}`);
}

/** A number the page offers: its id, and how callers dial it when known. */
interface ListedNumber {
  phoneNumberId: string;
  displayNumber: string | null;
}

/** Numbers with agent settings and numbers calls reached, by id. */
async function listedNumbers(deps: ConsoleDeps): Promise<ListedNumber[]> {
  const [configured, called] = await Promise.all([
    deps.store.listAgentNumbers(MAX_LISTED_NUMBERS),
    deps.store.knownBusinessNumbers(MAX_LISTED_NUMBERS),
  ]);
  const byId = new Map<string, string | null>();
  for (const n of configured) byId.set(n.phoneNumberId, null);
  for (const n of called) byId.set(n.phoneNumberId, n.displayNumber);
  return [...byId].sort(([a], [b]) => a.localeCompare(b)).slice(0, MAX_LISTED_NUMBERS)
    .map(([phoneNumberId, displayNumber]) => ({ phoneNumberId, displayNumber }));
}

/** The page's main content. */
function talkBody(p: { numbers: ListedNumber[]; mayTalk: boolean; available: boolean }) {
  const intro = html`<p>Speak with the agent of one of your WhatsApp numbers from this browser's
microphone. The call goes through the same bridge and agent a WhatsApp caller reaches, and it is
recorded like any other call, marked as a test call. WhatsApp and Meta are not involved.</p>`;
  if (!p.mayTalk) {
    return html`${intro}<p class="notice">Talking to an agent needs the operator role.</p>`;
  }
  if (!p.available) {
    return html`${intro}<p class="notice">No bridge is configured: set <code>VOICE_BRIDGE_URL</code>
and <code>VOICE_BRIDGE_SECRET</code> for the console.</p>`;
  }
  const first = p.numbers[0]?.phoneNumberId ?? "";
  const options = p.numbers.map((n) =>
    html`<option value="${n.phoneNumberId}">${n.displayNumber ?? "no calls yet"}</option>`
  );
  return html`
    ${intro}
    <noscript><p class="notice">This page needs JavaScript: the browser makes the call.</p></noscript>
    <form id="talk-form" class="talk" data-state="idle">
      <p>
        <label for="talk-number">WhatsApp number (phone number ID)</label>
        <input id="talk-number" name="phoneNumberId" list="talk-numbers" value="${first}" required
          inputmode="numeric" pattern="[0-9]{1,32}" autocomplete="off"
          aria-describedby="talk-number-help">
        <datalist id="talk-numbers">${options}</datalist>
        <span id="talk-number-help" class="help">Pick a number whose agent you want to try, or type its
    phone number ID.</span>
      </p>
      <p class="buttons">
        <button id="talk-start" type="submit">Start call</button>
        <button id="talk-hangup" class="danger" type="button" disabled>Hang up</button>
      </p>
    </form>
    <p id="talk-status" role="status" aria-live="polite">Not connected.</p>
    <section aria-labelledby="talk-audio-heading">
      <h2 id="talk-audio-heading">Audio</h2>
      <p><label for="talk-mic-level">Your microphone</label>
    <meter id="talk-mic-level" min="0" max="1" low="0.05" high="0.8" optimum="0.3" value="0">0</meter></p>
      <p><label for="talk-agent-level">The agent</label>
    <meter id="talk-agent-level" min="0" max="1" low="0.05" high="0.8" optimum="0.3" value="0">0</meter></p>
      <audio id="talk-audio" autoplay aria-label="The agent's voice"></audio>
      <dl class="talk-stats">
        <dt>Packets sent</dt>
        <dd id="talk-sent">0</dd>
        <dt>Packets received</dt>
        <dd id="talk-received">0</dd>
        <dt>Call</dt>
        <dd id="talk-call">—</dd>
      </dl>
    </section>
    <p class="help">Production: the browser reaches the bridge's media address directly, so the
    bridge needs <code>PUBLIC_IP</code> (or a TURN server in <code>ICE_SERVERS</code>) that this
    browser can reach, as WhatsApp's relay does.</p>
  `;
}
