/**
 * The werift connection behind a {@linkcode WhatsAppPeer}: the network
 * options the bridge config gives each call, and an `RTCPeerConnection` set up
 * for Meta's offer (its Opus and telephone-event payload types, no header
 * extensions, STUN only from `ICE_SERVERS`) with the call's TURN relay
 * already being allocated (`ice_gathering.ts`).
 *
 * @module
 */
import { RTCPeerConnection, RTCRtpCodecParameters } from "werift";
import type { WhatsAppOffer } from "../../lib/sdp/whatsapp.ts";
import { type IceServerEntry, IceServerPicker, parseIceServers } from "../network/ice_servers.ts";
import type { TurnTlsOptions } from "../network/turn_probe.ts";
import { RelayGathering } from "./ice_gathering.ts";

/** The payload types a connection is set up with: Meta's offer's, or those of our own offer. */
export type PeerCodecs = Pick<WhatsAppOffer, "opusPt" | "telephoneEventPt" | "opusFmtp">;

/** Network options for the peer, from the bridge config. */
export interface PeerNetworkOptions {
  /** Public IPv4 announced in place of private host addresses (1:1 NAT hosts). */
  publicIp?: string | undefined;
  /** UDP port range for ICE, e.g. `[40000, 40999]`. */
  portRange?: [number, number] | undefined;
  /**
   * STUN/TURN servers: the bridge's shared picker (which remembers failed
   * TURN servers across calls), or `ICE_SERVERS` entries for this call alone.
   */
  iceServers?: IceServerPicker | IceServerEntry[] | undefined;
  /**
   * Bound on STUN and TURN's part of gathering, counted from the offer's
   * arrival: the answer goes with what was gathered by then. @default 800
   */
  gatherTimeoutMs?: number | undefined;
  /** TLS settings for `turns:` servers (a private CA from `ICE_TURN_CA_FILE`). */
  turnTlsOptions?: TurnTlsOptions | undefined;
  /**
   * Check only pairs through the TURN relay (werift's `iceTransportPolicy:
   * "relay"`): tests prove a call connects through TURN alone. @default false
   */
  relayOnly?: boolean | undefined;
  /** Also gather on loopback (tests and local `deno task dev`). */
  includeLoopback?: boolean | undefined;
  /**
   * Check the offer's loopback, private and link-local candidates too
   * (development only; see `lib/sdp/candidate_filter.ts`). @default false
   */
  allowPrivateCandidates?: boolean | undefined;
  /** Gather IPv6 host candidates too. @default false */
  ipv6?: boolean | undefined;
}

/** `ICE_GATHER_TIMEOUT_MS`' default; `bridge/config.ts` says why 800 ms. */
export const DEFAULT_GATHER_TIMEOUT_MS = 800;

/**
 * A connection for `offer` and its relay allocation, started now so TURN runs
 * alongside werift's offer and answer work. STUN and TURN get
 * `gatherTimeoutMs` from this moment.
 */
export function openPeerConnection(
  offer: PeerCodecs,
  net: PeerNetworkOptions,
): { pc: RTCPeerConnection; relay: RelayGathering } {
  const picker = net.iceServers instanceof IceServerPicker
    ? net.iceServers
    : new IceServerPicker(parseIceServers(net.iceServers ?? []));
  const budgetMs = net.gatherTimeoutMs ?? DEFAULT_GATHER_TIMEOUT_MS;
  const pc = new RTCPeerConnection({
    codecs: { audio: offerCodecs(offer) },
    headerExtensions: { audio: [] },
    iceUseIpv6: net.ipv6 ?? false,
    ...(net.portRange ? { icePortRange: net.portRange } : {}),
    // werift gets STUN only: TURN is `relay`'s (see ice_gathering.ts). Seconds, fractions allowed.
    ...(picker.stun
      ? { iceServers: [{ urls: picker.stun.display }], iceStunGatherTimeout: budgetMs / 1000 }
      : { iceServers: [] }),
    ...(net.includeLoopback ? { iceAdditionalHostAddresses: ["127.0.0.1"] } : {}),
    ...(net.relayOnly ? { iceTransportPolicy: "relay" as const } : {}),
  });
  const relay = new RelayGathering({
    picker,
    budgetMs,
    tlsOptions: net.turnTlsOptions,
    portRange: net.portRange,
  });
  return { pc, relay };
}

/** Resolves once werift has gathered every candidate (the relay joined, within its budget). */
export function gatheringComplete(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const { unSubscribe } = pc.iceGatheringStateChange.subscribe((s) => {
      if (s === "complete") {
        unSubscribe();
        resolve();
      }
    });
  });
}

/**
 * Opens a connection ({@linkcode openPeerConnection}) and builds on it; when
 * `build` throws, the relay is abandoned and the connection closed before the
 * error goes on, so a failed answer or offer leaks no socket or allocation.
 */
export async function buildOnPeerConnection<T>(
  codecs: PeerCodecs,
  net: PeerNetworkOptions,
  build: (pc: RTCPeerConnection, relay: RelayGathering) => Promise<T>,
): Promise<T> {
  const { pc, relay } = openPeerConnection(codecs, net);
  try {
    return await build(pc, relay);
  } catch (error) {
    relay.abandon();
    await pc.close().catch(() => {});
    throw error;
  }
}

/** Our local description once every candidate is gathered (Meta does not trickle). */
export async function gatheredLocalSdp(
  pc: RTCPeerConnection,
  kind: "answer" | "offer",
): Promise<string> {
  await gatheringComplete(pc);
  const local = pc.localDescription?.sdp;
  if (!local) throw new Error(`werift produced no local ${kind}`);
  return local;
}

function offerCodecs(offer: PeerCodecs): RTCRtpCodecParameters[] {
  return [
    new RTCRtpCodecParameters({
      mimeType: "audio/opus",
      clockRate: 48000,
      channels: 2,
      payloadType: offer.opusPt,
      ...(offer.opusFmtp ? { parameters: offer.opusFmtp } : {}),
    }),
    new RTCRtpCodecParameters({
      mimeType: "audio/telephone-event",
      clockRate: 8000,
      channels: 1,
      payloadType: offer.telephoneEventPt,
    }),
  ];
}
