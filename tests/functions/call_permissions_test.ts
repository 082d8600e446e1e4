import assert from "node:assert/strict";
import { DEFAULT_BUSINESS, textMessage } from "../../simulator/meta_webhooks.ts";
import { permissionReplyWebhook } from "../../simulator/meta_permissions.ts";
import { newCallId, nowSec, offerFor, TEST_ENV } from "./harness.ts";
import { newUser, permissionsRig } from "./permissions_rig.ts";

const DAY = 24 * 3_600_000;
const HOUR = 3_600_000;
const PNID = DEFAULT_BUSINESS.phoneNumberId;

const interactive = (user: string) => ({
  user,
  message: { type: "interactive", body_text: "May we call you about order ON-12853?" },
});
const template = (user: string) => ({
  user,
  message: {
    type: "template",
    name: "sample_cpr_template",
    language: "en",
    body_parameters: ["John Smith", "order #1522"],
  },
});

/** A template request as a client would POST it to Graph directly. */
const rawTemplate = (user: string) => ({
  messaging_product: "whatsapp",
  to: user,
  type: "template",
  template: { name: "sample_cpr_template", language: { code: "en" } },
});

// deno-lint-ignore no-explicit-any
type Json = any;
const json = async (res: Response): Promise<Json> => await res.json();

/** Requests the fake Meta received for `user`. */
function cprsTo(
  rig: { graph: { requests: { action?: string; body: unknown; status: number }[] } },
  user: string,
) {
  return rig.graph.requests.filter((r) =>
    r.action === "call_permission_request" &&
    ((r.body as { to?: string; recipient?: string }).to ??
        (r.body as { recipient?: string }).recipient) === user
  );
}

Deno.test("permission granted (temporary): interactive request in the window, reply stored, call allowed", async () => {
  const rig = await permissionsRig();
  const user = newUser();
  await rig.userWrote(user, 2 * HOUR); // opens the customer service window
  rig.graph.permissions.script(user, "accept_temporary");
  const res = await rig.request(interactive(user));
  const body = await json(res);
  assert.equal(res.status, 201, JSON.stringify(body));
  assert.match(body.request.message_id, /^wamid\./);
  assert.deepEqual(cprsTo(rig, user).map((r) => r.body), [{
    messaging_product: "whatsapp",
    recipient_type: "individual",
    to: user,
    type: "interactive",
    interactive: {
      type: "call_permission_request",
      action: { name: "call_permission_request" },
      body: { text: "May we call you about order ON-12853?" },
    },
  }]);
  await rig.settle();
  const state = await json(await rig.read(user));
  assert.equal(state.permission.status, "temporary");
  assert.equal(state.permission.expires_at, new Date(rig.clock.now + 7 * DAY).toISOString());
  assert.equal(state.permission.source, "user_action");
  assert.deepEqual(state.call, { allowed: true });
  const events = await rig.store.listCallPermissionEvents({ phoneNumberId: PNID, user });
  const reply = events.find((e) => e.kind === "reply")!;
  assert.equal(reply.contextId, body.request.message_id, "the reply names our request");
});

Deno.test("permission granted (permanent) by template; another request is a foreseen 138017", async () => {
  const rig = await permissionsRig();
  const user = newUser();
  rig.graph.permissions.script(user, "accept_permanent");
  assert.equal((await rig.request(template(user))).status, 201);
  await rig.settle();
  const state = await json(await rig.read(user));
  assert.equal(state.permission.status, "permanent");
  assert.equal(state.permission.expires_at, null);
  assert.deepEqual(state.request, {
    allowed: false,
    reason: "already_permanent",
    meta_code: 138017,
    retry_at: null,
  });
  rig.clock.now += 30 * DAY; // permanent permissions do not lapse
  const again = await rig.request(template(user));
  assert.equal(again.status, 409);
  assert.equal((await json(again)).meta_code, 138017);
  assert.equal(cprsTo(rig, user).length, 1, "Graph was not asked again");
  // What Meta would have answered:
  const direct = await rig.graph.fetch(`https://graph.test/v23.0/${PNID}/messages`, {
    method: "POST",
    headers: { authorization: `Bearer ${TEST_ENV.WHATSAPP_ACCESS_TOKEN}` },
    body: JSON.stringify(rawTemplate(user)),
  });
  assert.equal(direct.status, 400);
  assert.equal((await json(direct)).error.code, 138017);
});

