import assert from "node:assert/strict";
import { startFunctions } from "../../cli/functions.ts";
import { FakeMetaGraph } from "../fakes/meta_graph.ts";
import { postWebhook, signWebhook } from "../fakes/meta_webhooks.ts";
import { FakeBridge } from "./fake_bridge.ts";
import { newCallId, nowSec, offerFor, sharedStore, terminateFor, TEST_ENV } from "./harness.ts";

/** The local functions server on port 0 with the fake Graph and bridge over loopback HTTP. */
async function serverRig() {
  const store = await sharedStore();
  const graph = new FakeMetaGraph({ accessToken: TEST_ENV.WHATSAPP_ACCESS_TOKEN });
  const bridge = new FakeBridge(TEST_ENV.VOICE_BRIDGE_SECRET);
  const graphServer = await graph.start();
  const bridgeServer = await bridge.start();
  const functions = startFunctions({
    port: 0,
    store,
    env: { ...TEST_ENV, WHATSAPP_GRAPH_URL: graphServer.url, VOICE_BRIDGE_URL: bridgeServer.url },
  });
  const core = `${functions.url}/functions/v1/wa-webhook-core`;
  return {
    store,
    graph,
    bridge,
    functions,
    core,
    async deliver(payload: Record<string, unknown>) {
      const w = await signWebhook(payload, TEST_ENV.WHATSAPP_APP_SECRET);
      return await postWebhook(core, w, { observer: graph });
    },
    async close() {
      await functions.close();
      await bridgeServer.close();
      await graphServer.close();
    },
  };
}

Deno.test("core → voice-calls through supabase-js functions.invoke on the local server", async () => {
  const rig = await serverRig();
  let closed = false;
  try {
    const callId = newCallId();
    const delivery = await rig.deliver(offerFor(callId));
    assert.equal(delivery.status, 200);
    await rig.graph.waitFor("accept", callId);

    const start = nowSec();
    await rig.deliver(terminateFor(callId, { startTime: start, endTime: start + 7, duration: 7 }));
    // close() waits for the core's background routing to finish.
    await rig.close();
    closed = true;
    const call = await rig.store.getCall(callId);
    assert.equal(call?.status, "completed");
    assert.equal(call?.durationSeconds, 7);
    assert.deepEqual(rig.graph.requests.map((r) => r.action), ["pre_accept", "accept"]);
    assert.equal(rig.bridge.sessionsFor(callId)[0]?.state, "ended");
  } finally {
    if (!closed) await rig.close();
  }
});

Deno.test("functions server: voice-calls refuses callers without the key; unknown names 404", async () => {
  const rig = await serverRig();
  try {
    const res = await fetch(`${rig.functions.url}/functions/v1/wa-webhook-voice-calls`, {
      method: "POST",
      headers: { authorization: "Bearer anon-key" },
      body: JSON.stringify(offerFor(newCallId())),
    });
    assert.equal(res.status, 401);
    await res.body?.cancel();
    const missing = await fetch(`${rig.functions.url}/functions/v1/nope`);
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
    const verify = await fetch(
      `${rig.core}?hub.mode=subscribe&hub.challenge=abc&hub.verify_token=${TEST_ENV.WHATSAPP_VERIFY_TOKEN}`,
    );
    assert.equal(await verify.text(), "abc");
    assert.equal(rig.graph.requests.length, 0);
  } finally {
    await rig.close();
  }
});
