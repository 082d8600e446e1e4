/**
 * The bridge process: `deno task bridge`. Reads the environment, opens the
 * call store, and serves the HTTP API until SIGTERM, when it drains.
 *
 * `startBridge` is exported so `deno task dev` and the end-to-end tests run
 * the same wiring in-process.
 *
 * @module
 */
import process from "node:process";
import { GraphClient } from "../lib/whatsapp/graph.ts";
import { openStore, storeConfigFromEnv } from "../store/open.ts";
import { FileOutbox } from "../store/outbox.ts";
import { OutboxFlusher } from "../store/outbox_flusher.ts";
import { applyDeferredWrite, DeferredWriteSchema } from "../store/deferred_write.ts";
import type { DeferredSink } from "../store/deferring_store.ts";
import type { Agent } from "./agents/agent.ts";
import { createAgentFactory } from "./agents/create_agent.ts";
import {
  type BridgeConfig,
  configSecrets,
  loadConfig,
  readTextFileIfExists,
  sessionLimits,
} from "./config.ts";
import { createApp } from "./http/app.ts";
import { configureLogging, eventLogger, type ProcessLogEvent } from "./log.ts";
import { requestRealtimePriority } from "./realtime_priority.ts";
import type { CallTerminator, SessionDeps, SessionRecorder } from "./session/session_deps.ts";
import { cpuSampler, SessionManager } from "./session/session_manager.ts";
import { DurableRecorder } from "./session/durable_recorder.ts";
import { startStaleCallReconciler } from "./session/stale_call_reconciler.ts";
import { realScheduler } from "./media/frame_clock.ts";
import { installWeriftPatches } from "./webrtc/werift_patches.ts";
import { logNetworkSummary } from "./network/network_summary.ts";
import { createPeerFactory } from "./webrtc/peer_factory.ts";
import { type OfferFactory, OutboundOffers } from "./session/outbound_offers.ts";
import { startCallRecords } from "./post_call/call_records.ts";
import { instructionsWithAnnouncement, sessionRecording } from "./recording/recordings.ts";
import { type AgentSettingsSource, callSettingsResolver } from "./agent_settings/call_settings.ts";
import type { LiveBus } from "./live/live_publisher.ts";
import { startLive } from "./live/start_live.ts";
import { startDialerFromEnv } from "./dialer/start.ts";

/** A running bridge. */
export interface RunningBridge {
  url: string;
  manager: SessionManager;
  /**
   * Drains (up to `drainMs`, default the config's) and stops serving. Runs
   * once: a second call (a second SIGTERM) returns the first call's promise.
   */
  close(drainMs?: number): Promise<void>;
}

/** Parts a test or the dev runner may swap. */
export interface BridgeOverrides {
  createAgent?: (callId: string) => Agent;
  terminator?: CallTerminator;
  /** Replaces the werift peer (tests without sockets). */
  createPeer?: SessionDeps["createPeer"];
  /** The durable outbox `POST /records` appends to. */
  outbox?: DeferredSink;
  /** Told each call id once its session ended: the post-call runner (bridge/post_call/). */
  onCallEnded?: (callId: string) => void;
  /** `GET /calls/:callId/recording` (bridge/recording/recording_storage.ts). */
  recordingRoutes?: Parameters<typeof createApp>[0]["recordingRoutes"];
  /** The store's LISTEN/NOTIFY: calls published to the consoles, their commands heard (bridge/live/). */
  live?: LiveBus;
  /** Per-number agent settings, read for each new call (bridge/agent_settings/); absent: env only. */
  agentSettings?: AgentSettingsSource;
  /** Makes the offering peer of a business-initiated call (tests); default the peer factory's. */
  createOffer?: OfferFactory;
}

const log = eventLogger<ProcessLogEvent>();

