/**
 * The bridge process: `deno task bridge`. Reads the environment, opens the
 * call store, and serves the HTTP API until SIGTERM, when it drains.
 *
 * `startBridge` is exported so `deno task dev` and the end-to-end tests run
 * the same wiring in-process.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import process from "node:process";
import { GraphClient } from "../lib/whatsapp/graph.ts";
import { openStore, storeConfigFromEnv } from "../store/open.ts";
import type { Store } from "../store/store.ts";
import type { Agent } from "./agents/agent.ts";
import { createAgentFactory } from "./agents/create_agent.ts";
import { type BridgeConfig, loadConfig, readTextFileIfExists } from "./config.ts";
import { createApp } from "./http/app.ts";
import { configureLogging } from "./log.ts";
import { requestRealtimePriority } from "./realtime_priority.ts";
import type { CallTerminator } from "./session/call_session.ts";
import { cpuSampler, SessionManager } from "./session/session_manager.ts";
import { installUdpTransport } from "./webrtc/libc_udp_transport.ts";
import { WhatsAppPeer } from "./webrtc/whatsapp_peer.ts";

/** A running bridge. */
export interface RunningBridge {
  url: string;
  manager: SessionManager;
  /** Drains (up to `drainMs`, default the config's) and stops serving. */
  close(drainMs?: number): Promise<void>;
}

/** Parts a test or the dev runner may swap. */
export interface BridgeOverrides {
  createAgent?: (callId: string) => Agent;
  terminator?: CallTerminator;
}

/** Starts the bridge on `config`, recording into `store` (shared with the functions in dev). */
export function startBridge(
  config: BridgeConfig,
  store: Store | undefined,
  overrides: BridgeOverrides = {},
): RunningBridge {
  const { env } = config;
  const cpu = cpuSampler(() => process.cpuUsage());
  const graph = env.WHATSAPP_ACCESS_TOKEN
    ? new GraphClient({ baseUrl: env.WHATSAPP_GRAPH_URL, accessToken: env.WHATSAPP_ACCESS_TOKEN })
    : undefined;
  const manager = new SessionManager({
    maxSessions: env.MAX_SESSIONS,
    maxCpuPercent: env.MAX_CPU_PERCENT,
    cpuPercent: cpu.read,
    deps: {
      createPeer: (offer, sdp) =>
        WhatsAppPeer.answer(sdp, offer, {
          publicIp: env.PUBLIC_IP,
          portRange: config.portRange,
          iceServers: config.iceServers,
          includeLoopback: env.ICE_INCLUDE_LOOPBACK,
        }),
      createAgent: overrides.createAgent ?? createAgentFactory(config),
      recorder: store,
      terminator: overrides.terminator ??
        (graph
          ? { terminate: (phoneNumberId, callId) => graph.terminate({ phoneNumberId, callId }) }
          : undefined),
      mediaConnectTimeoutMs: env.MEDIA_CONNECT_TIMEOUT_MS,
      maxCallMs: env.MAX_CALL_MINUTES * 60_000,
      callerSilenceTimeoutMs: env.CALLER_SILENCE_TIMEOUT_S * 1000,
    },
  });
  const app = createApp({ manager, secret: env.VOICE_BRIDGE_SECRET, cpuPercent: cpu.read });
  const server = Deno.serve(
    { hostname: env.BRIDGE_HOST, port: env.BRIDGE_PORT, onListen: () => {} },
    app.fetch,
  );
  const host = env.BRIDGE_HOST === "0.0.0.0" ? "127.0.0.1" : env.BRIDGE_HOST;
  getLogger(["bridge"]).info("VOICE_BRIDGE_LISTENING", {
    port: server.addr.port,
    agent: config.agent,
    maxSessions: env.MAX_SESSIONS,
  });
  return {
    url: `http://${host}:${server.addr.port}`,
    manager,
    async close(drainMs = env.DRAIN_TIMEOUT_S * 1000) {
      await manager.drain(drainMs);
      cpu.stop();
      await server.shutdown();
    },
  };
}

if (import.meta.main) {
  let config: BridgeConfig;
  try {
    config = loadConfig(Deno.env.toObject(), readTextFileIfExists);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    Deno.exit(2);
  }
  await configureLogging(config.env.LOG_LEVEL, config.env.LOG_FORMAT);
  const log = getLogger(["bridge"]);
  // libc sockets where they work, Deno's elsewhere: see libc_udp_transport.ts.
  log.info("BRIDGE_UDP_TRANSPORT", { kind: installUdpTransport() });
  // Before any call: the frame clock and V8's GC helpers; see realtime_priority.ts.
  if (config.env.MEDIA_REALTIME_PRIORITY > 0) {
    const rt = requestRealtimePriority(config.env.MEDIA_REALTIME_PRIORITY);
    if (rt.ok) log.info("BRIDGE_REALTIME_PRIORITY", { priority: rt.priority });
    else log.warning("BRIDGE_REALTIME_PRIORITY_UNAVAILABLE", { reason: rt.reason });
  }
  const store = await openStore(storeConfigFromEnv((n) => Deno.env.get(n)));
  const bridge = startBridge(config, store);
  const stop = async () => {
    await bridge.close();
    await store.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
}
