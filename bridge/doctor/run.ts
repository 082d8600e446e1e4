/**
 * Runs the doctor's checks against an environment: the bridge's
 * configuration (`loadConfig`), the network (STUN, NAT mapping,
 * `PUBLIC_IP`), TURN, the RTP ports, OpenAI, Graph, the database and the
 * shared secret. The slow ones run at the same time, each bounded. `quick`
 * (`deno task dev --quick`) keeps the local checks and STUN with a 1 s
 * budget, and lists the rest as skipped.
 *
 * @module
 */
import type { WebSocketFactory } from "../agents/realtime_connection.ts";
import { type BridgeConfig, loadConfig, readTextFileIfExists } from "../config.ts";
import { type IceServer, parseIceServers } from "../network/ice_servers.ts";
import { interfaceAddresses, probeNatMapping } from "../network/nat_mapping.ts";
import { formatServer, parseStunServers, type StunServer } from "../network/stun_probe.ts";
import { probeTurn, type TurnTlsOptions } from "../network/turn_probe.ts";
import { storeConfigFromEnv } from "../../store/open.ts";
import { type CheckRow, fail, ok, skip } from "./check.ts";
import { checkGraph } from "./graph.ts";
import { networkRows } from "./network.ts";
import { checkOpenAi } from "./openai.ts";
import { checkPorts } from "./ports.ts";
import { bridgeAcceptsRow, secretAgreementRow } from "./secrets.ts";
import { checkStore } from "./store.ts";
import { checkTurn, type TurnProber } from "./turn.ts";

/** Per-check time bounds, ms. */
export interface DoctorTimeouts {
  stun: number;
  turn: number;
  openai: number;
  graph: number;
  store: number;
  bridge: number;
}

/** The full run's bounds. */
export const FULL_TIMEOUTS: DoctorTimeouts = {
  stun: 3000,
  turn: 5000,
  openai: 8000,
  graph: 8000,
  store: 8000,
  bridge: 3000,
};

/** `--quick`: STUN gets 1 s; the slow remote checks do not run. */
export const QUICK_TIMEOUTS: DoctorTimeouts = { ...FULL_TIMEOUTS, stun: 1000 };

/** What a run needs; the probes are injectable for tests. */
export interface DoctorOptions {
  /** The bridge host's environment. */
  vars: Record<string, string | undefined>;
  /** The functions' variables from `--functions-env`; absent: `vars`. */
  functionsVars?: Record<string, string | undefined> | undefined;
  quick?: boolean;
  timeouts?: Partial<DoctorTimeouts>;
  /** Replaces the database row (the dev stack holds PGlite's directory). */
  storeRow?: CheckRow | undefined;
  turnProbe?: TurnProber;
  turnTlsOptions?: TurnTlsOptions | undefined;
  webSocketFactory?: WebSocketFactory;
  fetch?: typeof fetch;
  /** This host's IPv4 addresses; default its interfaces'. */
  localAddresses?: readonly string[];
}

/** Used only to load the rest of a configuration whose secret is missing; never sent anywhere. */
const STAND_IN = "doctor-stand-in-secret";

const QUICK_SKIP = "not run with --quick (run `deno task doctor`)";

