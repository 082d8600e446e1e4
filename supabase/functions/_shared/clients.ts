/**
 * The Graph and bridge clients a function builds from its environment when
 * its deps (tests) do not hand them in; shared so every function names the
 * same variables and passes the same `fetch`.
 *
 * @module
 */

import { BridgeClient } from "../../../lib/bridge_api/client.ts";
import { GraphClient } from "../../../lib/whatsapp/graph.ts";
import type { EnvName, FunctionsEnv } from "./env.ts";

/** The clients a function may be handed instead of building them. */
export interface ClientDeps {
  /** Default from `WHATSAPP_GRAPH_URL` and `WHATSAPP_ACCESS_TOKEN`. */
  graph?: GraphClient;
  /** Default from `VOICE_BRIDGE_URL` and `VOICE_BRIDGE_SECRET`. */
  bridge?: BridgeClient;
  /** Used by the clients built from the environment. */
  fetch?: typeof fetch;
}

/** The variables the clients missing from `deps` need. */
export function clientEnvNeeded(deps: ClientDeps): EnvName[] {
  return [
    ...(deps.graph === undefined ? ["WHATSAPP_ACCESS_TOKEN"] as const : []),
    ...(deps.bridge === undefined ? ["VOICE_BRIDGE_URL", "VOICE_BRIDGE_SECRET"] as const : []),
  ];
}

/**
 * `deps`' clients, the missing ones built from `env`, which must hold what
 * {@link clientEnvNeeded} named (checked with `requireEnv` first).
 */
export function buildClients(
  deps: ClientDeps,
  env: FunctionsEnv,
): { graph: GraphClient; bridge: BridgeClient } {
  const fetchOpt = deps.fetch === undefined ? {} : { fetch: deps.fetch };
  return {
    graph: deps.graph ?? new GraphClient({
      baseUrl: env.WHATSAPP_GRAPH_URL,
      accessToken: env.WHATSAPP_ACCESS_TOKEN!,
      ...fetchOpt,
    }),
    bridge: deps.bridge ?? new BridgeClient({
      baseUrl: env.VOICE_BRIDGE_URL!,
      secret: env.VOICE_BRIDGE_SECRET!,
      ...fetchOpt,
    }),
  };
}