Deno.test("permission declined: stored as declined, a call would earn 138006", async () => {
  const rig = await permissionsRig();
  const user = newUser();
  rig.graph.permissions.script(user, "reject");
  assert.equal((await rig.request(template(user))).status, 201);
  await rig.settle();
  const state = await json(await rig.read(user));
  assert.equal(state.permission.status, "declined");
  assert.deepEqual(state.call, {
    allowed: false,
    reason: "permission_declined",
    meta_code: 138006,
    retry_at: null,
  });
});

Deno.test("permission expired: no webhook when it lapses, the expiry is computed (time injected)", async () => {
  const rig = await permissionsRig();
  const user = newUser();
  rig.graph.permissions.script(user, "accept_temporary");
  await (await rig.request(template(user))).body?.cancel();
  await rig.settle();
  const expiresAt = (await json(await rig.read(user))).permission.expires_at;
  rig.clock.now = Date.parse(expiresAt) - 1000;
  assert.equal((await json(await rig.read(user))).permission.status, "temporary");
  rig.clock.now = Date.parse(expiresAt);
  const lapsed = await json(await rig.read(user));
  assert.equal(lapsed.permission.status, "no_permission");
  assert.equal(lapsed.call.reason, "permission_expired");
  assert.equal(lapsed.call.meta_code, 138006);
  // Meta agrees, without having sent anything.
  const synced = await json(await rig.read(user, "&refresh=graph"));
  assert.equal(synced.permission.status, "no_permission");
  assert.equal(synced.permission.source, "graph");
});

Deno.test("request limits: refused before Graph with the next allowed time; the fake would have said 138009", async () => {
  const rig = await permissionsRig();
  const user = newUser();
  const t0 = rig.clock.now;
  assert.equal((await rig.request(template(user))).status, 201);
  rig.clock.now = t0 + HOUR;
  const day = await rig.request(template(user));
  const dayBody = await json(day);
  assert.equal(day.status, 429);
  assert.deepEqual(
    [dayBody.error, dayBody.meta_code, dayBody.retry_at],
    ["request_limit_day", 138009, new Date(t0 + DAY).toISOString()],
  );
  assert.equal(day.headers.get("retry-after"), String(23 * 3600));
  assert.equal(cprsTo(rig, user).length, 1, "Graph was not asked");
  const direct = await rig.graph.fetch(`https://graph.test/v23.0/${PNID}/messages`, {
    method: "POST",
    headers: { authorization: `Bearer ${TEST_ENV.WHATSAPP_ACCESS_TOKEN}` },
    body: JSON.stringify(rawTemplate(user)),
  });
  const fault = await json(direct);
  assert.equal(direct.status, 400);
  assert.equal(fault.error.code, 138009);
  assert.match(fault.error.fbtrace_id, /^A/);
  assert.equal(typeof fault.error.error_data.details, "string");
  rig.clock.now = t0 + DAY;
  assert.equal((await rig.request(template(user))).status, 201);
  rig.clock.now = t0 + 2 * DAY + HOUR;
  const week = await json(await rig.request(template(user)));
  assert.deepEqual(
    [week.error, week.meta_code, week.retry_at],
    ["request_limit_week", 138009, new Date(t0 + 7 * DAY).toISOString()],
  );
  // Two sent by the API, one refused when the test asked the fake directly.
  assert.deepEqual(cprsTo(rig, user).map((r) => r.status), [200, 400, 200]);
});

