/**
 * Our end of Meta's media path: a werift peer that answers WhatsApp's offer as
 * Meta requires (full ICE and controlling against Meta's ICE-lite, DTLS client
 * with werift's ECDSA P-256 certificate, Opus + telephone-event on one SSRC),
 * and exposes plain RTP in and out. Everything about the SDP text itself is
 * `lib/sdp`'s job; this module only drives werift.
 *
 * @module
 */
import {
  MediaStreamTrack,
  ntpTime,
  type RTCPeerConnection,
  type RTCRtpTransceiver,
  RtpHeader,
} from "werift";
import { Buffer } from "node:buffer";
import { type RtpHeaderFields, writeRtpHeader } from "../../lib/rtp/packet.ts";
import { shapeWhatsAppAnswer, type WhatsAppOffer } from "../../lib/sdp/whatsapp.ts";
import {
  BUSINESS_OFFER_CODECS,
  type MetaAnswer,
  shapeBusinessOffer,
} from "../../lib/sdp/whatsapp_business_offer.ts";
import { type FilteredOffer, filterOfferCandidates } from "../../lib/sdp/candidate_filter.ts";
import { leanExecute, leanReceivePath } from "./werift_event_fix.ts";
import { keepCheckingUntilNominated } from "./werift_ice_fix.ts";
import type {
  EventInternals,
  RTCDtlsTransportInternals,
  RTCRtpSenderInternals,
} from "./werift_internals.ts";
import { assertWeriftPatchesInstalled } from "./werift_patches.ts";
import { LibcUdpTransport } from "./libc_udp_transport.ts";
import { MediaFastPath, type RtpIn } from "./media_fast_path.ts";
import type { RelayOutcome } from "./ice_gathering.ts";
import {
  buildOnPeerConnection,
  gatheredLocalSdp,
  type PeerCodecs,
  type PeerNetworkOptions,
} from "./peer_connection.ts";

export type { PeerNetworkOptions, RtpIn };

/** Media-level connection state, simplified from werift's. */
export type PeerState = "new" | "connecting" | "connected" | "failed" | "closed";

/**
 * A WhatsApp-facing peer: created from Meta's offer ({@linkcode WhatsAppPeer.answer}),
 * or, for a business-initiated call, making the offer itself
 * ({@linkcode WhatsAppPeer.offer}) and then applying Meta's answer.
 */
export class WhatsAppPeer {
  /**
   * Our SDP for Meta: the answer for Graph `pre_accept`/`accept`, shaped to
   * Meta's checklist, or, for an offerer, the offer for Graph `connect`.
   */
  readonly answerSdp: string;
  /** `answerer` for user-initiated calls, `offerer` for business-initiated ones. */
  role: "answerer" | "offerer" = "answerer";
  /** Our single outbound SSRC, as announced in the answer. */
  readonly ssrc: number;
  readonly opusPayloadType: number;
  readonly telephoneEventPayloadType: number;
  #pc: RTCPeerConnection;
  #transceiver: RTCRtpTransceiver;
  #state: PeerState = "connecting";
  #stateListeners = new Set<(s: PeerState) => void>();
  /** Ends our subscriptions to werift's events, on close. */
  #unsubscribes: Array<() => void> = [];
  #checks: ReturnType<typeof keepCheckingUntilNominated>;
  #fastPath: MediaFastPath;
  #rtpListeners: Array<(packet: RtpIn) => void> = [];
  #header = new Uint8Array(12);
  #tickSocket: LibcUdpTransport | undefined;
  #wantTicks = false;
  #allowPrivate = false;
  #answerApplied = false;
  #headerFields: RtpHeaderFields;
  /** Offer candidates never checked, because they point into a private network. */
  droppedCandidates: FilteredOffer["dropped"] = [];
  /** Whether the answer carries a relay candidate, and which TURN servers failed. */
  relayOutcome: RelayOutcome = { kind: "none" };
  packetsSent = 0;
  packetsReceived = 0;

