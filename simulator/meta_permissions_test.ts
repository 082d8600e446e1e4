import assert from "node:assert/strict";
import { EXAMPLE_ANSWER_SDP, FakeMetaGraph } from "./meta_graph.ts";
import { DEFAULT_BUSINESS, type Payload } from "./meta_webhooks.ts";
import {
  CallPermissionReplyMessageSchema,
  CallPermissionsAnswerSchema,
  replyEffect,
} from "../lib/whatsapp/call_permissions.ts";

const PNID = DEFAULT_BUSINESS.phoneNumberId;
const DAY = 24 * 3_600_000;
const USER = "14085551234";

function fake(opts: { connectedCallsPerDay?: number } = {}) {
  const clock = { now: Date.UTC(2026, 11, 10, 9) };
  const sent: Payload[] = [];
  const graph = new FakeMetaGraph({
    now: () => clock.now,
    webhooks: { appSecret: "s", send: (w) => void sent.push(JSON.parse(w.body)) },
    permissions: opts,
  });
  const post = (body: unknown) =>
    graph.fetch(`https://graph.test/v23.0/${PNID}/messages`, {
      method: "POST",
      headers: { authorization: `Bearer ${graph.accessToken}` },
      body: JSON.stringify(body),
    });
  const get = async (q = `user_wa_id=${USER}`) =>
    await (await graph.fetch(`https://graph.test/v23.0/${PNID}/call_permissions?${q}`, {
      headers: { authorization: `Bearer ${graph.accessToken}` },
    })).json();
  /** The reply messages sent so far, parsed with the product's schema. */
  const replies = async () => {
    await graph.flushWebhooks();
    return sent.map((p) => {
      const m = (p as { entry: { changes: { value: { messages: unknown[] } }[] }[] })
        .entry[0]!.changes[0]!.value.messages[0];
      return replyEffect(CallPermissionReplyMessageSchema.parse(m));
    });
  };
  return { graph, clock, post, get, replies };
}

const tmpl = (to = USER) => ({
  messaging_product: "whatsapp",
  to,
  type: "template",
  template: { name: "sample_cpr_template", language: { code: "en" } },
});

Deno.test("fake Meta: validates request shapes like Meta (header in free-form, unknown template, window)", async () => {
  const { post, graph } = fake();
  const bad = await post({
    messaging_product: "whatsapp",
    to: USER,
    type: "interactive",
    interactive: {
      type: "call_permission_request",
      action: { name: "call_permission_request" },
      header: { type: "text", text: "no" },
    },
  });
  assert.equal(bad.status, 400);
  assert.equal((await bad.json()).error.code, 100);
  const unknown = await post({
    ...tmpl(),
    template: { name: "nope", language: { code: "en_US" } },
  });
  assert.equal((await unknown.json()).error.code, 132001);
  const closed = await post({
    messaging_product: "whatsapp",
    to: USER,
    type: "interactive",
    interactive: { type: "call_permission_request", action: { name: "call_permission_request" } },
  });
  assert.equal((await closed.json()).error.code, 131047);
  graph.permissions.userContact(PNID, USER);
  const open = await post({
    messaging_product: "whatsapp",
    to: USER,
    type: "interactive",
    interactive: { type: "call_permission_request", action: { name: "call_permission_request" } },
  });
  assert.equal(open.status, 200);
  assert.match((await open.json()).messages[0].id, /^wamid\./);
});

Deno.test("fake Meta: 1/24 h and 2/7 d → 138009, reset by a connected call; permanent → 138017", async () => {
  const { post, clock, graph } = fake();
  const t0 = clock.now;
  assert.equal((await post(tmpl())).status, 200);
  const limited = await (await post(tmpl())).json();
  assert.equal(limited.error.code, 138009);
  assert.equal(typeof limited.error.fbtrace_id, "string");
  clock.now = t0 + DAY;
  assert.equal((await post(tmpl())).status, 200);
  clock.now = t0 + 2 * DAY;
  assert.equal((await (await post(tmpl())).json()).error.code, 138009, "2 per 7 days");
  graph.permissions.recordCall(DEFAULT_BUSINESS, USER, "connected");
  assert.equal((await post(tmpl())).status, 200, "a connected call resets the limits");
  graph.permissions.grantFromProfile(DEFAULT_BUSINESS, USER);
  clock.now = t0 + 30 * DAY;
  assert.equal((await (await post(tmpl())).json()).error.code, 138017);
});