Deno.test("idempotency: a retried key replays without sending; another body is refused; Meta's refusal is not counted", async () => {
  const rig = await permissionsRig();
  const user = newUser();
  const first = await rig.request(template(user), "key-1");
  const firstBody = await json(first);
  const again = await rig.request(template(user), "key-1");
  assert.equal(again.status, 201);
  assert.equal(again.headers.get("idempotent-replayed"), "true");
  assert.deepEqual(await json(again), firstBody);
  assert.equal(cprsTo(rig, user).length, 1);
  const other = await rig.request(interactive(user), "key-1");
  assert.equal(other.status, 422);
  await other.body?.cancel();
  // A template Meta does not know: Meta refuses with 132001.
  const user2 = newUser();
  const missing = { user: user2, message: { ...template(user2).message, name: "no_such_cpr" } };
  const refused = await rig.request(missing, "key-2");
  const refusedBody = await json(refused);
  assert.equal(refused.status, 502);
  assert.equal(refusedBody.meta_code, 132001);
  assert.equal(refusedBody.permission.requests_24h, 0, "a refused request does not count");
  assert.equal((await rig.request(missing, "key-2")).status, 502, "replayed");
  assert.equal(cprsTo(rig, user2).length, 1);
  assert.equal((await rig.request(template(user2), "key-3")).status, 201);
});

Deno.test("API: service role key and Idempotency-Key required, bodies validated", async () => {
  const rig = await permissionsRig();
  const user = newUser();
  const cases: [Response, number][] = [
    [await rig.request(template(user), "k", null), 401],
    [await rig.request(template(user), "k", "Bearer wrong"), 401],
    [await rig.request(template(user), null), 400],
    [await rig.request({ user: "not a user", message: { type: "interactive" } }), 400],
    [await rig.request({ ...template(user), extra: 1 }), 400],
    [
      await rig.request({ user, message: { type: "interactive", body_text: "x".repeat(1025) } }),
      400,
    ],
    [await rig.read("nobody"), 400],
  ];
  for (const [res, status] of cases) {
    assert.equal(res.status, status);
    await res.body?.cancel();
  }
  assert.equal(rig.graph.requests.length, 0);
});

Deno.test("reply webhook redelivered: 200 each time, applied once", async () => {
  const rig = await permissionsRig();
  const user = newUser();
  const reply = permissionReplyWebhook(DEFAULT_BUSINESS, {
    user,
    messageId: `wamid.R${crypto.randomUUID()}`,
    timestamp: Math.floor(rig.clock.now / 1000),
    response: "accept",
    permanent: true,
  });
  for (let i = 0; i < 3; i++) assert.equal((await rig.deliver(reply)).status, 200);
  const events = await rig.store.listCallPermissionEvents({ phoneNumberId: PNID, user });
  assert.deepEqual(events.map((e) => e.kind), ["reply"]);
  assert.deepEqual(events[0]!.details, {
    status: "permanent",
    scenario: "profile_grant",
    source: "user_action",
  });
  assert.equal((await json(await rig.read(user))).permission.status, "permanent");
});