  private constructor(
    pc: RTCPeerConnection,
    transceiver: RTCRtpTransceiver,
    answerSdp: string,
    offer: PeerCodecs,
  ) {
    this.#pc = pc;
    this.#transceiver = transceiver;
    this.answerSdp = answerSdp;
    this.ssrc = transceiver.sender.ssrc;
    this.opusPayloadType = offer.opusPt;
    this.telephoneEventPayloadType = offer.telephoneEventPt;
    this.#headerFields = {
      payloadType: offer.opusPt,
      sequenceNumber: 0,
      timestamp: 0,
      marker: false,
      ssrc: this.ssrc,
    };
    // `answer()` waited for gathering, so every protocol a packet can arrive on exists.
    leanReceivePath(transceiver.receiver.dtlsTransport);
    this.#fastPath = new MediaFastPath(
      transceiver.receiver.dtlsTransport,
      transceiver.receiver,
      (packet) => this.#emitRtp(packet),
    );
    // Meta is ICE-lite: if our checks go unanswered, only we can retry them.
    this.#checks = keepCheckingUntilNominated(pc);
    const { unSubscribe } = pc.connectionStateChange.subscribe((s) => {
      if (s === "connected") {
        this.#setState("connected");
        if (this.#wantTicks) this.receiveOnTicks(true);
      } else if (s === "failed") this.#setState("failed");
      else if (s === "closed") this.#setState("closed");
    });
    this.#unsubscribes.push(unSubscribe);
  }

  /**
   * Applies Meta's offer, gathers every candidate (no trickle with Meta) and
   * returns the peer with its shaped answer. STUN and TURN get
   * `gatherTimeoutMs` from now; a relay is allocated by `ice_gathering.ts`
   * on the first usable TURN server, and how that went is in
   * {@linkcode relayOutcome} for the caller to log. ICE checks start right away, so
   * they converge as soon as Meta has processed the answer. Throws unless
   * `installWeriftPatches()` has run.
   */
  static async answer(
    offerSdp: string,
    offer: WhatsAppOffer,
    net: PeerNetworkOptions = {},
  ): Promise<WhatsAppPeer> {
    assertWeriftPatchesInstalled();
    return await buildOnPeerConnection(offer, net, async (pc, relay) => {
      const filtered = filterOfferCandidates(offerSdp, net.allowPrivateCandidates ?? false);
      await pc.setRemoteDescription({ type: "offer", sdp: filtered.sdp });
      const transceiver = pc.getTransceivers()[0];
      if (!transceiver) throw new Error("werift created no transceiver for the offer");
      relay.joinGathering(pc);
      transceiver.setDirection("sendrecv");
      await transceiver.sender.replaceTrack(new MediaStreamTrack({ kind: "audio" }));
      await pc.setLocalDescription(await pc.createAnswer());
      const local = await gatheredLocalSdp(pc, "answer");
      const shaped = shapeWhatsAppAnswer(local, offer, {
        ...(net.publicIp ? { publicIp: net.publicIp } : {}),
        ssrc: transceiver.sender.ssrc,
      });
      if (!shaped.ok) {
        throw new Error(`answer failed Meta's checklist: ${shaped.errors.join("; ")}`);
      }
      const peer = new WhatsAppPeer(pc, transceiver, shaped.sdp, offer);
      peer.droppedCandidates = filtered.dropped;
      // Settled: gathering waited for it.
      peer.relayOutcome = await relay.outcome;
      return peer;
    });
  }

  /**
   * Makes the offer of a business-initiated call (Graph `connect`) under
   * Meta's rules (`lib/sdp/whatsapp_business_offer.ts`): Opus 111 and
   * telephone-event 126 only, one SSRC, one sha-256 fingerprint,
   * `setup:actpass`, complete candidates (Meta does not trickle). ICE checks
   * start once {@linkcode applyAnswer} has applied Meta's answer; Meta is
   * ICE-lite, so werift takes the controlling role then.
   */
  static async offer(net: PeerNetworkOptions = {}): Promise<WhatsAppPeer> {
    assertWeriftPatchesInstalled();
    return await buildOnPeerConnection(BUSINESS_OFFER_CODECS, net, async (pc, relay) => {
      const transceiver = pc.addTransceiver(new MediaStreamTrack({ kind: "audio" }), {
        direction: "sendrecv",
      });
      relay.joinGathering(pc);
      await pc.setLocalDescription(await pc.createOffer());
      const local = await gatheredLocalSdp(pc, "offer");
      const shaped = shapeBusinessOffer(local, {
        publicIp: net.publicIp,
        ssrc: transceiver.sender.ssrc,
      });
      if (!shaped.ok) throw new Error(`offer failed Meta's rules: ${shaped.errors.join("; ")}`);
      const peer = new WhatsAppPeer(pc, transceiver, shaped.sdp, BUSINESS_OFFER_CODECS);
      peer.role = "offerer";
      peer.#allowPrivate = net.allowPrivateCandidates ?? false;
      peer.relayOutcome = await relay.outcome;
      return peer;
    });
  }

  /**
   * Applies Meta's answer (validated by `validateMetaAnswer`) to an offerer:
   * werift takes the DTLS role the answer leaves us (server to Meta's
   * `active`, client to its `passive`) and starts ICE checks. Once only.
   */
  async applyAnswer(answer: MetaAnswer): Promise<void> {
    if (this.role !== "offerer") throw new Error("only an offerer takes an answer");
    if (this.#answerApplied) throw new Error("Meta's answer was already applied");
    this.#answerApplied = true;
    const filtered = filterOfferCandidates(answer.sdp, this.#allowPrivate);
    this.droppedCandidates = filtered.dropped;
    await this.#pc.setRemoteDescription({ type: "answer", sdp: filtered.sdp });
    // The answer brought the remote candidates: their checks may need our retries too.
    this.#checks.stop();
    this.#checks = keepCheckingUntilNominated(this.#pc);
  }

  /** Current media state. */
  get state(): PeerState {
    return this.#state;
  }

  /**
   * Calls `listener` on every state change until the returned function is
   * called or the peer closes (after telling it so).
   */
  onState(listener: (s: PeerState) => void): () => void {
    const own = (s: PeerState) => listener(s);
    this.#stateListeners.add(own);
    return () => this.#stateListeners.delete(own);
  }

  /**
   * Resolves when ICE and DTLS are up; rejects on failure, close or timeout.
   * Once settled it leaves neither its listener nor its timer behind.
   */
  connected(timeoutMs: number): Promise<void> {
    if (this.#state === "connected") return Promise.resolve();
    // A closed peer changes state no more: waiting would only hold a listener and a timer.
    if (this.#state === "closed") return Promise.reject(new Error("media connection closed"));
    return new Promise((resolve, reject) => {
      const settle = (error?: Error) => {
        clearTimeout(timer);
        stopListening();
        if (error) reject(error);
        else resolve();
      };
      const timer = setTimeout(
        () => settle(new Error(`ICE/DTLS not connected within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const stopListening = this.onState((s) => {
        if (s === "connected") settle();
        else if (s === "failed" || s === "closed") settle(new Error(`media connection ${s}`));
      });
    });
  }

  /** State and RTP listeners and werift subscriptions still held, for leak checks. */
  get listenerCount(): number {
    return this.#stateListeners.size + this.#rtpListeners.length + this.#unsubscribes.length;
  }

  /**
   * Subscribes to every decrypted RTP packet from the caller (audio and
   * DTMF), whether it came by the fast path or, if unusual, through werift.
   */
  onRtp(listener: (packet: RtpIn) => void): void {
    this.#rtpListeners.push(listener);
    if (this.#rtpListeners.length > 1) return;
    const subscribe = (track: MediaStreamTrack) => {
      leanExecute(track.onReceiveRtp as unknown as EventInternals);
      const { unSubscribe } = track.onReceiveRtp.subscribe((rtp) =>
        this.#emitRtp({
          payloadType: rtp.header.payloadType,
          sequenceNumber: rtp.header.sequenceNumber,
          timestamp: rtp.header.timestamp,
          marker: rtp.header.marker,
          ssrc: rtp.header.ssrc,
          payload: rtp.payload,
        })
      );
      this.#unsubscribes.push(unSubscribe);
    };
    // Meta announces its SSRC in the offer, so werift may have made the track already.
    const receiver = this.#transceiver.receiver;
    const existing = receiver.tracks;
    existing.forEach(subscribe);
    const { unSubscribe } = this.#transceiver.onTrack.subscribe((track) => {
      if (!existing.includes(track)) subscribe(track);
    });
    this.#unsubscribes.push(unSubscribe);
  }

  /**
   * Sends one Opus frame on our SSRC; the caller owns sequence and timestamp.
   *
   * The packet takes the {@linkcode MediaFastPath}; werift's `RTCRtpSender`
   * would clone it, rebuild header extensions we never negotiate, keep it for
   * NACKs Meta does not send for audio and feed a video bandwidth estimator.
   * We keep up the counters its RTCP sender reports are made from instead.
   */
  sendOpus(payload: Uint8Array, sequenceNumber: number, timestamp: number, marker: boolean): void {
    if (this.#state !== "connected") return;
    const sender = this.#transceiver.sender as unknown as RTCRtpSenderInternals;
    // A report's NTP and RTP times must describe the same instant; refreshing
    // the pair every 16th packet (320 ms) keeps reports current at a tenth of the cost.
    if ((this.packetsSent & 15) === 0) {
      sender.ntpTimestamp = ntpTime();
      sender.rtpTimestamp = timestamp;
    }
    sender.packetCount = (sender.packetCount + 1) >>> 0;
    sender.octetCount += payload.byteLength;
    if (this.packetsSent++ === 0) void sender.runRtcp();
    const fields = this.#headerFields;
    fields.sequenceNumber = sequenceNumber;
    fields.timestamp = timestamp;
    fields.marker = marker;
    writeRtpHeader(this.#header, fields);
    if (this.#fastPath.send(this.#header, payload)) return;
    void sender.dtlsTransport.sendRtp(
      Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
      new RtpHeader(fields),
    );
  }

  /**
   * While on, the call's media clock reads the socket of the nominated ICE pair with
   * {@linkcode pollRtp} at each tick instead of the process's shared poller
   * (see `libc_udp_transport.ts`). Asked before ICE and DTLS are connected,
   * it takes effect when they are. A no-op on Deno's own sockets, which read
   * each datagram as it comes.
   */
  receiveOnTicks(on: boolean): void {
    this.#wantTicks = on;
    // ICE and DTLS are still settling: their packets keep the poller's quicker turns until connected.
    if (on && this.#state !== "connected") return;
    if (this.#tickSocket) this.#tickSocket.ownerReads = false;
    this.#tickSocket = on ? this.#mediaSocket() : undefined;
    if (this.#tickSocket) this.#tickSocket.ownerReads = true;
  }

  /** Reads whatever reached the media socket since the last call (on a media tick). */
  pollRtp(): void {
    this.#tickSocket?.drain();
  }

  /**
   * The libc socket of the nominated pair: all the call's media uses it. The
   * other candidates' sockets, and a TURN leg, stay with the shared poller.
   */
  #mediaSocket(): LibcUdpTransport | undefined {
    const dtls = this.#transceiver.receiver.dtlsTransport as unknown as RTCDtlsTransportInternals;
    const pair = dtls.iceTransport.connection.nominated;
    const socket = pair?.protocol.transport;
    return socket instanceof LibcUdpTransport && !socket.closed ? socket : undefined;
  }

  /**
   * RTP packets sent and received by the fast path, and the inbound packets
   * it dropped: forged or corrupt, replayed, or from another address.
   */
  get fastPathStats(): {
    packetsSent: number;
    packetsReceived: number;
    authFailures: number;
    replays: number;
    foreignSourceDrops: number;
  } {
    const { packetsSent, packetsReceived, authFailures, replays, foreignSourceDrops } =
      this.#fastPath;
    return { packetsSent, packetsReceived, authFailures, replays, foreignSourceDrops };
  }

  /** Caller RTP packets dropped because they failed SRTP authentication. */
  get srtpAuthFailures(): number {
    return this.#fastPath.authFailures;
  }

  /** Caller SRTP and SRTCP packets dropped as replays, or too old for the replay window. */
  get srtpReplays(): number {
    return this.#fastPath.replays;
  }

  /** Media datagrams dropped for not coming from the nominated ICE pair's remote address. */
  get foreignSourceDrops(): number {
    return this.#fastPath.foreignSourceDrops;
  }

  /** ICE checks restarted after an unanswered round (see `werift_ice_fix.ts`). */
  get iceRechecks(): number {
    return this.#checks.stats.rechecks;
  }

  /**
   * Closes ICE and DTLS. The state listeners hear "closed", then every
   * listener and werift subscription is dropped. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#state === "closed") return;
    this.#checks.stop();
    this.#fastPath.close();
    this.#setState("closed");
    this.#stateListeners.clear();
    this.#rtpListeners = [];
    for (const unSubscribe of this.#unsubscribes.splice(0)) unSubscribe();
    await this.#pc.close().catch(() => {});
  }

  #emitRtp(packet: RtpIn): void {
    this.packetsReceived++;
    for (const listener of this.#rtpListeners) listener(packet);
  }

  #setState(s: PeerState): void {
    if (this.#state === s || this.#state === "closed") return;
    this.#state = s;
    for (const l of [...this.#stateListeners]) l(s);
  }
}
