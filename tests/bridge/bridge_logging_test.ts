/**
 * The bridge's own logs over a whole lifecycle (calls created, accepted,
 * talked to by the OpenAI agent, hung up, failed, refused, drained), with the
 * real wiring of `startBridge`, Graph on a fake Meta and the agent on a fake
 * OpenAI: no line carries a full phone number or a secret, and every line of
 * a call carries its call id.
 */
import assert from "node:assert/strict";
import type { LogRecord } from "@logtape/logtape";
import { loadConfig } from "../../bridge/config.ts";
import type { ProcessLogEvent } from "../../bridge/log.ts";
import { startBridge } from "../../bridge/main.ts";
import { realScheduler } from "../../bridge/media/frame_clock.ts";
import type { CallLogEvent, ManagerLogEvent } from "../../bridge/session/call_events.ts";
import type { SessionRecorder } from "../../bridge/session/session_deps.ts";
import { BridgeClient } from "../../lib/bridge_api/client.ts";
import { FakeMetaGraph } from "../../simulator/meta_graph.ts";
import { DEFAULT_BUSINESS } from "../../simulator/meta_webhooks.ts";
import { FakeRealtimeServer } from "../fakes/openai_realtime.ts";
import { captureLogs } from "../support/log_capture.ts";
import { FakePeer, META_OFFER } from "../support/session_fakes.ts";
import { until } from "../support/until.ts";

const CALLER = "+16315553602";
const SECRETS = {
  VOICE_BRIDGE_SECRET: "vbs-SECRET-bridge-0123456789",
  OPENAI_API_KEY: "sk-SECRET-openai-0123456789",
  WHATSAPP_ACCESS_TOKEN: "EAAG-SECRET-whatsapp-0123456789",
};
const FORBIDDEN = [...Object.values(SECRETS), "16315553602", "16315553601"];

/** Lines about the process, not one call: the only ones allowed without a call id. */
const PROCESS_EVENTS: ReadonlySet<string> = new Set(
  [
    "VOICE_BRIDGE_LISTENING",
    "BRIDGE_UDP_TRANSPORT",
    "VOICE_BRIDGE_DRAINING",
    "VOICE_BRIDGE_DRAIN_ENDING_CALLS",
    "VOICE_BRIDGE_DRAINED",
  ] satisfies Array<ProcessLogEvent | ManagerLogEvent>,
);

/** What the lifecycle below must have logged, or the test proved nothing. */
const EXPECTED = [
  "VOICE_BRIDGE_SESSION_STARTED",
  "AUDIO_BRIDGE_ACTIVE",
  "AGENT_READY",
  "CALL_RECORD_FAILED",
  "WEBRTC_PEER_FAILED",
  "WA_TERMINATE_FAILED",
  "WA_TERMINATE_SENT",
  "VOICE_BRIDGE_SESSION_ENDED",
  "VOICE_BRIDGE_OFFER_REJECTED",
  "VOICE_BRIDGE_DRAINING",
] satisfies Array<CallLogEvent | ManagerLogEvent>;

/** Serialises a record as a JSON sink would, Errors included. */
function serialise(r: LogRecord): string {
  return JSON.stringify(
    { message: r.message, properties: r.properties },
    (_k, v) => v instanceof Error ? { name: v.name, message: v.message, stack: v.stack } : v,
  );
}

Deno.test("bridge logs: no full number or secret in any line; every call line has its call id", async () => {
  const logs = await captureLogs();
  const graph = new FakeMetaGraph({ accessToken: SECRETS.WHATSAPP_ACCESS_TOKEN });
  const graphServer = await graph.start();
  const openai = FakeRealtimeServer.start({ apiKey: SECRETS.OPENAI_API_KEY });
  const transcripts: string[] = [];
  const recorder: SessionRecorder = {
    recordEvent: () => Promise.resolve({ inserted: true }),
    addTranscript: (t) => {
      transcripts.push(t.text);
      return Promise.reject(new Error(`insert failed for ${t.callId}`));
    },
    upsertCall: () => Promise.resolve({} as never),
  };
  const peers: FakePeer[] = [];
  const bridge = startBridge(
    loadConfig({
      ...SECRETS,
      AGENT: "openai",
      OPENAI_REALTIME_URL: openai.url,
      WHATSAPP_GRAPH_URL: graphServer.url,
      BRIDGE_HOST: "127.0.0.1",
      BRIDGE_PORT: "0",
      MAX_CPU_PERCENT: "0",
    }),
    recorder,
    {
      createPeer: () => {
        const peer = new FakePeer(realScheduler);
        peers.push(peer);
        return Promise.resolve(peer);
      },
    },
  );
  const client = new BridgeClient({
    baseUrl: bridge.url,
    secret: SECRETS.VOICE_BRIDGE_SECRET,
    timeoutMs: 10_000,
  });
  const callIds: string[] = [];
  const call = async (callId: string) => {
    callIds.push(callId);
    graph.registerCall({ callId, user: CALLER.slice(1) });
    const { sessionId } = await client.createSession({
      callId,
      phoneNumberId: DEFAULT_BUSINESS.phoneNumberId,
      from: CALLER,
      to: DEFAULT_BUSINESS.displayPhoneNumber,
      sdp: META_OFFER,
    });
    const peer = peers.at(-1)!;
    await client.acceptSession(sessionId);
    peer.connect();
    return { sessionId, peer };
  };
  try {
    // A call the agent greets (its transcript fails to store), then the caller hangs up.
    const talked = await call("wacid.log-talk");
    await until(() => transcripts.length > 0, 5_000, "the agent's greeting transcript");
    await client.endSession(talked.sessionId, "caller_hangup");
    // Media fails mid-call, and so does telling Meta.
    graph.failNext("terminate", { status: 500, times: 3 });
    const failed = await call("wacid.log-fail");
    failed.peer.fail();
    await until(() => logs.find("WA_TERMINATE_FAILED").length > 0, 5_000, "terminate failure");
    // An offer the bridge cannot use.
    await assert.rejects(client.createSession({
      callId: "wacid.log-bad",
      phoneNumberId: DEFAULT_BUSINESS.phoneNumberId,
      from: CALLER,
      to: DEFAULT_BUSINESS.displayPhoneNumber,
      sdp: "v=0\r\n",
    }));
    callIds.push("wacid.log-bad");
    // Two live calls when SIGTERM comes.
    await call("wacid.log-drain1");
    await call("wacid.log-drain2");
    await bridge.close(0);
    assert.deepEqual(graph.actionsFor("wacid.log-drain1"), ["terminate"]);
  } finally {
    await bridge.close(0);
    await openai.close();
    await graphServer.close();
    await logs.stop();
  }

  const events = new Set(logs.records.map((r) => String(r.rawMessage)));
  for (const name of EXPECTED) assert.ok(events.has(name), `no ${name} line`);
  for (const r of logs.records) {
    const text = serialise(r);
    for (const secret of FORBIDDEN) {
      assert.ok(!text.includes(secret), `${String(r.rawMessage)} leaks ${secret}: ${text}`);
    }
    if (PROCESS_EVENTS.has(String(r.rawMessage))) continue;
    assert.ok(
      callIds.includes(String(r.properties.callId)),
      `${String(r.rawMessage)} (${r.category.join(".")}) without its call id: ${text}`,
    );
  }
  const started = logs.find("VOICE_BRIDGE_SESSION_STARTED")[0]!;
  assert.equal(started.properties.from, "+1631•••3602", "the number is masked, not dropped");
});