Deno.test("bad reply payload: kept as a receipt, 200, the replies, messages and calls beside it unharmed", async () => {
  const rig = await permissionsRig();
  const [bad, good] = [newUser(), newUser()];
  const since = new Date();
  const badReply = permissionReplyWebhook(DEFAULT_BUSINESS, {
    user: bad,
    messageId: `wamid.B${crypto.randomUUID()}`,
    timestamp: nowSec(),
    response: "accept",
  }) as Json;
  badReply.entry[0].changes[0].value.messages[0].interactive.call_permission_reply.response =
    "maybe";
  const goodReply = permissionReplyWebhook(DEFAULT_BUSINESS, {
    user: good,
    messageId: `wamid.G${crypto.randomUUID()}`,
    timestamp: nowSec(),
    response: "reject",
  }) as Json;
  const text = textMessage({
    user: bad,
    messageId: "wamid.T1",
    timestamp: nowSec(),
    text: "hi",
  }) as Json;
  const callId = newCallId();
  const call = offerFor(callId) as Json;
  // One body: bad reply + a text in the same change, a good reply and a call in others.
  badReply.entry[0].changes[0].value.messages.push(text.entry[0].changes[0].value.messages[0]);
  badReply.entry[0].changes.push(goodReply.entry[0].changes[0], call.entry[0].changes[0]);
  const res = await rig.deliver(badReply);
  assert.equal(res.status, 200);
  const receipts = (await rig.store.listReceipts(50)).filter((r) => r.receivedAt >= since);
  const kept = receipts.find((r) => r.reason.startsWith("invalid_call_permission_reply"));
  assert.ok(kept, JSON.stringify(receipts.map((r) => r.reason)));
  assert.equal(kept.field, "messages");
  assert.equal((await json(await rig.read(good))).permission.status, "declined");
  assert.equal((await json(await rig.read(bad))).permission.status, "no_permission");
  assert.equal(rig.invoked.length, 1, "the call went to voice-calls");
  // Not JSON at all: still a 200 and a receipt.
  assert.equal((await rig.deliver("{not json")).status, 200);
});

Deno.test("automatic grant after a user call, profile grant, and Meta's revoke after 4 unanswered calls", async () => {
  const rig = await permissionsRig();
  const user = newUser();
  const callId = newCallId();
  rig.graph.permissions.grantByCall(DEFAULT_BUSINESS, user, callId);
  await rig.settle();
  let state = await json(await rig.read(user));
  assert.equal(state.permission.status, "temporary");
  const events = await rig.store.listCallPermissionEvents({ phoneNumberId: PNID, user });
  assert.deepEqual([events[0]!.contextId, (events[0]!.details as Json).scenario], [
    callId,
    "automatic_grant",
  ]);
  // The outbound path records call outcomes; Meta revokes on the 4th unanswered one.
  for (let i = 0; i < 4; i++) {
    const id = newCallId();
    await rig.store.recordPermissionCall({
      phoneNumberId: PNID,
      user,
      callId: id,
      outcome: "unanswered",
      at: rig.clock.now + i + 1,
    });
    rig.graph.permissions.recordCall(DEFAULT_BUSINESS, user, "unanswered");
    state = await json(await rig.read(user));
    if (i === 1) assert.equal(state.call.warning, "unanswered_calls_prompt");
  }
  assert.equal(state.call.reason, "permission_revoked", "refused before Meta's webhook");
  rig.clock.now += 1000;
  await rig.settle();
  state = await json(await rig.read(user));
  assert.equal(state.permission.status, "revoked");
  rig.graph.permissions.grantFromProfile(DEFAULT_BUSINESS, user);
  rig.clock.now += 1000;
  await rig.settle();
  state = await json(await rig.read(user));
  assert.equal(state.permission.status, "permanent");
  assert.equal(state.call.allowed, true, "a re-grant clears the unanswered streak");
});

Deno.test("API: a 5xx from Graph after Meta sent the request is an unknown outcome, counted and never resent", async () => {
  const rig = await permissionsRig();
  const user = newUser();
  // Meta delivered the message, then answered 500 in its own envelope.
  rig.graph.failNextPermissionRequest({ status: 500, code: 131000, applied: true });
  const res = await rig.request(template(user), "key-5xx");
  const body = await json(res);
  assert.equal(res.status, 504);
  assert.equal(body.error, "meta_outcome_unknown");
  assert.equal(body.permission.requests_24h, 1, "it may have been sent: it counts");
  const again = await rig.request(template(user), "key-5xx");
  assert.equal(again.status, 504, "replayed");
  await again.body?.cancel();
  assert.equal(cprsTo(rig, user).length, 1, "Graph was asked once");
});
