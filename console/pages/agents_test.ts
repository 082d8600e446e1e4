/**
 * The Agents page over HTTP with a real console and store: the list, the
 * form with the environment's defaults as placeholders, saving as admin
 * (CSRF, validation errors re-rendered with a 422, a stale version refused
 * with a 409), read-only for viewers and operators, and the history.
 */
import assert from "node:assert/strict";
import { openStore } from "../../store/open.ts";
import type { Store } from "../../store/store.ts";
import { startTestConsole, type TestConsole } from "../server/test_utils.ts";
import type { AgentDefaults } from "../../lib/agent_settings/defaults.ts";
import { formFromSettings } from "./agents_form.ts";
import { NEVER_OPEN_MESSAGE } from "../../lib/agent_settings/schema.ts";

const PN = "106540352242922";

const DEFAULTS: AgentDefaults = {
  agent: "openai",
  instructions: "ENV-INSTRUCTIONS",
  greeting: null,
  voice: "marin",
  model: "gpt-realtime-2.1",
  languages: [],
  tools: ["lookup_order", "book_table"],
  turnDetection: "server_vad",
  vadThreshold: 0.5,
  vadSilenceMs: 500,
  vadEagerness: "auto",
  recording: true,
  maxCallSeconds: 3300,
};

async function withConsole(fn: (tc: TestConsole, store: Store) => Promise<void>): Promise<void> {
  const store = await openStore({ pgliteDir: "memory://" });
  const tc = await startTestConsole({ store, deps: { agentDefaults: DEFAULTS } });
  try {
    await fn(tc, store);
  } finally {
    await tc.close();
    await store.close();
  }
}

function formBody(fields: Record<string, string | string[]>): URLSearchParams {
  const body = new URLSearchParams();
  const base: Record<string, string | string[]> = {
    ...formFromSettings({}),
    expected_version: "0",
  };
  for (const [k, v] of Object.entries({ ...base, ...fields })) {
    for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
  }
  return body;
}

const post = (tc: TestConsole, role: "viewer" | "operator" | "admin", body: URLSearchParams) =>
  tc.fetch(`/agents/${PN}`, {
    method: "POST",
    role,
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body,
  });

Deno.test("agents page: lists configured and called numbers; the form shows env defaults", async () => {
  await withConsole(async (tc, store) => {
    await store.upsertCall({ callId: "wacid.ap-1", phoneNumberId: "555" });
    const list = await tc.fetch("/agents", { role: "viewer" });
    assert.equal(list.status, 200);
    const listHtml = await list.text();
    assert.match(listHtml, /href="\/agents\/555"/);
    assert.match(listHtml, /Environment defaults/);

    const form = await (await tc.fetch(`/agents/${PN}`, { role: "admin" })).text();
    assert.match(form, /placeholder="ENV-INSTRUCTIONS"/);
    assert.match(form, /Default \(marin\)/);
    assert.match(form, /placeholder="3300"/);
    assert.match(form, /value="lookup_order"/);
    assert.match(form, /name="_csrf" value="[^"]+"/);
    assert.match(form, /<button type="submit" id="save-settings">Save<\/button>/);
    // Every control has a label.
    for (const [, id] of form.matchAll(/<(?:input|select|textarea) id="([^"]+)"/g)) {
      assert.match(form, new RegExp(`<label[^>]* for="${id}"`), `label for ${id}`);
    }
    assert.equal((await tc.fetch("/agents/bad%20id", { role: "admin" })).status, 404);
  });
});

Deno.test("agents page: an admin saves; errors are re-rendered; a stale version gets 409", async () => {
  await withConsole(async (tc, store) => {
    const ok = await post(tc, "admin", formBody({ greeting: "Hello from Acme", voice: "cedar" }));
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get("location"), `/agents/${PN}?saved=1`);
    const saved = await store.getAgentSettings(PN);
    assert.deepEqual(saved?.settings, { greeting: "Hello from Acme", voice: "cedar" });
    assert.equal(saved?.updatedBy, "admin@console.test");

    const bad = await post(
      tc,
      "admin",
      formBody({ voice: "robot", expected_version: "1", greeting: "Kept" }),
    );
    assert.equal(bad.status, 422);
    const badHtml = await bad.text();
    assert.match(badHtml, /role="alert"/);
    assert.match(badHtml, /id="e-voice"/);
    assert.match(badHtml, /aria-invalid="true"/);
    assert.match(badHtml, /value="Kept"/, "what was typed is kept");

    const stale = await post(tc, "admin", formBody({ greeting: "Late", expected_version: "0" }));
    assert.equal(stale.status, 409);
    assert.match(await stale.text(), /someone else saved these settings\s+first \(now version 1\)/);
    assert.equal((await store.getAgentSettings(PN))?.settings.greeting, "Hello from Acme");

    const second = await post(
      tc,
      "admin",
      formBody({ greeting: "Hi again", expected_version: "1" }),
    );
    assert.equal(second.status, 303);
    const page = await (await tc.fetch(`/agents/${PN}?saved=2`, { role: "viewer" })).text();
    assert.match(page, /Saved version 2/);
    assert.match(page, /Greeting: Hello from Acme → Hi again/);
    assert.match(page, /Voice: cedar → default/);
  });
});

