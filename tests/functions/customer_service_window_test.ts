/**
 * The customer service window through the real `wa-webhook-core` and
 * `wa-call-permissions` against the fake Meta: the core records when each
 * user last wrote, and an interactive permission request outside 24 h is
 * refused before Graph (Meta's 131047), where the fake agrees.
 */
import assert from "node:assert/strict";
import { createCoreHandler } from "../../supabase/functions/wa-webhook-core/index.ts";
import { DEFAULT_BUSINESS, signWebhook, textMessage } from "../../simulator/meta_webhooks.ts";
import { testOnBothBackends } from "../../store/backends_test_utils.ts";
import { newCallId, nowSec, offerFor, TEST_ENV } from "./harness.ts";
import { newUser, permissionsRig } from "./permissions_rig.ts";

const HOUR = 3_600_000;
const PNID = DEFAULT_BUSINESS.phoneNumberId;
const interactive = (user: string) => ({
  user,
  message: { type: "interactive", body_text: "May we call you about order ON-12853?" },
});
const template = (user: string) => ({
  user,
  message: { type: "template", name: "sample_cpr_template", language: "en", body_parameters: [] },
});
// deno-lint-ignore no-explicit-any
const json = async (res: Response): Promise<any> => await res.json();
const cprsTo = (rig: { graph: { requests: { action?: string; body: unknown }[] } }, u: string) =>
  rig.graph.requests.filter((r) =>
    r.action === "call_permission_request" && (r.body as { to?: string }).to === u
  );

testOnBothBackends(
  "customer service window (functions)",
  "wrote 2 h ago: interactive sent; never / 25 h ago: 409 before Graph; template still sent",
  async (store) => {
    const rig = await permissionsRig(undefined, store);
    const [recent, never, stale] = [newUser(), newUser(), newUser()];
    await rig.userWrote(recent, 2 * HOUR);
    await rig.userWrote(stale, 25 * HOUR);
    const sent = await rig.request(interactive(recent));
    assert.equal(sent.status, 201, JSON.stringify(await json(sent.clone())));
    await sent.body?.cancel();
    assert.equal(cprsTo(rig, recent).length, 1);
    for (const user of [never, stale]) {
      const res = await rig.request(interactive(user));
      const body = await json(res);
      assert.equal(res.status, 409);
      assert.deepEqual([body.error, body.meta_code], ["outside_customer_service_window", 131047]);
      assert.match(body.hint, /template/);
      assert.equal(body.permission.requests_24h, 0, "a refused request does not count");
      assert.equal(cprsTo(rig, user).length, 0, "the fake Meta saw nothing");
      const tpl = await rig.request(template(user));
      assert.equal(tpl.status, 201, "templates are not bound to the window");
      await tpl.body?.cancel();
    }
    await rig.settle();
  },
);

Deno.test("our window and the fake Meta's agree at every age, from the same messages", async () => {
  const rig = await permissionsRig();
  const ages = [2 * HOUR, 24 * HOUR - 1000, 24 * HOUR, 25 * HOUR, undefined];
  const outcomes: number[] = [];
  for (const age of ages) {
    const user = newUser();
    if (age !== undefined) await rig.userWrote(user, age);
    const ours = await rig.request(interactive(user));
    await ours.body?.cancel();
    outcomes.push(ours.status);
    if (ours.status === 201) {
      assert.deepEqual(cprsTo(rig, user).map((r) => (r as { status?: number }).status), [200]);
      continue;
    }
    assert.equal(ours.status, 409, `age ${age}`);
    // Asked directly, the fake Meta answers what we foresaw.
    const direct = await rig.graph.fetch(`https://graph.test/v23.0/${PNID}/messages`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_ENV.WHATSAPP_ACCESS_TOKEN}` },
      body: JSON.stringify({
        messaging_product: "whatsapp",
        recipient_type: "individual",
        to: user,
        type: "interactive",
        interactive: {
          type: "call_permission_request",
          action: { name: "call_permission_request" },
          body: { text: "May we call you?" },
        },
      }),
    });
    assert.equal((await json(direct)).error.code, 131047, `age ${age}`);
  }
  // 2 h and 23:59:59 are inside; 24 h, 25 h and never are outside.
  assert.deepEqual(outcomes, [201, 201, 409, 409, 409]);
  await rig.settle();
});

Deno.test("a user-initiated call opens the window too (Meta: 'messages you or calls you')", async () => {
  const rig = await permissionsRig(nowSec() * 1000);
  const user = newUser();
  const res = await rig.deliver(offerFor(newCallId(), user));
  await res.body?.cancel();
  const sent = await rig.request(interactive(user));
  assert.equal(sent.status, 201);
  await sent.body?.cancel();
  await rig.settle();
});

Deno.test("a malformed messages change: 200, nothing recorded, the changes beside it unharmed", async () => {
  const rig = await permissionsRig(nowSec() * 1000);
  const [bad, good] = [newUser(), newUser()];
  const callId = newCallId();
  const goodMsg = textMessage({
    user: good,
    messageId: `wamid.G${crypto.randomUUID()}`,
    timestamp: nowSec(),
    text: "hi",
  });
  const payload = {
    object: "whatsapp_business_account",
    entry: [{
      id: "WABA",
      changes: [
        {
          field: "messages",
          value: {
            metadata: { phone_number_id: PNID },
            messages: [{ from: bad, timestamp: "soon" }],
          },
        },
        { field: "messages", value: "not an object" },
        // deno-lint-ignore no-explicit-any
        ...(goodMsg as any).entry[0].changes,
        // deno-lint-ignore no-explicit-any
        ...(offerFor(callId, newUser()) as any).entry[0].changes,
      ],
    }],
  };
  const res = await rig.deliver(payload);
  assert.equal(res.status, 200);
  await res.body?.cancel();
  const pair = (user: string) => ({ phoneNumberId: PNID, user });
  assert.equal(
    (await rig.store.readCallPermission(pair(bad), rig.clock.now)).lastUserMessageAt,
    undefined,
  );
  assert.equal(
    (await rig.store.readCallPermission(pair(good), rig.clock.now)).lastUserMessageAt,
    nowSec() * 1000,
  );
  assert.equal(rig.invoked.length, 1, "the calls change still went to voice-calls");
});

Deno.test("a failed window write is logged and the webhook still answers 200", async () => {
  const rig = await permissionsRig();
  let attempts = 0;
  const failing = {
    ...rig.store,
    recordUserMessage: () => {
      attempts++;
      return Promise.reject(new Error("database down"));
    },
  };
  const core = createCoreHandler({
    env: { ...TEST_ENV, SUPABASE_URL: "http://supabase.invalid" },
    store: () => Promise.resolve(failing),
    invokeVoiceCalls: () => Promise.resolve(),
  });
  const w = await signWebhook(
    textMessage({
      user: newUser(),
      messageId: `wamid.F${crypto.randomUUID()}`,
      timestamp: nowSec(),
      text: "hi",
    }),
    TEST_ENV.WHATSAPP_APP_SECRET,
  );
  const res = await core(
    new Request("http://localhost/functions/v1/wa-webhook-core", {
      method: "POST",
      headers: w.headers,
      body: w.body,
    }),
  );
  assert.equal(res.status, 200);
  await res.body?.cancel();
  await core.settled();
  assert.equal(attempts, 1);
});
