/**
 * A real bridge (`startBridge`) over a real store, its agent on the fake
 * OpenAI Realtime service, its media on {@linkcode FakePeer}s: what the
 * per-number agent settings tests place calls through. Calls are driven
 * through the bridge's HTTP API, as the Edge Function drives them.
 *
 * @module
 */
import { loadConfig } from "../../bridge/config.ts";
import { type RunningBridge, startBridge } from "../../bridge/main.ts";
import type { AgentSettingsSource } from "../../bridge/agent_settings/call_settings.ts";
import { realScheduler } from "../../bridge/media/frame_clock.ts";
import type { SessionRecorder } from "../../bridge/session/session_deps.ts";
import { BridgeClient } from "../../lib/bridge_api/client.ts";
import { type FakeRealtimeOptions, FakeRealtimeServer } from "../fakes/openai_realtime.ts";
import { FakePeer, META_OFFER } from "./session_fakes.ts";

const SECRET = "settings-bridge-secret-0123456789";

/** Options of {@linkcode startSettingsBridge}. */
export interface SettingsBridgeOptions {
  /** Where calls are recorded (the store, usually). */
  recorder?: SessionRecorder | undefined;
  /** Where each call's settings are read from. */
  agentSettings?: AgentSettingsSource | undefined;
  /** Extra bridge variables (e.g. `AGENT: "echo"`). */
  env?: Record<string, string>;
  fake?: FakeRealtimeOptions;
}

/** A placed call. */
export interface PlacedCall {
  sessionId: string;
  peer: FakePeer;
}

/** A running bridge with its fake OpenAI. */
export interface SettingsBridge {
  bridge: RunningBridge;
  client: BridgeClient;
  fake: FakeRealtimeServer;
  /** Creates, accepts and connects a call to `phoneNumberId`. */
  call(callId: string, phoneNumberId: string): Promise<PlacedCall>;
  close(): Promise<void>;
}

/** Starts the bridge; close it with {@linkcode SettingsBridge.close}. */
export function startSettingsBridge(options: SettingsBridgeOptions = {}): SettingsBridge {
  const fake = FakeRealtimeServer.start({ apiKey: "sk-settings", ...options.fake });
  const peers: FakePeer[] = [];
  const bridge = startBridge(
    loadConfig({
      VOICE_BRIDGE_SECRET: SECRET,
      AGENT: "openai",
      OPENAI_API_KEY: fake.apiKey,
      OPENAI_REALTIME_URL: fake.url,
      BRIDGE_HOST: "127.0.0.1",
      BRIDGE_PORT: "0",
      MAX_CPU_PERCENT: "0",
      LOG_LEVEL: "error",
      ...options.env,
    }),
    options.recorder,
    {
      createPeer: () => {
        const peer = new FakePeer(realScheduler);
        peers.push(peer);
        return Promise.resolve(peer);
      },
      ...(options.agentSettings ? { agentSettings: options.agentSettings } : {}),
    },
  );
  const client = new BridgeClient({ baseUrl: bridge.url, secret: SECRET, timeoutMs: 10_000 });
  return {
    bridge,
    client,
    fake,
    async call(callId, phoneNumberId) {
      const { sessionId } = await client.createSession({
        callId,
        phoneNumberId,
        from: "+16315553602",
        to: "+16315553601",
        sdp: META_OFFER,
      });
      const peer = peers.at(-1)!;
      await client.acceptSession(sessionId);
      peer.connect();
      return { sessionId, peer };
    },
    async close() {
      await bridge.close(0);
      await fake.close();
    },
  };
}
