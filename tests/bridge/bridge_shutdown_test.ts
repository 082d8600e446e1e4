/**
 * Shutdown through `startBridge`'s own wiring: SIGTERM's `close()` drains
 * once, and Meta (the fake Graph API behind `WHATSAPP_GRAPH_URL`) hears a
 * terminate for every call the drain ends.
 */
import assert from "node:assert/strict";
import { realScheduler } from "../../bridge/media/frame_clock.ts";
import { FakeMetaGraph } from "../../simulator/meta_graph.ts";
import { DEFAULT_BUSINESS } from "../../simulator/meta_webhooks.ts";
import { captureLogs } from "../support/log_capture.ts";
import { FakeAgent, FakePeer, META_OFFER } from "../support/session_fakes.ts";
import { startTestBridge } from "../support/test_bridge.ts";

async function bridgeWithCalls(callIds: string[]) {
  const graph = new FakeMetaGraph();
  const graphServer = await graph.start();
  const { bridge, client } = startTestBridge({
    WHATSAPP_ACCESS_TOKEN: graph.accessToken,
    WHATSAPP_GRAPH_URL: graphServer.url,
  }, {
    createAgent: () => new FakeAgent(),
    createPeer: () => Promise.resolve(new FakePeer(realScheduler)),
  });
  for (const callId of callIds) {
    graph.registerCall({ callId });
    await client.createSession({
      callId,
      phoneNumberId: DEFAULT_BUSINESS.phoneNumberId,
      from: "16315553602",
      to: DEFAULT_BUSINESS.displayPhoneNumber,
      sdp: META_OFFER,
    });
  }
  return { graph, graphServer, bridge };
}

Deno.test("SIGTERM: the drain sends Meta's Graph API a terminate for every live call", async () => {
  const callIds = ["wacid.sd0", "wacid.sd1", "wacid.sd2", "wacid.sd3"];
  const { graph, graphServer, bridge } = await bridgeWithCalls(callIds);
  try {
    await bridge.close(0);
    for (const callId of callIds) {
      assert.deepEqual(graph.actionsFor(callId), ["terminate"], callId);
      assert.equal(graph.call(callId)?.state, "terminated", callId);
    }
  } finally {
    await bridge.close(0);
    await graphServer.close();
  }
});

Deno.test("a second SIGTERM joins the first drain instead of starting another", async () => {
  const logs = await captureLogs();
  const { graph, graphServer, bridge } = await bridgeWithCalls(["wacid.sd4", "wacid.sd5"]);
  try {
    const first = bridge.close(60_000);
    const second = bridge.close(0);
    assert.equal(second, first);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(bridge.manager.list().length, 2, "the second close's 0 s does not cut the calls");
    for (const s of bridge.manager.list()) await s.end("caller_hangup", false);
    await first;
    assert.equal(logs.find("VOICE_BRIDGE_DRAINING").length, 1, "one drain");
    assert.deepEqual(graph.requests, [], "calls that ended themselves need no terminate");
    await assert.rejects(fetch(`${bridge.url}/healthz`), "the server has stopped");
  } finally {
    await bridge.close(0);
    await graphServer.close();
    await logs.stop();
  }
});
