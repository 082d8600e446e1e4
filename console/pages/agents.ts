/**
 * The Agents page: settings per WhatsApp business number.
 *
 *   GET  /agents                   numbers with settings and numbers calls reached, and
 *                                  a "Set up a number" form (GET, no state change):
 *                                  `?phone_number_id=<digits>` redirects (303) to the
 *                                  number's page, a bad id re-renders with a 400
 *   GET  /agents/:phoneNumberId    the settings form and the version history
 *   POST /agents/:phoneNumberId    save (admin; `_csrf` checked by app.ts): 303 back on
 *                                  success, 422 with each field's error, 409 when
 *                                  someone saved first (optimistic version check)
 *
 * Viewers and operators see the same form, disabled. The bridge reads a
 * number's settings for each new call (bridge/agent_settings/), so a saved
 * change applies from the next call on.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { html } from "hono/html";
import { z } from "zod";
import { type ConsoleDeps, type ConsoleEnv, hasRole, requireRole } from "../server/context.ts";
import { renderPage } from "../server/layout.ts";
import { PhoneNumberIdSchema } from "../../lib/agent_settings/schema.ts";
import type { AgentDefaults } from "../../lib/agent_settings/defaults.ts";
import { agentDefaultsFromEnv } from "../../bridge/agent_settings/defaults.ts";
import {
  type AgentForm,
  type FieldErrors,
  formFromSettings,
  readPostedForm,
  settingsFromForm,
} from "./agents_form.ts";
import { historyTable, settingsForm } from "./agents_view.ts";
import { numbersTable, setUpForm, type SetUpView } from "./agents_list_view.ts";

/** How many numbers the list shows (of each kind: configured, called). */
const MAX_LISTED_NUMBERS = 200;
/** How many versions the history shows. */
const MAX_HISTORY = 50;

const ParamsSchema = z.object({ phoneNumberId: PhoneNumberIdSchema });
const QuerySchema = z.object({ saved: z.coerce.number().int().positive().optional() });
/**
 * The "Set up a number" form: Meta's `phone_number_id` is digits, so only digits
 * are taken here (stricter than {@linkcode PhoneNumberIdSchema}, which stored
 * ids and the bridge API allow).
 */
const SetUpQuerySchema = z.object({
  phone_number_id: z.string().trim().regex(
    /^\d{1,64}$/,
    "Digits only: the phone_number_id from WhatsApp Manager (API Setup), e.g. 106540352242922",
  ),
});

/** The page's routes. */
export function agentsRoutes(deps: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  let envDefaults: AgentDefaults | undefined;
  // Read once, when first shown: the console process's environment is the bridge's defaults.
  const defaults = () =>
    deps.agentDefaults ?? (envDefaults ??= agentDefaultsFromEnv(Deno.env.toObject()));

  app.get("/agents", async (c) => {
    const asked = c.req.query("phone_number_id");
    let setUp: SetUpView = { value: "" };
    if (asked !== undefined) {
      const parsed = SetUpQuerySchema.safeParse({ phone_number_id: asked });
      if (parsed.success) return c.redirect(`/agents/${parsed.data.phone_number_id}`, 303);
      setUp = { value: asked, error: parsed.error.issues[0]?.message ?? "Not a phone_number_id" };
      c.status(400);
    }
    const numbers = await deps.store.listAgentNumbers(MAX_LISTED_NUMBERS);
    return renderPage(c, {
      title: "Agents",
      section: "/agents",
      styles: ["agents.css"],
      body: html`<p>Each WhatsApp business number can have its own agent. A number without
        settings uses the bridge's environment variables.</p>${setUpForm(setUp)}${
        numbersTable(numbers)
      }`,
    });
  });

  app.get("/agents/:phoneNumberId", async (c) => {
    const params = ParamsSchema.safeParse(c.req.param());
    if (!params.success) return c.text("Not found", 404);
    const query = QuerySchema.safeParse(c.req.query());
    const id = params.data.phoneNumberId;
    const current = await deps.store.getAgentSettings(id);
    const saved = query.success ? query.data.saved : undefined;
    return await detailPage(c, deps, defaults(), {
      id,
      form: formFromSettings(current?.settings ?? {}),
      expectedVersion: current?.version ?? 0,
      errors: {},
      message: saved === undefined
        ? undefined
        : html`<p class="success" role="status">Saved version ${saved}. It applies from the next call on.</p>`,
    });
  });

  app.post("/agents/:phoneNumberId", requireRole("admin"), async (c) => {
    const params = ParamsSchema.safeParse(c.req.param());
    if (!params.success) return c.text("Not found", 404);
    const id = params.data.phoneNumberId;
    const posted = readPostedForm(await c.req.parseBody({ all: true }));
    if (!posted) return c.text("This is not the agent settings form.", 400);
    const page = (status: 409 | 422, errors: FieldErrors, message?: ReturnType<typeof html>) =>
      detailPage(c, deps, defaults(), {
        id,
        form: posted.form,
        expectedVersion: posted.expectedVersion,
        errors,
        message,
      }, status);
    const checked = settingsFromForm(posted.form);
    if (!checked.ok) return await page(422, checked.errors);
    const user = c.get("user");
    const result = await deps.store.saveAgentSettings({
      phoneNumberId: id,
      settings: checked.settings,
      expectedVersion: posted.expectedVersion,
      actor: { id: user.id, email: user.email },
    });
    if (!result.ok) {
      return await page(
        409,
        {},
        html`
          <div class="error" role="alert">
            <p>Not saved: someone else saved these settings
                    first (now version ${result
                      .currentVersion}). <a href="/agents/${id}">Load the current
                    version</a>, then make your change again.</p>
          </div>
        `,
      );
    }
    return c.redirect(`/agents/${id}?saved=${result.record.version}`, 303);
  });

  return app;
}

interface Detail {
  id: string;
  form: AgentForm;
  expectedVersion: number;
  errors: FieldErrors;
  message?: ReturnType<typeof html> | undefined;
}

async function detailPage(
  c: Context<ConsoleEnv>,
  deps: ConsoleDeps,
  defaults: AgentDefaults,
  d: Detail,
  status: 200 | 409 | 422 = 200,
): Promise<Response> {
  const history = await deps.store.listAgentSettingsHistory(d.id, MAX_HISTORY);
  c.status(status);
  return await renderPage(c, {
    title: `Agent of number ${d.id}`,
    section: "/agents",
    styles: ["agents.css"],
    body: html`<p><a href="/agents">All numbers</a></p>
      ${d.message ?? ""}
      <section aria-labelledby="settings-h"><h2 id="settings-h">Settings</h2>
      ${
      settingsForm({
        phoneNumberId: d.id,
        form: d.form,
        expectedVersion: d.expectedVersion,
        defaults,
        errors: d.errors,
        csrfToken: c.get("csrfToken"),
        editable: hasRole(c.get("user"), "admin"),
      })
    }</section>
      <section aria-labelledby="history-h"><h2 id="history-h">History</h2>
      ${historyTable(history)}</section>`,
  });
}
