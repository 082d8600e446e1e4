/**
 * RTP of a connected call goes straight between the nominated ICE pair and
 * `lib/srtp`, around werift's general-purpose media stack.
 *
 * Why: the general path costs a lot per packet. Sending goes through three
 * async functions (DTLS transport, ICE connection, UDP protocol) and werift's
 * SRTP session bookkeeping. Receiving parses the header twice, routes by
 * SSRC, clones the packet, lowercases codec names and starts an RTCP task.
 * For a mono audio call with one SSRC each way and no header extensions, none
 * of that is needed. The bench measured the bridge's CPU per call falling by
 * about a fifth without it.
 *
 * What stays werift's:
 * - STUN, DTLS and RTCP, in both directions (inbound RTCP once it has
 *   passed the source check below).
 * - RTP with CSRCs or a header extension, which we never negotiate.
 * - Any packet when the negotiated SRTP profile has no `FastSrtpCipher`.
 *
 * werift's counters stay true, because its RTCP reports are built from them:
 * the receiver's per-SSRC statistics (for receiver reports), and the
 * transport's and ICE pair's packet counts.
 *
 * What it adds, that werift lacks (each counted, for `GET /sessions/:id`):
 * - **Source check.** werift's ICE hands on every non-STUN datagram of any
 *   sender on any of the call's sockets. Once SRTP runs, media (RTP and
 *   RTCP) is kept only if it came from the remote address and port of the
 *   nominated pair, on that pair's socket, while werift deems the pair
 *   consented (RFC 7675); the rest is dropped before any crypto. The sender
 *   comes from our UDP transports (`receivingFrom`), as werift drops it.
 *   On a relayed (TURN) pair the relay's permission limits the peers that
 *   can reach the allocation; here the datagram must only not have come in
 *   on one of the call's host sockets.
 * - **Replay protection** (RFC 3711 §3.3.2) through the cipher's
 *   `SrtpReceiveState` (see `werift_srtp_fix.ts`), checked before
 *   authentication and updated after it.
 * - **No state before authentication.** An SSRC gets a rollover counter
 *   and a replay window only once one of its packets has authenticated;
 *   werift's receiver statistics are fed only with such packets too.
 *
 * `installMediaFastPath()` makes every werift DTLS transport hand its media
 * datagrams to the {@linkcode MediaFastPath} made for it, if any.
 *
 * Upstream fix: a werift hook to take a DTLS transport's SRTP datagrams
 * before its own RTP handling, and a cheaper send path in `RTCRtpSender`;
 * with those, `startSrtp` needs no wrapping.
 *
 * @module
 */
import type { Buffer } from "node:buffer";
import { RTCDtlsTransport, type RTCRtpReceiver } from "werift";
import { RolloverCounter } from "../../lib/srtp/rollover_counter.ts";
import type { Address } from "./deno_udp_transport.ts";
import { FastSrtpCipher, srtpReplays } from "./werift_srtp_fix.ts";
import type {
  CandidatePairInternals,
  RTCDtlsTransportInternals,
  RTCRtpReceiverInternals,
  RtpStatsPacket,
} from "./werift_internals.ts";

/** A decrypted RTP packet as the media path needs it. */
export interface RtpIn {
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  marker: boolean;
  ssrc: number;
  payload: Uint8Array;
}

/** Fixed RTP header length (RFC 3550 §5.1). */
const HEADER_BYTES = 12;

/** Each DTLS transport's fast path; the hook returns false to leave a packet to werift. */
const hooks = new WeakMap<object, (data: Buffer) => boolean>();

/** True for SRTP and SRTCP, as werift's `isMedia`: first byte 128–191 (RFC 7983). */
export function isMedia(data: Uint8Array): boolean {
  const b0 = data[0]!;
  return b0 > 127 && b0 < 192;
}

/**
 * True when `a` and `b` name the same IP address: equal strings, or IPv6
 * literals that differ only in spelling (case, zero compression), as an SDP
 * candidate and a socket's sender may.
 */
function sameIpAddress(a: string, b: string): boolean {
  return a === b || (a.includes(":") && b.includes(":") && canonicalIpv6(a) === canonicalIpv6(b));
}

function canonicalIpv6(host: string): string {
  try {
    return new URL(`http://[${host.replace(/^\[|\]$/g, "")}]/`).hostname;
  } catch {
    return host; // not an IPv6 literal (a zone id, say): only the exact string matches
  }
}