/** Starts the bridge on `config`, recording into `store` (shared with the functions in dev). */
export function startBridge(
  config: BridgeConfig,
  store: SessionRecorder | undefined,
  overrides: BridgeOverrides = {},
): RunningBridge {
  const { env } = config;
  // Before any peer; throws if werift is not the version the patches fit. See werift_patches.ts.
  log.info("BRIDGE_UDP_TRANSPORT", { kind: installWeriftPatches().udpTransport });
  const cpu = cpuSampler(() => process.cpuUsage());
  const graph = env.WHATSAPP_ACCESS_TOKEN
    ? new GraphClient({ baseUrl: env.WHATSAPP_GRAPH_URL, accessToken: env.WHATSAPP_ACCESS_TOKEN })
    : undefined;
  // A text RECORDING_ANNOUNCEMENT becomes the OpenAI agent's first words (announcement.ts).
  const createAgent = overrides.createAgent ?? createAgentFactory({
    ...config,
    instructions: instructionsWithAnnouncement(config.recording, config.instructions),
  });
  const recording = sessionRecording(config.recording, config.agent);
  const peers = createPeerFactory(config);
  const offers = new OutboundOffers(overrides.createOffer ?? peers.offer);
  const manager = new SessionManager({
    maxSessions: env.MAX_SESSIONS,
    maxCpuPercent: env.MAX_CPU_PERCENT,
    cpuPercent: cpu.read,
    onCallEnded: overrides.onCallEnded,
    deps: {
      // One TURN picker for every call; logs each call's TURN failure (peer_factory.ts).
      createPeer: overrides.createPeer ?? peers,
      createAgent,
      recorder: store,
      recording,
      forCall: overrides.agentSettings &&
        callSettingsResolver({
          config,
          source: overrides.agentSettings,
          defaultAgent: createAgent,
          customAgent: overrides.createAgent !== undefined,
          recording,
          maxCallMs: sessionLimits(env).maxCallMs,
        }),
      terminator: overrides.terminator ??
        (graph
          ? { terminate: (phoneNumberId, callId) => graph.terminate({ phoneNumberId, callId }) }
          : undefined),
      ...sessionLimits(env),
    },
  });
  const live = overrides.live &&
    startLive({
      bus: overrides.live,
      sessions: () => manager.list(),
      agent: config.agent,
      recorder: store,
    });
  const app = createApp({
    manager,
    secret: env.VOICE_BRIDGE_SECRET,
    cpuPercent: cpu.read,
    outbox: overrides.outbox,
    recordingRoutes: overrides.recordingRoutes,
    offers,
  });
  const server = Deno.serve(
    { hostname: env.BRIDGE_HOST, port: env.BRIDGE_PORT, onListen: () => {} },
    app.fetch,
  );
  const host = env.BRIDGE_HOST === "0.0.0.0" ? "127.0.0.1" : env.BRIDGE_HOST;
  log.info("VOICE_BRIDGE_LISTENING", {
    port: server.addr.port,
    agent: config.agent,
    maxSessions: env.MAX_SESSIONS,
  });
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host}:${server.addr.port}`,
    manager,
    close(drainMs = env.DRAIN_TIMEOUT_S * 1000) {
      closed ??= (async () => {
        await manager.drain(drainMs);
        await offers.closeAll();
        await live?.stop();
        cpu.stop();
        await server.shutdown();
      })();
      return closed;
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
  await configureLogging(config.env.LOG_LEVEL, config.env.LOG_FORMAT, configSecrets(config));
  // Before any call: the frame clock and V8's GC helpers; see realtime_priority.ts.
  if (config.env.MEDIA_REALTIME_PRIORITY > 0) {
    const rt = requestRealtimePriority(config.env.MEDIA_REALTIME_PRIORITY);
    if (rt.ok) log.info("BRIDGE_REALTIME_PRIORITY", { priority: rt.priority });
    else log.warn("BRIDGE_REALTIME_PRIORITY_UNAVAILABLE", { reason: rt.reason });
  }
  const store = await openStore(storeConfigFromEnv((n) => Deno.env.get(n)));
  // Writes the database could not take (the functions' and the calls'), kept here until it is back.
  const outbox = new FileOutbox(config.env.STORE_OUTBOX_PATH, DeferredWriteSchema);
  const flusher = new OutboxFlusher({
    drain: () => outbox.drain((write) => applyDeferredWrite(store, write)),
    onError: (error, retryInMs) =>
      log.warn("VOICE_BRIDGE_OUTBOX_RETRY", { error: String(error), retryInMs }),
  });
  const recorder = new DurableRecorder(() => Promise.resolve(store), outbox);
  // After each call: recording, figures, call.ended, analysis, call.analyzed. Uploads and
  // webhook deliveries an earlier process left pending go on.
  const records = await startCallRecords(config, store, Deno.env.toObject());
  const bridge = startBridge(config, recorder, {
    outbox,
    live: store,
    agentSettings: store,
    ...records.overrides,
  });
  // Here, not in startBridge: in-process bridges (dev, tests) must not probe public STUN servers.
  // In the background and bounded (3 s), so readiness never waits for it.
  void logNetworkSummary(config, installWeriftPatches().udpTransport, log);
  // The operator console in the same container when CONSOLE_PORT is set (console/server/run.ts).
  // Imported on demand: a bridge without it never loads the console.
  const consoleRun = Deno.env.get("CONSOLE_PORT")
    ? await import("../console/server/run.ts")
    : undefined;
  // Its "Talk to your agent" calls this bridge unless VOICE_BRIDGE_URL names another.
  const consoleServer = await consoleRun?.startConsoleFromEnv(
    store,
    (n) => Deno.env.get(n) ?? (n === "VOICE_BRIDGE_URL" ? bridge.url : undefined),
  );
  if (consoleRun && consoleServer) console.error(await consoleRun.consoleLine(consoleServer));
  const reconciler = startStaleCallReconciler({
    store,
    maxCallMs: sessionLimits(config.env).maxCallMs,
    scheduler: realScheduler,
  });
  // Campaigns and callbacks (DIALER=on): claims due recipients, places them through the functions.
  const dialer = startDialerFromEnv(Deno.env.toObject(), {
    store,
    hasCapacity: () => bridge.manager.refusal() === undefined,
  });
  let stopping: Promise<void> | undefined;
  const stop = async () => {
    try {
      reconciler.stop();
      // Before the drain: no new campaign call starts; the next dialer records those placed.
      if ("stop" in dialer) await dialer.stop();
      await bridge.close();
      // After the drain, so operators watch the last calls end.
      await consoleServer?.close();
      await records.stop();
      await flusher.close();
      await store.close();
      Deno.exit(0);
    } catch (error) {
      log.error("VOICE_BRIDGE_SHUTDOWN_FAILED", { error: String(error) });
      Deno.exit(1);
    }
  };
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    Deno.addSignalListener(signal, () => {
      log.info("VOICE_BRIDGE_SHUTDOWN", { signal, again: stopping !== undefined });
      // One drain: a repeated signal waits for the first instead of starting another.
      stopping ??= stop();
    });
  }
}
