/**
 * "Call a customer" over a real console and the real functions, bridge and
 * fake Meta (`tests/console/outbound_console_rig.ts`).
 */
import assert from "node:assert/strict";
import { maskPhone } from "../../lib/whatsapp/mask.ts";
import {
  BUSINESS_ID,
  newCustomer,
  type OutboundConsoleRig,
  outboundConsoleRig,
} from "../../tests/console/outbound_console_rig.ts";
import { DEFAULT_BUSINESS } from "../../simulator/meta_webhooks.ts";
import type { TestConsole } from "../server/test_utils.ts";
import { startTestConsole } from "../server/test_utils.ts";
import { sharedStore } from "../../tests/functions/harness.ts";

function includes(text: string, part: string): void {
  assert.ok(text.includes(part), `missing ${JSON.stringify(part)}`);
}

const sanitize = { sanitizeOps: false, sanitizeResources: false };

async function withRig(fn: (rig: OutboundConsoleRig) => Promise<void>): Promise<void> {
  const rig = await outboundConsoleRig();
  try {
    await fn(rig);
  } finally {
    await rig.close();
  }
}

function form(fields: Record<string, string>): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields),
  };
}

/** The idempotency key of the form posting to `action` on `page`. */
function formKey(page: string, action: string): string {
  const at = page.indexOf(`action="${action}"`);
  assert(at >= 0, `no form posting to ${action}`);
  const key = /name="key" value="([^"]+)"/.exec(page.slice(at));
  assert(key, "the form carries no key");
  return key![1]!;
}

const post = (tc: TestConsole, path: string, fields: Record<string, string>, role = "operator") =>
  tc.fetch(path, { ...form(fields), role: role as "operator" });

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  const until = Date.now() + 8000;
  while (!await check()) {
    if (Date.now() > until) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

Deno.test({
  name: "outbound page: viewers see the decision with the number masked and cannot send",
  ...sanitize,
  fn: () =>
    withRig(async ({ console: tc }) => {
      const user = newCustomer();
      const res = await tc.fetch(`/outbound?user=${user}&phone_number_id=${BUSINESS_ID}`, {
        role: "viewer",
      });
      assert.equal(res.status, 200);
      const page = await res.text();
      includes(page, maskPhone(user));
      assert(!page.includes(user), "a viewer's page holds the whole number");
      assert.match(
        page,
        /Call<\/th>\s*<td><span class="badge bad">no<\/span> — the user has not given/,
      );
      assert(!page.includes('action="/outbound/calls"'), "viewers get no call form");
      includes(page, "need the operator role");
      const sent = await post(
        tc,
        "/outbound/calls",
        { user, phone_number_id: BUSINESS_ID },
        "viewer",
      );
      assert.equal(sent.status, 403);
      await sent.body?.cancel();
    }),
});

Deno.test({
  name: "outbound page: a template request is sent once, the reply shows, the next one waits 24 h",
  ...sanitize,
  fn: () =>
    withRig(async ({ console: tc, graph, store }) => {
      const user = newCustomer();
      graph.permissions.script(user, "accept_temporary");
      const page = await (await tc.fetch(`/outbound?user=${user}&phone_number_id=${BUSINESS_ID}`, {
        role: "operator",
      })).text();
      includes(page, user);
      const fields = {
        _csrf: await tc.csrfFor("operator"),
        key: formKey(page, "/outbound/permission-requests"),
        user,
        phone_number_id: BUSINESS_ID,
        kind: "template",
        template_name: "sample_cpr_template",
        template_language: "en",
        template_parameters: "",
      };
      const sent = await post(tc, "/outbound/permission-requests", fields);
      assert.equal(sent.status, 200);
      includes(await sent.text(), "Permission request sent");
      // The same rendered form sent again: a replay, nothing reaches Meta twice.
      const again = await post(tc, "/outbound/permission-requests", fields);
      includes(await again.text(), "already sent");
      const toMeta = graph.requests.filter((r) => r.path.endsWith("/messages") && r.status === 200);
      assert.equal(toMeta.length, 1);
      const pair = { phoneNumberId: BUSINESS_ID, user };
      await waitFor(
        async () => (await store.readCallPermission(pair, Date.now())).status === "temporary",
        "the reply webhook",
      );
      const after = await (await tc.fetch(`/outbound?user=${user}&phone_number_id=${BUSINESS_ID}`, {
        role: "operator",
      })).text();
      assert.match(after, /id="perm-status">temporary</);
      assert.match(after, /Call<\/th>\s*<td><span class="badge ok">yes/);
      // A second request within 24 h is refused before Meta, with the next allowed time.
      assert.match(
        after,
        /Ask for permission<\/th>\s*<td><span class="badge bad">no<\/span> — one permission request per 24 hours/,
      );
      const second = await post(tc, "/outbound/permission-requests", {
        ...fields,
        key: formKey(after, "/outbound/permission-requests"),
      });
      assert.equal(second.status, 429);
      assert.match(await second.text(), /Meta error 138009\)\. Next allowed: \d{4}-\d\d-\d\d/);
      const audit = await store.listAudit({ action: "outbound.permission_request" });
      assert(audit.some((a) => a.actorId === "user-operator"), "the request is audited");
    }),
});

