/**
 * The one `BRIDGE_NETWORK` line the bridge logs after it starts listening:
 * the UDP transport, this host's addresses, `PUBLIC_IP`, what STUN sees and
 * the NAT's mapping (or `unreachable`), and which TURN servers allocate. It
 * runs in the background within a time bound, so readiness never waits for
 * it, and holds no credentials (TURN servers appear as display URLs).
 *
 * @module
 */
import type { BridgeConfig } from "../config.ts";
import type { EventLogger } from "../log.ts";
import { type IceServer, parseIceServers, type TurnServer } from "./ice_servers.ts";
import { interfaceAddresses, type NatMapping, probeNatMapping } from "./nat_mapping.ts";
import { parseStunServers, type StunResult, type StunServer } from "./stun_probe.ts";
import { probeTurn, type TurnProbeResult, type TurnTlsOptions } from "./turn_probe.ts";

/** What the line says. */
export interface NetworkSummary {
  /** The UDP socket implementation the peers use (`BRIDGE_UDP_TRANSPORT`). */
  transport: string;
  /** This host's IPv4 addresses other than loopback. */
  localAddresses: string[];
  publicIp: string | null;
  /** `ip:port` the first answering STUN server saw, or `unreachable`. */
  stun: string;
  /** Which server saw it, or each server's failure. */
  stunDetail: string;
  natMapping: NatMapping;
  /** Whether `PUBLIC_IP` is what STUN sees; null when either is unknown. */
  publicIpMatchesStun: boolean | null;
  /** TURN servers that allocated, as display URLs. */
  turnUsable: string[];
  /** TURN servers that did not, with the cause. */
  turnFailed: { url: string; transport: string; cause: string }[];
  ms: number;
}

/** What the summary is built from; the probes are injectable. */
export interface SummaryInputs {
  transport: string;
  publicIp: string | undefined;
  stunServers: readonly StunServer[];
  iceServers: readonly IceServer[];
  /** Bound of every probe (they run at once). */
  timeoutMs: number;
  probeTurn: (
    server: TurnServer,
    options: { timeoutMs: number; tlsOptions?: TurnTlsOptions | undefined },
  ) => Promise<TurnProbeResult>;
  tlsOptions?: TurnTlsOptions | undefined;
  localAddresses?: readonly string[];
}

/** Probes STUN (two servers, one socket) and every TURN URL at once, within `timeoutMs`. */
export async function summarizeNetwork(inputs: SummaryInputs): Promise<NetworkSummary> {
  const started = performance.now();
  const local = inputs.localAddresses ?? interfaceAddresses();
  const turn = inputs.iceServers.filter((s): s is TurnServer => s.kind === "turn");
  const [nat, turnResults] = await Promise.all([
    inputs.stunServers.length > 0
      ? probeNatMapping(inputs.stunServers, { timeoutMs: inputs.timeoutMs, localAddresses: local })
      : Promise.resolve({ mapping: "unknown" as const, reason: "no STUN_SERVERS", results: [] }),
    Promise.all(
      turn.map((s) =>
        inputs.probeTurn(s, { timeoutMs: inputs.timeoutMs, tlsOptions: inputs.tlsOptions })
      ),
    ),
  ]);
  const seen = nat.results.find((r): r is StunResult & { ok: true } => r.ok);
  return {
    transport: inputs.transport,
    localAddresses: local.filter((a) => !a.startsWith("127.")),
    publicIp: inputs.publicIp ?? null,
    stun: seen ? `${seen.mapped.host}:${seen.mapped.port}` : "unreachable",
    stunDetail: seen
      ? `via ${seen.server}`
      : nat.results.map((r) => `${r.server}: ${r.ok ? "ok" : r.cause}`).join(", ") || nat.reason,
    natMapping: nat.mapping,
    publicIpMatchesStun: seen && inputs.publicIp ? seen.mapped.host === inputs.publicIp : null,
    turnUsable: turnResults.filter((r) => r.ok).map((r) => r.url),
    turnFailed: turnResults.flatMap((r) =>
      r.ok ? [] : [{ url: r.url, transport: r.transport, cause: r.cause }]
    ),
    ms: Math.round(performance.now() - started),
  };
}

/** Whether the summary shows something an operator must look at (logged as a warning). */
export function summaryNeedsAttention(s: NetworkSummary): boolean {
  // A symmetric NAT is not on the list: Meta answers whatever port our checks come from.
  return s.stun === "unreachable" || s.publicIpMatchesStun === false || s.turnFailed.length > 0;
}

/** The start-up line's bound: STUN and TURN probes run at once within it. */
export const SUMMARY_TIMEOUT_MS = 3000;

/**
 * Logs `BRIDGE_NETWORK` once (a warning when {@linkcode summaryNeedsAttention}),
 * from the bridge's configuration. Never throws: a failure to summarise is
 * itself logged. Call it without awaiting, after the server listens.
 */
export async function logNetworkSummary(
  config: BridgeConfig,
  transport: string,
  log: EventLogger<"BRIDGE_NETWORK">,
  overrides: Partial<SummaryInputs> = {},
): Promise<NetworkSummary | undefined> {
  try {
    const ca = config.env.ICE_TURN_CA_FILE;
    const summary = await summarizeNetwork({
      transport,
      publicIp: config.env.PUBLIC_IP,
      stunServers: parseStunServers(config.env.STUN_SERVERS),
      iceServers: parseIceServers(config.iceServers),
      timeoutMs: SUMMARY_TIMEOUT_MS,
      probeTurn,
      tlsOptions: ca ? { ca: await Deno.readTextFile(ca) } : undefined,
      ...overrides,
    });
    const props = { ...summary } as unknown as Record<string, unknown>;
    if (summaryNeedsAttention(summary)) log.warn("BRIDGE_NETWORK", props);
    else log.info("BRIDGE_NETWORK", props);
    return summary;
  } catch (error) {
    log.warn("BRIDGE_NETWORK", { error: error instanceof Error ? error.message : String(error) });
    return undefined;
  }
}
