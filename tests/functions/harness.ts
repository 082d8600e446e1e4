/**
 * Wiring for the functions' tests: environment, a shared in-memory store, the
 * fake Graph API, the fake bridge and signed webhooks with fresh call ids.
 *
 * @module
 */

import { GraphClient } from "../../lib/whatsapp/graph.ts";
import { openStore } from "../../store/open.ts";
import type { Store } from "../../store/store.ts";
import {
  createVoiceCallsHandler,
  type VoiceCallsDeps,
} from "../../supabase/functions/wa-webhook-voice-calls/index.ts";
import type { CallEventResult } from "../../supabase/functions/wa-webhook-voice-calls/call_flow.ts";
import { FakeMetaGraph, type FakeMetaGraphOptions } from "../../simulator/meta_graph.ts";
import {
  connectOffer,
  type Payload,
  postWebhook,
  type SignedWebhook,
  signWebhook,
  terminate,
} from "../../simulator/meta_webhooks.ts";
import { type RawEnv, startFunctions } from "../../cli/functions.ts";
import { FakeBridge } from "./fake_bridge.ts";

/** Variables every test sets. */
export const TEST_ENV = {
  WHATSAPP_VERIFY_TOKEN: "verify-token-123",
  WHATSAPP_APP_SECRET: "test-app-secret",
  WHATSAPP_ACCESS_TOKEN: "test-access-token",
  SUPABASE_SERVICE_ROLE_KEY: "test-service-role-key",
  VOICE_BRIDGE_SECRET: "bridge-secret",
  // Statuses of calls no test placed: do not wait the production 5 s for their session.
  WA_OUTBOUND_SESSION_WAIT_MS: "100",
} as const;

/** Meta's offer from the docs fixture (CRLF SDP). */
export const OFFER_SDP: string = await Deno.readTextFile(
  new URL("../fixtures/sdp/meta_doc_offer.sdp", import.meta.url),
);

let shared: Promise<Store> | undefined;

/**
 * One in-memory PGlite store per test process: opening one costs seconds, and
 * every test uses fresh call ids, so they never see each other's rows.
 */
export function sharedStore(): Promise<Store> {
  shared ??= openStore({ pgliteDir: "memory://" });
  return shared;
}

/** A fresh Meta-style call id. */
export function newCallId(): string {
  return `wacid.TEST${crypto.randomUUID().replaceAll("-", "")}`;
}

/** Unix seconds now. */
export function nowSec(): number {
  return Math.floor(Date.now() / 1000);
}

/** A connect offer for `callId`, timestamped now. */
export function offerFor(callId: string, user = "16315553602"): Payload {
  return connectOffer({ callId, user, timestamp: nowSec(), sdp: OFFER_SDP });
}

const FIXTURES = new URL("../fixtures/webhooks/", import.meta.url);
const FIXTURE_CALL_ID = "wacid.ABGGFjFVU2AfAgo6V-Hc5eCgK5Gh";

/** A reference payload with its call id replaced, so tests sharing the store stay apart. */
export async function webhookFixture(name: string, callId: string): Promise<Payload> {
  const text = await Deno.readTextFile(new URL(name, FIXTURES));
  return JSON.parse(text.replaceAll(FIXTURE_CALL_ID, callId));
}

/** A caller who has adopted a username: Meta names them by user id, without a number. */
export const USERNAME_CALLER = {
  userId: "BR.1502576394655843",
  username: "pablo.m",
  callerName: "Pablo Morales",
} as const;

/** A connect offer from {@link USERNAME_CALLER} for `callId`, timestamped now. */
export function usernameOfferFor(
  callId: string,
  extra: Partial<Parameters<typeof connectOffer>[0]> = {},
): Payload {
  return connectOffer({
    callId,
    ...USERNAME_CALLER,
    timestamp: nowSec(),
    sdp: OFFER_SDP,
    ...extra,
  });
}

/** A terminate for `callId`, timestamped now. */
export function terminateFor(
  callId: string,
  extra: Partial<Parameters<typeof terminate>[0]> = {},
): Payload {
  return terminate({
    callId,
    user: "16315553602",
    timestamp: nowSec(),
    status: "COMPLETED",
    ...extra,
  });
}

/** A port nothing listens on (connection refused). */
export function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** The voice-calls function against the fakes. */
export interface VoiceCallsRig {
  store: Store;
  graph: FakeMetaGraph;
  bridge: FakeBridge;
  bridgeUrl: string;
  /** POSTs an envelope as the core would; resolves with the response. */
  post(payload: Payload, authorization?: string | null): Promise<Response>;
  /** POSTs and returns the per-event results (asserting 200). */
  send(payload: Payload): Promise<CallEventResult[]>;
  close(): Promise<void>;
}