Deno.test({
  name: "outbound page: a call rings once for a double submit and links to the call's page",
  ...sanitize,
  fn: () =>
    withRig(async ({ console: tc, graph, store, spoken, callUntil }) => {
      const user = newCustomer();
      graph.permissions.grantFromProfile(DEFAULT_BUSINESS, user);
      await graph.flushWebhooks();
      await waitFor(
        async () =>
          (await store.readCallPermission({ phoneNumberId: BUSINESS_ID, user }, Date.now()))
            .status === "permanent",
        "the grant",
      );
      const page = await (await tc.fetch(`/outbound?user=${user}&phone_number_id=${BUSINESS_ID}`, {
        role: "operator",
      })).text();
      const fields = {
        _csrf: await tc.csrfFor("operator"),
        key: formKey(page, "/outbound/calls"),
        user,
        phone_number_id: BUSINESS_ID,
        instructions: "You call {{name}} about the appointment.",
        greeting: "Hello {{name}}, this is Acme.",
        variables: "name=Ana",
      };
      const [first, second] = await Promise.all([
        post(tc, "/outbound/calls", fields),
        new Promise<Response>((r) => setTimeout(() => r(post(tc, "/outbound/calls", fields)), 150)),
      ]);
      const firstHtml = await first.text();
      assert.equal(first.status, 200, firstHtml.slice(0, 400));
      const id = /href="\/calls\/(wacid[^"]+)"/.exec(firstHtml)?.[1];
      assert(id, "the result links to the call's page");
      const secondHtml = await second.text();
      // While the first is placing, a second submit is refused (in progress) or replays it.
      assert(
        secondHtml.includes(`/calls/${id}`) || secondHtml.includes("request in progress"),
        secondHtml.slice(0, 300),
      );
      const third = await post(tc, "/outbound/calls", fields);
      includes(await third.text(), "nothing rang twice");
      const connects = graph.requests.filter((r) =>
        r.action === "connect" && JSON.stringify(r.body).includes(user)
      );
      assert.equal(connects.length, 1, "Meta was asked to ring once");
      const call = await callUntil(decodeURIComponent(id!), (c) => c.status === "completed");
      assert.equal(call.direction, "business_initiated");
      assert(spoken.includes("Hello Ana, this is Acme."), `spoken: ${spoken}`);
      const callPage = await tc.fetch(`/calls/${id}`, { role: "viewer" });
      assert.equal(callPage.status, 200);
      await callPage.body?.cancel();
    }),
});

Deno.test({
  name: "outbound page: refused before Meta without permission; bad forms and CSRF never send",
  ...sanitize,
  fn: () =>
    withRig(async ({ console: tc, graph }) => {
      const user = newCustomer();
      const page = await (await tc.fetch(`/outbound?user=${user}&phone_number_id=${BUSINESS_ID}`, {
        role: "operator",
      })).text();
      const fields = {
        _csrf: await tc.csrfFor("operator"),
        key: formKey(page, "/outbound/calls"),
        user,
        phone_number_id: BUSINESS_ID,
        variables: "name=Ana",
      };
      const bad = await post(tc, "/outbound/calls", { ...fields, variables: "name Ana" });
      assert.equal(bad.status, 400);
      assert.match(await bad.text(), /variables: line 1: write name=value/);
      const noCsrf = await tc.fetch("/outbound/calls", {
        ...form(fields),
        role: "operator",
        headers: { "content-type": "application/x-www-form-urlencoded", "x-csrf-token": "x" },
      });
      assert.equal(noCsrf.status, 403);
      await noCsrf.body?.cancel();
      const refused = await post(tc, "/outbound/calls", fields);
      assert.equal(refused.status, 409);
      assert.match(await refused.text(), /Call not sent: the user has not given permission/);
      assert.equal(graph.requests.filter((r) => r.action === "connect").length, 0);
      const badQuery = await tc.fetch("/outbound?user=12", { role: "viewer" });
      assert.equal(badQuery.status, 400);
      await badQuery.body?.cancel();
    }),
});

Deno.test("outbound page: without the functions the look-up works and the page says what to set", async () => {
  const store = await sharedStore();
  const tc = await startTestConsole({ store });
  try {
    const res = await tc.fetch(`/outbound?user=${newCustomer()}&phone_number_id=1`, {
      role: "operator",
    });
    assert.equal(res.status, 200);
    includes(await res.text(), "CONSOLE_FUNCTIONS_URL");
  } finally {
    await tc.close();
  }
});
