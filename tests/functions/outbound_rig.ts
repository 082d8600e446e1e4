/**
 * Wiring for the business-initiated call tests (issue 17): the real
 * functions server (`cli/functions.ts`: core, voice-calls, permissions,
 * outbound calls) and the real bridge in this process over one store, the
 * fake Meta over HTTP with the users' phones (`simulator/user_phone.ts`),
 * its webhooks signed and posted to the core.
 *
 * @module
 */
import { loadConfig } from "../../bridge/config.ts";
import { type RunningBridge, startBridge } from "../../bridge/main.ts";
import { EchoAgent } from "../../bridge/agents/echo.ts";
import { startCallRecords } from "../../bridge/post_call/call_records.ts";
import { sine } from "../../lib/audio/tone.ts";
import { startFunctions } from "../../cli/functions.ts";
import { FakeMetaGraph } from "../../simulator/meta_graph.ts";
import { DEFAULT_BUSINESS, postWebhook } from "../../simulator/meta_webhooks.ts";
import { FakeUserPhone } from "../../simulator/user_phone.ts";
import type { CallRecord, Store } from "../../store/store.ts";
import { sharedStore, TEST_ENV } from "./harness.ts";

/** A fresh WhatsApp number per test (the store is shared by the test process). */
export function newCallee(): string {
  return `4477${String(Math.floor(Math.random() * 1e7)).padStart(7, "0")}`;
}

/** The stack for one test. */
export interface OutboundRig {
  store: Store;
  graph: FakeMetaGraph;
  phone: FakeUserPhone;
  bridge: RunningBridge;
  /** Texts the agent was asked to speak (its greeting), in order. */
  spoken: string[];
  /** POST /wa-outbound-calls. */
  place(body: unknown, key?: string | null): Promise<Response>;
  /** GET /wa-outbound-calls/<callId>. */
  read(callId: string): Promise<Response>;
  /** The user grants a permanent permission from the business profile; resolves once stored. */
  grant(user: string): Promise<void>;
  /** Polls the call's record until `ready` holds (bounded). */
  callUntil(
    callId: string,
    ready: (c: CallRecord) => boolean,
    timeoutMs?: number,
  ): Promise<CallRecord>;
  close(): Promise<void>;
}

/** What the bridge of {@link outboundRig} runs besides the defaults. */
export interface OutboundBridgeOptions {
  /** Bridge variables over the rig's (e.g. `RECORDING`, `AGENT`, `CALL_WEBHOOK_URL`). */
  env?: Record<string, string>;
  /** The agent from the configuration (e.g. OpenAI against a fake) instead of the echo one. */
  configuredAgent?: boolean;
  /** Recording storage and the post-call runner (`startCallRecords`), as `deno task bridge` runs them. */
  callRecords?: boolean;
}

/** Starts the rig; `env` adds function variables (e.g. `WA_OUTBOUND_RING_TIMEOUT_S`). */
export async function outboundRig(
  env: Record<string, string> = {},
  bridgeOptions: OutboundBridgeOptions = {},
): Promise<OutboundRig> {
  const store = await sharedStore();
  const phone = new FakeUserPhone();
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
  const bridgeSecret = "outbound-bridge-secret-0123";
  const bridgeVars: Record<string, string> = {
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
    ...bridgeOptions.env,
  };
  const config = loadConfig(bridgeVars);
  const records = bridgeOptions.callRecords
    ? await startCallRecords(config, store, bridgeVars)
    : undefined;
  // The greeting is "spoken" as 0.6 s of 523 Hz, so the phone hears the agent first, measurably.
  const echo = () =>
    new EchoAgent({
      speak: (text) => {
        spoken.push(text);
        return Promise.resolve(sine(523.25, 24000, 14_400, 9000));
      },
    });
  const bridge = startBridge(config, store, {
    ...(bridgeOptions.configuredAgent ? {} : { createAgent: echo }),
    ...records?.overrides,
  });
  const functions = startFunctions({
    port: 0,
    store,
    env: {
      ...TEST_ENV,
      WHATSAPP_GRAPH_URL: graphServer.url,
      VOICE_BRIDGE_URL: bridge.url,
      VOICE_BRIDGE_SECRET: bridgeSecret,
      WHATSAPP_PHONE_NUMBER_ID: DEFAULT_BUSINESS.phoneNumberId,
      WA_OUTBOUND_SESSION_WAIT_MS: "5000",
      ...env,
    },
  });
  const base = `${functions.url}/functions/v1`;
  coreUrl = `${base}/wa-webhook-core`;
  const auth = `Bearer ${TEST_ENV.SUPABASE_SERVICE_ROLE_KEY}`;
  return {
    store,
    graph,
    phone,
    bridge,
    spoken,
    place(body, key = crypto.randomUUID()) {
      const headers = new Headers({ "content-type": "application/json", authorization: auth });
      if (key !== null) headers.set("idempotency-key", key);
      return fetch(`${base}/wa-outbound-calls`, {
        method: "POST",
        headers,
        body: JSON.stringify(body),
      });
    },
    read(callId) {
      return fetch(`${base}/wa-outbound-calls/${callId}`, { headers: { authorization: auth } });
    },
    async grant(user) {
      graph.permissions.grantFromProfile(DEFAULT_BUSINESS, user);
      await graph.flushWebhooks();
      const pair = { phoneNumberId: DEFAULT_BUSINESS.phoneNumberId, user };
      const until = Date.now() + 5000;
      while ((await store.readCallPermission(pair, Date.now())).status !== "permanent") {
        if (Date.now() > until) throw new Error("the permission never reached the store");
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async callUntil(callId, ready, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const call = await store.getCall(callId);
        if (call && ready(call)) return call;
        if (Date.now() > until) {
          throw new Error(`call ${callId} not ready: ${JSON.stringify(call)}`);
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async close() {
      await phone.close();
      await bridge.close(2000);
      await records?.stop();
      await functions.close();
      await graphServer.close();
    },
  };
}