/** Runs `test` on a fresh rig and closes the rig however the test ends. */
export async function withRig(
  test: (rig: VoiceCallsRig) => Promise<void>,
  opts: Parameters<typeof voiceCallsRig>[0] = {},
): Promise<void> {
  const rig = await voiceCallsRig(opts);
  try {
    await test(rig);
  } finally {
    await rig.close();
  }
}

/** Starts the fake bridge (unless `bridgeUrl` is given) and builds the handler. */
export async function voiceCallsRig(
  opts: {
    bridgeUrl?: string;
    now?: () => number;
    store?: Store;
    /** Variables on top of {@link TEST_ENV}, e.g. `WA_MEDIA_CONNECT_WAIT_MS`. */
    env?: Record<string, string>;
    /** The fake Meta's ring window and its timers. */
    graph?: Pick<FakeMetaGraphOptions, "ringWindowMs" | "timers">;
    /** Meta's own webhooks (ring-out, failures, after reject/terminate) reach the function. */
    metaWebhooks?: boolean;
    /** Where writes the store cannot take go, and the deadline of each store call. */
    outbox?: VoiceCallsDeps["outbox"];
    storeDeadlineMs?: number;
  } = {},
): Promise<VoiceCallsRig> {
  const store = opts.store ?? await sharedStore();
  const graph = new FakeMetaGraph({
    accessToken: TEST_ENV.WHATSAPP_ACCESS_TOKEN,
    ...opts.graph,
    ...(opts.metaWebhooks
      ? {
        webhooks: {
          appSecret: TEST_ENV.WHATSAPP_APP_SECRET,
          send: async (w: SignedWebhook) => {
            const res = await post(JSON.parse(w.body));
            if (res.status !== 200) throw new Error(`Meta's webhook got ${await res.text()}`);
            await res.body?.cancel();
          },
        },
      }
      : {}),
  });
  const bridge = new FakeBridge(TEST_ENV.VOICE_BRIDGE_SECRET);
  const server = opts.bridgeUrl === undefined ? await bridge.start() : undefined;
  const bridgeUrl = opts.bridgeUrl ?? server!.url;
  const handler = createVoiceCallsHandler({
    env: { ...TEST_ENV, VOICE_BRIDGE_URL: bridgeUrl, ...opts.env },
    store: () => Promise.resolve(store),
    // Short backoff: retries are asserted by count, not by waiting.
    graph: new GraphClient({
      baseUrl: "https://graph.example.test/v23.0",
      accessToken: TEST_ENV.WHATSAPP_ACCESS_TOKEN,
      fetch: graph.fetch,
      retryDelayMs: 5,
    }),
    ...(opts.now === undefined ? {} : { now: opts.now }),
    ...(opts.outbox === undefined ? {} : { outbox: opts.outbox }),
    ...(opts.storeDeadlineMs === undefined ? {} : { storeDeadlineMs: opts.storeDeadlineMs }),
  });
  const post = (
    payload: Payload,
    authorization: string | null = `Bearer ${TEST_ENV.SUPABASE_SERVICE_ROLE_KEY}`,
  ) => {
    const body = JSON.stringify(payload);
    // Meta knows of a call before it sends the webhook; the fake learns it the same way.
    graph.observeWebhook({
      body,
      headers: { "content-type": "application/json", "x-hub-signature-256": "" },
    });
    const headers = new Headers({ "content-type": "application/json" });
    if (authorization !== null) headers.set("authorization", authorization);
    return handler(
      new Request("http://localhost/functions/v1/wa-webhook-voice-calls", {
        method: "POST",
        headers,
        body,
      }),
    );
  };
  return {
    store,
    graph,
    bridge,
    bridgeUrl,
    post,
    async send(payload) {
      const res = await post(payload);
      const body = await res.json();
      if (res.status !== 200) {
        throw new Error(`voice-calls answered ${res.status}: ${JSON.stringify(body)}`);
      }
      return (body as { results: CallEventResult[] }).results;
    },
    async close() {
      await server?.close();
    },
  };
}

/** The local functions server wired to a fake Graph API and a fake bridge on loopback. */
export async function functionsServerRig(store: Store, env: RawEnv = {}) {
  const graph = new FakeMetaGraph({ accessToken: TEST_ENV.WHATSAPP_ACCESS_TOKEN });
  const bridge = new FakeBridge(TEST_ENV.VOICE_BRIDGE_SECRET);
  const graphServer = await graph.start();
  const bridgeServer = await bridge.start();
  const functions = startFunctions({
    port: 0,
    store,
    env: {
      ...TEST_ENV,
      WHATSAPP_GRAPH_URL: graphServer.url,
      VOICE_BRIDGE_URL: bridgeServer.url,
      ...env,
    },
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
