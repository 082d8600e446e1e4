/**
 * A bridge in the test's own process, on loopback, with the client the Edge
 * Function uses to reach it.
 *
 * @module
 */
import { loadConfig } from "../../bridge/config.ts";
import { type BridgeOverrides, type RunningBridge, startBridge } from "../../bridge/main.ts";
import { BridgeClient } from "../../lib/bridge_api/client.ts";

/** The bridge secret of every test bridge. */
export const TEST_BRIDGE_SECRET = "test-bridge-secret-0123456789";

/** A running test bridge and a client for its HTTP API. */
export interface TestBridge {
  bridge: RunningBridge;
  client: BridgeClient;
}

/** Starts a bridge with test defaults, overridden by `env`; no call store. */
export function startTestBridge(
  env: Record<string, string> = {},
  overrides: BridgeOverrides = {},
): TestBridge {
  const config = loadConfig({
    VOICE_BRIDGE_SECRET: TEST_BRIDGE_SECRET,
    // Tests share one process across workers: its CPU says nothing about this bridge.
    MAX_CPU_PERCENT: "0",
    BRIDGE_HOST: "127.0.0.1",
    BRIDGE_PORT: "0",
    ICE_INCLUDE_LOOPBACK: "true",
    ICE_ALLOW_PRIVATE_CANDIDATES: "true",
    LOG_LEVEL: "error",
    ...env,
  });
  const bridge = startBridge(config, undefined, overrides);
  return {
    bridge,
    client: new BridgeClient({
      baseUrl: bridge.url,
      secret: TEST_BRIDGE_SECRET,
      timeoutMs: 10_000,
    }),
  };
}