Deno.test("fake Meta: scripted replies carry Meta's six scenarios", async () => {
  const f = fake();
  for (
    const [user, reply] of [["111111", "accept_temporary"], ["222222", "accept_permanent"], [
      "333333",
      "reject",
    ], ["444444", "none"]] as const
  ) {
    f.graph.permissions.script(user, reply);
    assert.equal((await f.post(tmpl(user))).status, 200);
  }
  f.graph.permissions.grantFromProfile(DEFAULT_BUSINESS, "555555");
  f.graph.permissions.grantByCall(DEFAULT_BUSINESS, "666666", "wacid.X");
  for (let i = 0; i < 4; i++) {
    f.graph.permissions.recordCall(DEFAULT_BUSINESS, "666666", "unanswered");
  }
  // Signed in the background, the webhooks may leave in any order (as Meta's do).
  const effects = new Map((await f.replies()).map((e) => [e.scenario, e]));
  assert.deepEqual([...effects.keys()].sort(), [
    "automatic_grant",
    "automatic_revoke",
    "permanent_accept",
    "profile_grant",
    "reject",
    "temporary_accept",
  ]);
  assert.equal(effects.get("temporary_accept")!.expiresAt, f.clock.now + 7 * DAY);
  assert.equal(effects.get("automatic_grant")!.contextId, "wacid.X");
  assert.equal(effects.get("automatic_revoke")!.contextId, undefined);
});

Deno.test("fake Meta: GET call_permissions in Meta's shape; temporary lapses silently; call faults", async () => {
  const f = fake({ connectedCallsPerDay: 2 });
  assert.equal(f.graph.permissions.callFault(PNID, USER)?.code, 138006);
  f.graph.permissions.script(USER, "accept_temporary");
  await f.post(tmpl());
  let answer = CallPermissionsAnswerSchema.parse(await f.get());
  assert.equal(answer.permission.status, "temporary");
  assert.equal(answer.permission.expiration_time, Math.floor((f.clock.now + 7 * DAY) / 1000));
  f.graph.permissions.recordCall(DEFAULT_BUSINESS, USER, "connected");
  f.graph.permissions.recordCall(DEFAULT_BUSINESS, USER, "connected");
  const limit = f.graph.permissions.callFault(PNID, USER);
  assert.equal(limit?.code, 138012);
  assert.match(limit?.details ?? "", /next call is allowed after/);
  answer = CallPermissionsAnswerSchema.parse(await f.get());
  const start = answer.actions!.find((a) => a.action_name === "start_call")!;
  assert.equal(start.can_perform_action, false);
  assert.deepEqual(start.limits![0], {
    time_period: "PT24H",
    max_allowed: 2,
    current_usage: 2,
    limit_expiration_time: Math.ceil((f.clock.now + DAY) / 1000),
  });
  f.clock.now += 7 * DAY;
  assert.equal(CallPermissionsAnswerSchema.parse(await f.get()).permission.status, "no_permission");
  const sent = (await f.replies()).length;
  assert.equal(sent, 1, "no webhook when the permission lapsed");
  const missing = await f.graph.fetch(`https://graph.test/v23.0/${PNID}/call_permissions`, {
    headers: { authorization: `Bearer ${f.graph.accessToken}` },
  });
  assert.equal((await missing.json()).error.code, 100);
});

Deno.test("fake Meta: an answered user call resets the request limits and opens the window", async () => {
  const f = fake();
  assert.equal((await f.post(tmpl())).status, 200);
  assert.equal((await (await f.post(tmpl())).json()).error.code, 138009);
  const call = f.graph.registerCall({ user: USER });
  const accept = await f.graph.fetch(`https://graph.test/v23.0/${PNID}/calls`, {
    method: "POST",
    headers: { authorization: `Bearer ${f.graph.accessToken}` },
    body: JSON.stringify({
      messaging_product: "whatsapp",
      call_id: call.callId,
      action: "accept",
      session: { sdp_type: "answer", sdp: EXAMPLE_ANSWER_SDP },
    }),
  });
  assert.equal(accept.status, 200);
  f.clock.now += 1000;
  assert.equal((await f.post(tmpl())).status, 200, "reset by the connected call");
  const interactive = await f.post({
    messaging_product: "whatsapp",
    to: USER,
    type: "interactive",
    interactive: { type: "call_permission_request", action: { name: "call_permission_request" } },
  });
  assert.equal(
    (await interactive.json()).error.code,
    138009,
    "window open: only the limit refuses",
  );
});