Deno.test("agents page: viewers and operators read only; a save needs admin and the CSRF token", async () => {
  await withConsole(async (tc, store) => {
    const page = await (await tc.fetch(`/agents/${PN}`, { role: "operator" })).text();
    assert.match(page, /<fieldset disabled>/);
    assert.doesNotMatch(page, /id="save-settings"/);
    assert.equal((await post(tc, "viewer", formBody({ greeting: "x" }))).status, 403);
    assert.equal((await post(tc, "operator", formBody({ greeting: "x" }))).status, 403);
    const noCsrf = await tc.fetch(`/agents/${PN}`, {
      method: "POST",
      role: "admin",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-csrf-token": "forged" },
      body: formBody({ greeting: "x" }),
    });
    assert.equal(noCsrf.status, 403);
    assert.equal(await store.getAgentSettings(PN), null);
  });
});

Deno.test("agents page: call hours that never open get a 422 next to the weekdays", async () => {
  await withConsole(async (tc, store) => {
    const res = await post(tc, "admin", formBody({ tz: "Europe/Paris" }));
    assert.equal(res.status, 422);
    const page = await res.text();
    const group = /<fieldset id="f-weekly">[\s\S]*?<\/fieldset>/.exec(page)?.[0] ?? "";
    assert.ok(group.includes(`id="e-weekly">${NEVER_OPEN_MESSAGE}<`), group);
    assert.match(group, /id="f-hours_mon"[^>]*aria-describedby="h-weekly e-weekly"/);
    assert.match(page, /<a href="#f-weekly">/, "the error summary links to the weekdays");
    assert.match(page, /value="Europe\/Paris"/, "what was typed is kept");
    assert.equal(await store.getAgentSettings(PN), null, "nothing saved");
    // Every call-hours field empty saves: no call hours, always open.
    assert.equal((await post(tc, "admin", formBody({ greeting: "Hi" }))).status, 303);
    assert.equal((await store.getAgentSettings(PN))?.settings.callHours, undefined);
  });
});

Deno.test("agents page: says plainly what no call hours and call hours set mean", async () => {
  await withConsole(async (tc) => {
    const none = await (await tc.fetch(`/agents/${PN}`, { role: "viewer" })).text();
    assert.match(none, /No call hours<\/strong>[^<]*: the\s+number answers at all hours/);
    assert.match(none, /As filled in: <strong>no call hours<\/strong>, calls are answered at all/);
    assert.doesNotMatch(none, /Empty: closed all day/);
    const ok = await post(tc, "admin", formBody({ tz: "UTC", hours_mon: "09:00-17:00" }));
    assert.equal(ok.status, 303);
    const set = await (await tc.fetch(`/agents/${PN}`, { role: "viewer" })).text();
    assert.match(set, /As filled in: <strong>call hours set<\/strong>, calls are answered only/);
  });
});

Deno.test("agents page: a number is set up before its first call", async () => {
  await withConsole(async (tc, store) => {
    const NEW = "987654321012345";
    const list = await (await tc.fetch("/agents", { role: "admin" })).text();
    assert.match(list, /<form method="get" action="\/agents"/);
    assert.match(list, /<label for="f-setup">/);
    assert.match(list, /id="f-setup" name="phone_number_id"/);
    assert.doesNotMatch(list, new RegExp(NEW));

    const go = await tc.fetch(`/agents?phone_number_id=+${NEW}+`, { role: "admin" });
    assert.equal(go.status, 303);
    assert.equal(go.headers.get("location"), `/agents/${NEW}`);
    for (const bad of ["12a4", "", "../x", "1".repeat(65), "106540352242922<b>"]) {
      const res = await tc.fetch(`/agents?phone_number_id=${encodeURIComponent(bad)}`, {
        role: "admin",
      });
      assert.equal(res.status, 400, bad);
      const page = await res.text();
      assert.match(page, /id="e-setup" role="alert">Digits only/);
      assert.match(page, /aria-invalid="true"/);
      assert.doesNotMatch(page, /<b>/, "what was typed is escaped");
    }
    assert.equal(await store.getAgentSettings(NEW), null, "opening saves nothing");

    const form = await (await tc.fetch(`/agents/${NEW}`, { role: "admin" })).text();
    assert.match(form, /name="expected_version" value="0"/);
    assert.match(form, /id="f-greeting" name="greeting" type="text" value=""/);
    assert.match(form, /No saved versions/);
    assert.match(form, /id="save-settings"/);

    const saved = await tc.fetch(`/agents/${NEW}`, {
      method: "POST",
      role: "admin",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: formBody({ greeting: "Welcome to the new line" }),
    });
    assert.equal(saved.status, 303);
    assert.deepEqual((await store.getAgentSettings(NEW))?.settings, {
      greeting: "Welcome to the new line",
    });
    const audit = await store.listAudit({ target: NEW });
    assert.equal(audit.length, 1);
    assert.equal(audit[0]?.before, null);
    assert.deepEqual(audit[0]?.after, { greeting: "Welcome to the new line" });
    assert.equal(audit[0]?.actorEmail, "admin@console.test");
    const after = await (await tc.fetch("/agents", { role: "viewer" })).text();
    assert.match(after, new RegExp(`href="/agents/${NEW}"`));
    assert.match(after, /Version 1/);
  });
});
