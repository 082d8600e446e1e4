import assert from "node:assert/strict";
import { startFunctions } from "../../cli/functions.ts";
import { FakeMetaGraph } from "../../simulator/meta_graph.ts";
import { DEFAULT_BUSINESS, postWebhook } from "../../simulator/meta_webhooks.ts";
import { sharedStore, TEST_ENV } from "./harness.ts";
import { newUser } from "./permissions_rig.ts";

Deno.test("over HTTP: the local functions server asks for permission and stores Meta's reply", async () => {
  const store = await sharedStore();
  let core = "";
  const graph = new FakeMetaGraph({
    accessToken: TEST_ENV.WHATSAPP_ACCESS_TOKEN,
    // Meta POSTs the signed reply to the callback URL, as over the internet.
    webhooks: {
      appSecret: TEST_ENV.WHATSAPP_APP_SECRET,
      send: async (w) => {
        const d = await postWebhook(core, w);
        if (d.status !== 200) throw new Error(`core answered ${d.status}`);
      },
    },
  });
  const graphServer = await graph.start();
  const functions = startFunctions({
    port: 0,
    store,
    env: {
      ...TEST_ENV,
      WHATSAPP_GRAPH_URL: graphServer.url,
      WHATSAPP_PHONE_NUMBER_ID: DEFAULT_BUSINESS.phoneNumberId,
    },
  });
  core = `${functions.url}/functions/v1/wa-webhook-core`;
  const api = `${functions.url}/functions/v1/wa-call-permissions`;
  const auth = { authorization: `Bearer ${TEST_ENV.SUPABASE_SERVICE_ROLE_KEY}` };
  try {
    const user = newUser();
    graph.permissions.script(user, "accept_permanent");
    const res = await fetch(`${api}/requests`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json", "idempotency-key": "http-1" },
      body: JSON.stringify({
        user,
        message: { type: "template", name: "sample_cpr_template", language: "en" },
      }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    await res.body?.cancel();
    await graph.flushWebhooks();
    let status = "";
    for (let i = 0; i < 100 && status !== "permanent"; i++) {
      const state = await (await fetch(`${api}?user=${user}`, { headers: auth })).json();
      status = state.permission.status;
      if (status !== "permanent") await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(status, "permanent");
    const unauthorized = await fetch(`${api}?user=${user}`);
    assert.equal(unauthorized.status, 401);
    await unauthorized.body?.cancel();
  } finally {
    await functions.close();
    await graphServer.close();
  }
});
