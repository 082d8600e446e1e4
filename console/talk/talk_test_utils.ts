/**
 * Test helpers of "Talk to your agent": the real pieces in one process. A
 * call store (in-memory PGlite), the fake Meta Graph API over HTTP (so a test
 * can assert the bridge never called it), a real bridge with the echo agent
 * whose Graph client points at that fake, optionally recording and running
 * the post-call steps with a local end-of-call webhook receiver, and a real
 * console whose talk service reaches that bridge.
 *
 * @module
 */
import { loadConfig } from "../../bridge/config.ts";
import { type RunningBridge, startBridge } from "../../bridge/main.ts";
import { startCallRecords } from "../../bridge/post_call/call_records.ts";
import { BridgeClient } from "../../lib/bridge_api/client.ts";
import { generateWebhookSecret } from "../../lib/webhooks/standard_webhooks.ts";
import { FakeMetaGraph } from "../../simulator/meta_graph.ts";
import { openStore } from "../../store/open.ts";
import type { Store } from "../../store/store.ts";
import { startTestConsole, type TestConsole } from "../server/test_utils.ts";
import { TestCalls } from "./test_calls.ts";

/** The bridge secret of the talk stack. */
export const TALK_BRIDGE_SECRET = "talk-test-bridge-secret-0123456789";
/** The Graph token the bridge presents to the fake Meta. */
const GRAPH_TOKEN = "talk-test-graph-token";

/** Options of {@linkcode startTalkStack}. */
export interface TalkStackOptions {
  /** Record calls and run the post-call steps (recording file, figures, webhooks). */
  records?: boolean;
  /** More bridge variables (e.g. `ICE_INCLUDE_LOOPBACK`). */
  env?: Record<string, string>;
}

/** The running pieces. */
export interface TalkStack {
  store: Store;
  graph: FakeMetaGraph;
  bridge: RunningBridge;
  talk: TestCalls;
  console: TestConsole;
  /** Where recordings go (`records` only). */
  recordingsDir: string;
  /** Bodies the local end-of-call webhook receiver got (`records` only). */
  webhooks: unknown[];
  /** Stops everything; idempotent. `drainMs` is the bridge's drain. */
  close(drainMs?: number): Promise<void>;
}

/** Starts the stack; close it in `finally`. */
export async function startTalkStack(options: TalkStackOptions = {}): Promise<TalkStack> {
  const store = await openStore({ pgliteDir: "memory://" });
  const graph = new FakeMetaGraph({ accessToken: GRAPH_TOKEN });
  const graphServer = await graph.start(0);
  const recordingsDir = await Deno.makeTempDir({ prefix: "talk_recordings_" });
  const webhooks: unknown[] = [];
  const receiver = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      webhooks.push(await req.json().catch(() => null));
      return new Response(null, { status: 204 });
    },
  );
  const vars: Record<string, string> = {
    VOICE_BRIDGE_SECRET: TALK_BRIDGE_SECRET,
    MAX_CPU_PERCENT: "0",
    BRIDGE_HOST: "127.0.0.1",
    BRIDGE_PORT: "0",
    AGENT: "echo",
    WHATSAPP_ACCESS_TOKEN: GRAPH_TOKEN,
    WHATSAPP_GRAPH_URL: graphServer.url,
    ICE_INCLUDE_LOOPBACK: "true",
    ICE_ALLOW_PRIVATE_CANDIDATES: "true",
    LOG_LEVEL: "error",
    RECORDING: options.records ? "on" : "off",
    RECORDINGS_DIR: recordingsDir,
    ...(options.records
      ? {
        CALL_WEBHOOK_URL: `http://127.0.0.1:${receiver.addr.port}/hook`,
        CALL_WEBHOOK_SECRET: generateWebhookSecret(),
      }
      : {}),
    ...options.env,
  };
  const config = loadConfig(vars);
  const records = options.records ? await startCallRecords(config, store, vars) : undefined;
  const bridge = startBridge(config, store, records?.overrides ?? {});
  const talk = new TestCalls({
    store,
    bridge: new BridgeClient({
      baseUrl: bridge.url,
      secret: TALK_BRIDGE_SECRET,
      timeoutMs: 10_000,
    }),
    now: () => new Date(),
  });
  const web = await startTestConsole({ store, deps: { talk } });
  let closing: Promise<void> | undefined;
  return {
    store,
    graph,
    bridge,
    talk,
    console: web,
    recordingsDir,
    webhooks,
    close: (drainMs = 0) =>
      closing ??= (async () => {
        try {
          await web.close();
          await bridge.close(drainMs);
          await talk.settled();
          await records?.stop();
        } finally {
          await receiver.shutdown();
          await graphServer.close();
          await store.close();
          await Deno.remove(recordingsDir, { recursive: true }).catch(() => {});
        }
      })(),
  };
}
