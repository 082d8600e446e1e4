/**
 * How the bridge makes each call's {@linkcode WhatsAppPeer} from its
 * configuration: one {@linkcode IceServerPicker} shared by every call (so a
 * TURN server that failed a call is tried last by the next), the gathering
 * budget, the TLS trust for `turns:`, and one log line per call about TURN.
 *
 * TURN servers held failed are probed again in the background (at most one
 * probe per server per {@linkcode TURN_RETRY_MS}, each bounded), on the
 * calls' own initiative: no timer outlives a call, and a server that
 * recovers is first in line again.
 *
 * @module
 */
import type { WhatsAppOffer } from "../../lib/sdp/whatsapp.ts";
import type { BridgeConfig } from "../config.ts";
import { callLogger, eventLogger, type ProcessLogEvent } from "../log.ts";
import { IceServerPicker, parseIceServers, type TurnServer } from "../network/ice_servers.ts";
import { probeTurn, type TurnTlsOptions } from "../network/turn_probe.ts";
import { logRelayOutcome } from "./ice_gathering.ts";
import { WhatsAppPeer } from "./whatsapp_peer.ts";

/** How long a TURN server held failed waits before a background probe asks it again. */
export const TURN_RETRY_MS = 30_000;

/** Bound on one background probe: off the answer's path, so it can be generous. */
const PROBE_TIMEOUT_MS = 3_000;

/** Makes a call's peer; `callId` names the call in its log lines. */
export type PeerFactory = (
  offer: WhatsAppOffer,
  sdp: string,
  callId?: string,
) => Promise<WhatsAppPeer>;

/**
 * TLS options for `turns:` from `ICE_TURN_CA_FILE` (a PEM bundle trusted in
 * place of the system roots; Deno's `node:tls` honours `ca`). Throws naming
 * the variable when the file cannot be read.
 */
export function turnTlsOptions(
  caFile: string | undefined,
  readFile: (path: string) => string = Deno.readTextFileSync,
): TurnTlsOptions | undefined {
  if (!caFile) return undefined;
  try {
    return { ca: readFile(caFile) };
  } catch (error) {
    throw new Error(`ICE_TURN_CA_FILE: cannot read ${caFile}: ${(error as Error).message}`);
  }
}

/**
 * The bridge's `createPeer`, with its shared picker (exposed for tests and the
 * start-up line) and `offer`, which makes the offering peer of a
 * business-initiated call on the same network settings.
 */
export function createPeerFactory(
  config: Pick<BridgeConfig, "env" | "iceServers" | "portRange">,
  options: { tlsOptions?: TurnTlsOptions | undefined; now?: () => number } = {},
): PeerFactory & { picker: IceServerPicker; offer: () => Promise<WhatsAppPeer> } {
  const { env } = config;
  const now = options.now ?? Date.now;
  const picker = new IceServerPicker(parseIceServers(config.iceServers), now);
  const tlsOptions = options.tlsOptions ?? turnTlsOptions(env.ICE_TURN_CA_FILE);
  const retry = new RecoveryProbes(picker, tlsOptions, now);
  const net = {
    publicIp: env.PUBLIC_IP,
    portRange: config.portRange,
    iceServers: picker,
    gatherTimeoutMs: env.ICE_GATHER_TIMEOUT_MS,
    turnTlsOptions: tlsOptions,
    includeLoopback: env.ICE_INCLUDE_LOOPBACK,
    allowPrivateCandidates: env.ICE_ALLOW_PRIVATE_CANDIDATES,
  };
  const offer = async () => {
    const peer = await WhatsAppPeer.offer(net);
    logRelayOutcome(callLogger<ProcessLogEvent>("outbound", "webrtc"), peer.relayOutcome);
    retry.run();
    return peer;
  };
  const factory = async (offer: WhatsAppOffer, sdp: string, callId = "unknown") => {
    const peer = await WhatsAppPeer.answer(sdp, offer, net);
    const log = callLogger<ProcessLogEvent>(callId, "webrtc");
    logRelayOutcome(log, peer.relayOutcome);
    retry.run();
    if (peer.droppedCandidates.length > 0) {
      log.warn("WEBRTC_OFFER_CANDIDATES_DROPPED", {
        scopes: peer.droppedCandidates.map((d) => d.scope),
      });
    }
    return peer;
  };
  return Object.assign(factory, { picker, offer });
}

/** Background probes of failed TURN servers, started by calls, one in flight per server. */
class RecoveryProbes {
  #lastTried = new Map<TurnServer, number>();
  #inFlight = new Set<TurnServer>();
  #log = eventLogger<ProcessLogEvent>("webrtc");

  constructor(
    readonly picker: IceServerPicker,
    readonly tlsOptions: TurnTlsOptions | undefined,
    readonly now: () => number,
  ) {}

  /** Probes each server failed for over {@linkcode TURN_RETRY_MS} and not probed as long. */
  run(): void {
    for (const server of this.picker.turn) {
      const failure = this.picker.failure(server);
      if (!failure || this.#inFlight.has(server)) continue;
      const since = Math.max(failure.at, this.#lastTried.get(server) ?? 0);
      if (this.now() - since < TURN_RETRY_MS) continue;
      this.#probe(server);
    }
  }

  #probe(server: TurnServer): void {
    this.#inFlight.add(server);
    this.#lastTried.set(server, this.now());
    void probeTurn(server, { timeoutMs: PROBE_TIMEOUT_MS, tlsOptions: this.tlsOptions })
      .then((result) => {
        if (result.ok && this.picker.markUsable(server)) {
          this.#log.info("BRIDGE_TURN_SERVER_RECOVERED", { server: result.url, ms: result.ms });
        }
      })
      .finally(() => this.#inFlight.delete(server));
  }
}
