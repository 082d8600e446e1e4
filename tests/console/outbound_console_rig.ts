/**
 * A real console wired to the real business-initiated call stack: the
 * functions server (core, voice-calls, permissions, outbound calls), the
 * bridge (echo agent) and the fake Meta with the users' phones, all over one
 * store; the console's "Call a customer" page sends through those functions
 * over HTTP with the service role key, as `deno task dev` wires it.
 *
 * @module
 */
import { loadConfig } from "../../bridge/config.ts";
import { startBridge } from "../../bridge/main.ts";
import { EchoAgent } from "../../bridge/agents/echo.ts";
import { sine } from "../../lib/audio/tone.ts";
import { startFunctions } from "../../cli/functions.ts";
import { FakeMetaGraph } from "../../simulator/meta_graph.ts";
import { DEFAULT_BUSINESS, postWebhook } from "../../simulator/meta_webhooks.ts";
import { FakeUserPhone } from "../../simulator/user_phone.ts";
import type { CallRecord, Store } from "../../store/store.ts";
import { sharedStore, TEST_ENV } from "../functions/harness.ts";
import { startTestConsole, type TestConsole } from "../../console/server/test_utils.ts";
import { functionsOutbound } from "../../console/outbound/functions_client.ts";

/** The business number of the fake Meta. */
export const BUSINESS_ID: string = DEFAULT_BUSINESS.phoneNumberId;

/** A fresh WhatsApp number per test (the store is shared by the test process). */
export function newCustomer(): string {
  return `4479${String(Math.floor(Math.random() * 1e7)).padStart(7, "0")}`;
}

/** The stack and the console over it. */
export interface OutboundConsoleRig {
  store: Store;
  graph: FakeMetaGraph;
  phone: FakeUserPhone;
  console: TestConsole;
  /** Texts the agent was asked to speak first, in order. */
  spoken: string[];
  /** Polls the call's record until `ready` holds (bounded). */
  callUntil(callId: string, ready: (c: CallRecord) => boolean): Promise<CallRecord>;
  close(): Promise<void>;
}

/** Starts the rig; `consoleUrl` is the public origin the console checks (tests: its own). */
export async function outboundConsoleRig(): Promise<OutboundConsoleRig> {
  const store = await sharedStore();
  const phone = new FakeUserPhone({ answer: "accept", talkMs: 1500 });
  let coreUrl = "";
  const graph: FakeMetaGraph = new FakeMetaGraph({
    accessToken: TEST_ENV.WHATSAPP_ACCESS_TOKEN,
    phone,
    webhooks: {
      appSecret: TEST_ENV.WHATSAPP_APP_SECRET,
      send: async (w) => {
        const d = await postWebhook(coreUrl, w, { observer: graph });
        if (d.status !== 200) throw new Error(`core answered ${d.status}: ${d.responseBody}`);
      },
    },
  });
  const graphServer = await graph.start();
  const spoken: string[] = [];
  const bridgeSecret = "console-outbound-bridge-secret";
  const bridge = startBridge(
    loadConfig({
      VOICE_BRIDGE_SECRET: bridgeSecret,
      WHATSAPP_ACCESS_TOKEN: TEST_ENV.WHATSAPP_ACCESS_TOKEN,
      WHATSAPP_GRAPH_URL: graphServer.url,
      BRIDGE_HOST: "127.0.0.1",
      BRIDGE_PORT: "0",
      MAX_CPU_PERCENT: "0",
      AGENT: "echo",
      ICE_INCLUDE_LOOPBACK: "true",
      ICE_ALLOW_PRIVATE_CANDIDATES: "true",
      RECORDING: "off",
      CALLER_SILENCE_TIMEOUT_S: "0",
    }),
    store,
    {
      createAgent: () =>
        new EchoAgent({
          speak: (text) => {
            spoken.push(text);
            return Promise.resolve(sine(523.25, 24000, 14_400, 9000));
          },
        }),
    },
  );
  const functions = startFunctions({
    port: 0,
    store,
    env: {
      ...TEST_ENV,
      WHATSAPP_GRAPH_URL: graphServer.url,
      VOICE_BRIDGE_URL: bridge.url,
      VOICE_BRIDGE_SECRET: bridgeSecret,
      WA_OUTBOUND_SESSION_WAIT_MS: "5000",
    },
  });
  coreUrl = `${functions.url}/functions/v1/wa-webhook-core`;
  const testConsole = await startTestConsole({
    store,
    deps: {
      outbound: functionsOutbound({
        functionsUrl: `${functions.url}/functions/v1`,
        serviceRoleKey: TEST_ENV.SUPABASE_SERVICE_ROLE_KEY,
        defaultPhoneNumberId: BUSINESS_ID,
      }),
    },
  });
  return {
    store,
    graph,
    phone,
    console: testConsole,
    spoken,
    async callUntil(callId, ready) {
      const until = Date.now() + 10_000;
      for (;;) {
        const call = await store.getCall(callId);
        if (call && ready(call)) return call;
        if (Date.now() > until) throw new Error(`call ${callId} not ready: ${call?.status}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async close() {
      await testConsole.close();
      await phone.close();
      await bridge.close(2000);
      await functions.close();
      await graphServer.close();
    },
  };
}