/** Every row, in table order. */
export async function runDoctor(options: DoctorOptions): Promise<CheckRow[]> {
  const quick = options.quick ?? false;
  const t = { ...(quick ? QUICK_TIMEOUTS : FULL_TIMEOUTS), ...options.timeouts };
  const vars = options.vars;
  const localAddresses = options.localAddresses ?? interfaceAddresses();
  const { row: configRow, config } = configCheck(vars);
  const ice = iceCheck(config);
  const stun = stunCheck(vars.STUN_SERVERS);

  const network = stun.servers
    ? probeNatMapping(stun.servers, { timeoutMs: t.stun, localAddresses }).then((probe) =>
      networkRows({
        servers: stun.servers!.map(formatServer),
        probe,
        publicIp: vars.PUBLIC_IP || undefined,
        localAddresses,
      })
    )
    : Promise.resolve([stun.row!]);
  const turn = quick
    ? Promise.resolve([skip("turn", "TURN servers", QUICK_SKIP)])
    : ice.servers
    ? checkTurn(ice.servers, {
      timeoutMs: t.turn,
      tlsOptions: options.turnTlsOptions,
      probe: options.turnProbe ?? probeTurn,
    })
    : Promise.resolve([ice.row!]);
  const openai = quick || !config
    ? Promise.resolve(
      skip("openai", "Realtime handshake", quick ? QUICK_SKIP : "configuration invalid"),
    )
    : checkOpenAi({
      agent: config.agent,
      apiKey: config.env.OPENAI_API_KEY,
      url: config.env.OPENAI_REALTIME_URL,
      model: config.env.OPENAI_REALTIME_MODEL,
    }, {
      timeoutMs: t.openai,
      ...(options.webSocketFactory ? { webSocketFactory: options.webSocketFactory } : {}),
    });
  const graph = quick ? Promise.resolve(skip("graph", "token", QUICK_SKIP)) : checkGraph({
    graphUrl: config?.env.WHATSAPP_GRAPH_URL ?? vars.WHATSAPP_GRAPH_URL ??
      "https://graph.facebook.com/v23.0",
    token: vars.WHATSAPP_ACCESS_TOKEN || undefined,
    phoneNumberId: vars.WHATSAPP_PHONE_NUMBER_ID || undefined,
  }, { timeoutMs: t.graph, ...(options.fetch ? { fetch: options.fetch } : {}) });
  const store = options.storeRow ? Promise.resolve(options.storeRow) : storeCheck(vars, t.store);
  const secretFacts = {
    bridgeSecret: vars.VOICE_BRIDGE_SECRET || undefined,
    functions: options.functionsVars
      ? { vars: options.functionsVars, source: "file" as const }
      : { vars, source: "environment" as const },
  };
  const secrets = Promise.all([
    secretAgreementRow(secretFacts),
    bridgeAcceptsRow(secretFacts, {
      timeoutMs: t.bridge,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    }),
  ]);
  const ports = config
    ? checkPorts({
      range: config.portRange,
      maxSessions: config.env.MAX_SESSIONS,
      socketsPerCall: socketsPerCall(config, ice.servers ?? [], localAddresses),
    })
    : skip("ports", "RTP port range", "configuration invalid");

  return [
    configRow,
    ...await network,
    ...await turn,
    ports,
    await openai,
    await graph,
    await store,
    ...await secrets,
  ];
}

function configCheck(
  vars: Record<string, string | undefined>,
): { row: CheckRow; config: BridgeConfig | undefined } {
  const name = "bridge configuration";
  try {
    const config = loadConfig(vars, readTextFileIfExists);
    return { row: ok("config", name, `valid; agent ${config.agent}`), config };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const problems = message.split("\n").slice(1).map((l) => l.trim()).join("; ");
    const row = fail(
      "config",
      name,
      problems || message,
      "set the variables named (see the README's Configuration)",
    );
    // A missing or short secret should not hide the other checks: they run on a stand-in.
    try {
      return {
        row,
        config: loadConfig({ ...vars, VOICE_BRIDGE_SECRET: STAND_IN }, readTextFileIfExists),
      };
    } catch {
      return { row, config: undefined };
    }
  }
}

function iceCheck(
  config: BridgeConfig | undefined,
): { servers?: IceServer[]; row?: CheckRow } {
  if (!config) return { row: skip("turn", "TURN servers", "configuration invalid") };
  try {
    return { servers: parseIceServers(config.iceServers) };
  } catch (error) {
    return {
      row: fail(
        "turn",
        "ICE_SERVERS",
        error instanceof Error ? error.message : String(error),
        "fix the entry: stun:/turn:/turns: host[:port][?transport=udp|tcp], TURN with username and credential",
      ),
    };
  }
}

function stunCheck(text: string | undefined): { servers?: StunServer[]; row?: CheckRow } {
  try {
    return { servers: parseStunServers(text) };
  } catch (error) {
    return {
      row: fail(
        "network",
        "STUN_SERVERS",
        error instanceof Error ? error.message : String(error),
        "list STUN servers as host:port, comma-separated",
      ),
    };
  }
}

async function storeCheck(vars: Record<string, string | undefined>, timeoutMs: number) {
  try {
    return await checkStore({ config: storeConfigFromEnv((n) => vars[n]), timeoutMs });
  } catch (error) {
    return fail("store", "database", String(error), "fix STORE_MIGRATE / DATABASE_URL");
  }
}

/** Sockets one call binds in the range: one per gathered host address, plus a TURN relay. */
function socketsPerCall(
  config: BridgeConfig,
  servers: readonly IceServer[],
  localAddresses: readonly string[],
): number {
  const hosts = localAddresses.filter((a) => !a.startsWith("127.")).length +
    (config.env.ICE_INCLUDE_LOOPBACK ? 1 : 0);
  const relay = servers.some((s) => s.kind === "turn") ? 1 : 0;
  return Math.max(1, hosts + relay);
}