/**
 * True for what werift's DTLS transport treats as RTP (its `isMedia` and not
 * its `isRtcp`): first byte 128–191, second byte outside 192–208.
 */
export function isRtp(data: Uint8Array): boolean {
  if (data.length < 2) return false;
  const b0 = data[0]!;
  const b1 = data[1]!;
  return b0 > 127 && b0 < 192 && (b1 < 192 || b1 > 208);
}

/** RTP of one connected werift peer, in and out; see the module doc. */
export class MediaFastPath {
  /** RTP packets that failed SRTP authentication (dropped, as werift drops them). */
  authFailures = 0;
  /**
   * Media datagrams dropped, before any crypto, for not coming from the
   * nominated, consented pair's remote address (see the module doc).
   */
  foreignSourceDrops = 0;
  /** RTP packets sent and received by the fast path. */
  packetsSent = 0;
  packetsReceived = 0;
  readonly #dtls: RTCDtlsTransportInternals;
  readonly #receiver: RTCRtpReceiverInternals;
  readonly #deliver: (packet: RtpIn) => void;
  readonly #sendRoc = new RolloverCounter();
  // The last sender found to be the nominated pair's remote: our transports keep one object per sender.
  #trustedPair: CandidatePairInternals | undefined;
  #trustedFrom: Address | undefined;
  // werift's statistics keep nothing of a packet, so one object serves them all.
  readonly #lite: RtpStatsPacket = {
    header: { ssrc: 0, payloadType: 0, sequenceNumber: 0, timestamp: 0, serializeSize: 12 },
    payload: new Uint8Array(0),
  };

  /**
   * Takes over the RTP of `dtlsTransport` (werift's `RTCDtlsTransport` of the
   * call) as soon as SRTP starts, handing each decrypted packet to `deliver`;
   * `receiver` is the transceiver's `RTCRtpReceiver`, whose statistics it keeps.
   */
  constructor(
    dtlsTransport: RTCDtlsTransport,
    receiver: RTCRtpReceiver,
    deliver: (packet: RtpIn) => void,
  ) {
    this.#dtls = dtlsTransport as unknown as RTCDtlsTransportInternals;
    this.#receiver = receiver as unknown as RTCRtpReceiverInternals;
    this.#deliver = deliver;
    hooks.set(this.#dtls, (data) => this.#take(data));
  }

  /** Inbound SRTP and SRTCP packets dropped as replays or too old for the replay window. */
  get replays(): number {
    return srtpReplays(this.#dtls);
  }

  /**
   * Protects and sends one RTP packet whose fixed 12-byte header is `header`
   * on the nominated pair. Returns false, having sent nothing, when there is
   * no fast cipher or no usable pair yet; the caller then takes werift's path.
   */
  send(header: Uint8Array, payload: Uint8Array): boolean {
    const cipher = this.#dtls.srtp?.localContext.cipher;
    const { connection } = this.#dtls.iceTransport;
    const pair = connection.nominated;
    if (
      !(cipher instanceof FastSrtpCipher) || !pair ||
      connection.state === "closed" || connection.state === "failed"
    ) {
      return false;
    }
    const seq = (header[2]! << 8) | header[3]!;
    const roc = this.#sendRoc.estimate(seq);
    this.#sendRoc.update(seq, roc);
    const packet = cipher.transform.protectRtp(header, payload, roc);
    const { protocol, remoteAddr } = pair;
    // A relayed pair wraps each packet for TURN; only a host pair's socket takes it as is.
    if (protocol.type === "stun") {
      void protocol.transport.send(packet, remoteAddr);
    } else {
      protocol.sendData(packet, remoteAddr).catch(() => {});
    }
    this.packetsSent++;
    this.#dtls.packetsSent++;
    this.#dtls.bytesSent += packet.length;
    pair.packetsSent++;
    pair.bytesSent += packet.length;
    return true;
  }

  /** Stops taking packets; werift's path gets any that still arrive. */
  close(): void {
    hooks.delete(this.#dtls);
  }

  /** Whether the path used or dropped `data`, which werift must then not see. */
  #take(data: Buffer): boolean {
    if (!isMedia(data)) return false;
    if (!this.#fromNominatedPair()) {
      this.foreignSourceDrops++;
      return true;
    }
    return isRtp(data) && this.#receive(data);
  }

  /** Whether the datagram being handled came from the nominated, consented pair's remote. */
  #fromNominatedPair(): boolean {
    const { connection } = this.#dtls.iceTransport;
    const pair = connection.nominated;
    if (!pair || !connection.canSendApplicationData()) return false;
    const { protocol } = pair;
    if (protocol.type !== "stun") {
      // Relayed (TURN) or TCP: the relay's permission picks the peer; refuse what a host socket got.
      return !connection.protocols.some((p) =>
        p.type === "stun" && p.transport.receivingFrom !== undefined
      );
    }
    const from = protocol.transport.receivingFrom;
    if (from === undefined) return false;
    if (from === this.#trustedFrom && pair === this.#trustedPair) return true;
    const remote = pair.remoteCandidate;
    if (from[1] !== remote.port || !sameIpAddress(from[0], remote.host)) return false;
    this.#trustedPair = pair;
    this.#trustedFrom = from;
    return true;
  }

  #receive(data: Buffer): boolean {
    const cipher = this.#dtls.srtp?.remoteContext.cipher;
    // CC = 0 and X = 0: a fixed 12-byte header. Anything else keeps werift's handling.
    if (
      !(cipher instanceof FastSrtpCipher) || data.length < HEADER_BYTES || (data[0]! & 0x1f) !== 0
    ) {
      return false;
    }
    this.#dtls.packetsReceived++;
    this.#dtls.bytesReceived += data.length;
    const ssrc = ((data[8]! << 24) | (data[9]! << 16) | (data[10]! << 8) | data[11]!) >>> 0;
    const seq = (data[2]! << 8) | data[3]!;
    const { inbound } = cipher;
    const roc = inbound.admit(ssrc, seq);
    if (roc < 0) return true; // a replay, counted by `inbound`
    const plain = cipher.transform.unprotectRtp(data, HEADER_BYTES, roc);
    if (!plain) {
      this.authFailures++;
      return true;
    }
    inbound.accept(ssrc, seq, roc);
    let end = plain.length;
    if (data[0]! & 0x20) {
      // RFC 3550 §5.1: the last octet counts the padding, itself included.
      const padding = plain[end - 1]!;
      if (padding === 0 || padding > end - HEADER_BYTES) {
        this.authFailures++;
        return true;
      }
      end -= padding;
    }
    const packet: RtpIn = {
      payloadType: data[1]! & 0x7f,
      sequenceNumber: seq,
      timestamp: ((data[4]! << 24) | (data[5]! << 16) | (data[6]! << 8) | data[7]!) >>> 0,
      marker: (data[1]! & 0x80) !== 0,
      ssrc,
      payload: plain.subarray(HEADER_BYTES, end),
    };
    this.packetsReceived++;
    this.#count(packet);
    this.#deliver(packet);
    return true;
  }

  /** Feeds werift's receiver statistics, as its own RTP handler would. */
  #count(packet: RtpIn): void {
    const lite = this.#lite;
    lite.header.ssrc = packet.ssrc;
    lite.header.payloadType = packet.payloadType;
    lite.header.sequenceNumber = packet.sequenceNumber;
    lite.header.timestamp = packet.timestamp;
    lite.payload = packet.payload;
    const stream = this.#receiver.remoteStreams[packet.ssrc];
    // The first packet of an SSRC goes through werift's handler, which creates
    // the statistics and starts the receiver reports (without a track, it delivers nothing).
    if (stream) stream.add(lite);
    else this.#receiver.handleRTP(lite, {}, undefined);
  }
}

/**
 * Makes every werift DTLS transport offer its media datagrams to its
 * {@linkcode MediaFastPath}, if one was made for it, before its own handler.
 * Installed once, by `installWeriftPatches()`.
 */
export function installMediaFastPath(): void {
  const proto = RTCDtlsTransport.prototype as unknown as RTCDtlsTransportInternals;
  const startSrtp = proto.startSrtp;
  proto.startSrtp = function (this: RTCDtlsTransportInternals) {
    if (this.srtpStarted) return;
    // startSrtp subscribes werift's media handler to the ICE connection; put ours in front of it.
    const onData = this.iceTransport.connection.onData;
    const subscribe = onData.subscribe;
    onData.subscribe = (handler) =>
      subscribe.call(onData, (data: Buffer) => {
        const hook = hooks.get(this);
        if (!hook || !hook(data)) handler(data);
      });
    try {
      startSrtp.call(this);
    } finally {
      onData.subscribe = subscribe;
    }
  };
}
