/**
 * A fake WhatsApp caller at the media level: a werift peer that behaves like
 * Meta's relay. It is ICE-lite with DTLS `actpass`, offers Meta's lines (mid
 * `audio`, Opus PT 111 with `maxplaybackrate=16000`, telephone-event PT 126,
 * one SSRC, no trickle), stays silent until it hears our first packet, drops
 * the call (138021) after 20 s without our media, streams the caller's voice
 * at real-time 20 ms pace, sends RFC 4733 digits and records what it hears.
 *
 * @module
 */
import {
  MediaStreamTrack,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  type RTCRtpTransceiver,
  RtpHeader,
} from "werift";
import { Buffer } from "node:buffer";
import { OpusDecoder, OpusEncoder, RTP_TICKS_PER_FRAME } from "../lib/audio/opus.ts";
import { concatPcm } from "../lib/audio/pcm.ts";
import { type DtmfDigit, telephoneEventPackets } from "../lib/rtp/dtmf.ts";
import { FrameClock } from "../bridge/media/frame_clock.ts";
import { installWeriftPatches } from "../bridge/webrtc/werift_patches.ts";

/** Meta's Opus parameters, as in production offers. */
export const META_OPUS_FMTP =
  "maxaveragebitrate=20000;maxplaybackrate=16000;minptime=20;sprop-maxcapturerate=16000;useinbandfec=1";

const SILENCE = new Int16Array(480);

/** Produces the caller's next 20 ms (480 samples at 24 kHz), or null for silence. */
export type CallerVoice = (frameIndex: number) => Int16Array | null;

/** Options for {@linkcode WhatsAppCaller}. */
export interface WhatsAppCallerOptions {
  /** The caller's voice; silence when absent. */
  voice?: CallerVoice;
  /**
   * The caller's voice already Opus-encoded (20 ms packets), instead of `voice`:
   * load tests share one encoded clip so the callers do not outweigh the bridge.
   */
  opusVoice?: (frameIndex: number) => Uint8Array;
  /** Decode what the caller hears into `heard`. @default true (load tests keep only RTP facts) */
  decode?: boolean;
  /** Drop the call when none of our media arrives for this long. @default 20000 */
  mediaTimeoutMs?: number;
  /** Wait for our first packet before sending (Meta's behaviour). @default true */
  waitForFirstPacket?: boolean;
  /** RTP sequence number of the caller's first packet. @default 1000 */
  firstSequenceNumber?: number;
}

/** Why the fake ended the call. */
export interface DropInfo {
  code: 138021;
  reason: string;
}

/** What a receiver report says about one stream. */
interface ReceiverReportBlock {
  highestSequence: number;
  packetsLost: number;
}

/** One simulated WhatsApp user on a call. */
export class WhatsAppCaller {
  /** Offer text in Meta's shape, for the `connect` webhook. */
  readonly offerSdp: string;
  /** Every 20 ms frame heard from the business, decoded at 24 kHz, in arrival order. */
  readonly heard: Int16Array[] = [];
  /** Arrival time (performance.now) of each packet heard. */
  readonly heardAt: number[] = [];
  /** RTP header facts of packets heard: SSRC, sequence, timestamp, marker. */
  readonly heardRtp: Array<{ ssrc: number; seq: number; ts: number; marker: boolean; pt: number }> =
    [];
  firstPacketAt: number | undefined;
  connectedAt: number | undefined;
  dropped: DropInfo | undefined;
  framesSent = 0;

  #pc: RTCPeerConnection;
  #transceiver: RTCRtpTransceiver;
  #opts: Required<Omit<WhatsAppCallerOptions, "firstSequenceNumber">>;
  #encoder = new OpusEncoder();
  #decoder = new OpusDecoder();
  #clock: FrameClock;
  #seq: number;
  #ts = 160_000;
  #watchdog: ReturnType<typeof setInterval> | undefined;
  #lastHeardAt = performance.now();
  #dropListeners: Array<(d: DropInfo) => void> = [];
  #closed = false;
  #receiverReport: ReceiverReportBlock | undefined;

  private constructor(
    pc: RTCPeerConnection,
    t: RTCRtpTransceiver,
    offer: string,
    opts: WhatsAppCallerOptions,
  ) {
    this.#pc = pc;
    this.#transceiver = t;
    this.offerSdp = offer;
    this.#seq = opts.firstSequenceNumber ?? 1000;
    this.#opts = {
      voice: opts.voice ?? (() => null),
      opusVoice: opts.opusVoice ?? ((i) => this.#encoder.encode(this.#opts.voice(i) ?? SILENCE)),
      decode: opts.decode ?? true,
      mediaTimeoutMs: opts.mediaTimeoutMs ?? 20_000,
      waitForFirstPacket: opts.waitForFirstPacket ?? true,
    };
    this.#clock = new FrameClock((tick) => this.#sendFrame(tick.index));
    const onTrack = (track: MediaStreamTrack) =>
      track.onReceiveRtp.subscribe((rtp) => {
        const now = performance.now();
        this.#lastHeardAt = now;
        this.heardRtp.push({
          ssrc: rtp.header.ssrc,
          seq: rtp.header.sequenceNumber,
          ts: rtp.header.timestamp,
          marker: rtp.header.marker,
          pt: rtp.header.payloadType,
        });
        if (rtp.header.payloadType !== 111) return;
        const pcm = this.#opts.decode ? this.#decoder.decode(rtp.payload) : undefined;
        if (pcm instanceof Int16Array) {
          this.heard.push(pcm);
          this.heardAt.push(now);
        }
        if (this.firstPacketAt === undefined) {
          this.firstPacketAt = now;
          if (this.#opts.waitForFirstPacket) this.#clock.start();
        }
      });
    // Answering, werift made the track from the offer before this subscription.
    const existing = [...t.receiver.tracks];
    existing.forEach(onTrack);
    t.onTrack.subscribe((track) => {
      if (!existing.includes(track)) onTrack(track);
    });
    pc.connectionStateChange.subscribe((s) => {
      if (s === "connected") this.connectedAt ??= performance.now();
    });
  }

  /** Creates the caller and its offer; ICE is lite, so it gathers loopback host candidates only. */
  static async create(options: WhatsAppCallerOptions = {}): Promise<WhatsAppCaller> {
    const pc = metaPeerConnection();
    const t = pc.addTransceiver(new MediaStreamTrack({ kind: "audio" }), { direction: "sendrecv" });
    // Meta's offers name the single m-line `audio`.
    (t as { mid?: string }).mid = "audio";
    await pc.setLocalDescription(await pc.createOffer());
    const local = pc.localDescription?.sdp;
    if (!local) throw new Error("no local offer");
    return new WhatsAppCaller(pc, t, toMetaShape(local), options);
  }

  /**
   * The user's phone picking up a business-initiated call: answers the
   * business's offer as Meta's relay does (ICE-lite, one SSRC, no trickle,
   * `a=setup:active` as Meta's reference answer shows, or `setup` to play
   * the other roles implementers report). Its SDP is in `offerSdp`; media
   * starts when ICE and DTLS are up, the phone silent until it hears the business.
   */
  static async answer(
    businessOffer: string,
    options: WhatsAppCallerOptions & { setup?: "active" | "passive" | "actpass" } = {},
  ): Promise<WhatsAppCaller> {
    const pc = metaPeerConnection();
    await pc.setRemoteDescription({ type: "offer", sdp: businessOffer });
    const t = pc.getTransceivers()[0];
    if (!t) throw new Error("the business offer made no transceiver");
    t.setDirection("sendrecv");
    await t.sender.replaceTrack(new MediaStreamTrack({ kind: "audio" }));
    const created = await pc.createAnswer();
    // werift reads its DTLS role from the description it is given; `actpass` is only written.
    const role = options.setup === "passive" ? "passive" : "active";
    const sdp = created.sdp.replace(/a=setup:\w+/g, `a=setup:${role}`);
    await pc.setLocalDescription({ type: "answer", sdp });
    const local = pc.localDescription?.sdp;
    if (!local) throw new Error("no local answer");
    let shaped = toMetaShape(local);
    if (options.setup === "actpass") shaped = shaped.replace(/a=setup:\w+/g, "a=setup:actpass");
    const callee = new WhatsAppCaller(pc, t, shaped, options);
    callee.#watch();
    return callee;
  }

  /** Applies the business's answer (what Meta does on `pre_accept`). Idempotent. */
  async applyAnswer(sdp: string): Promise<void> {
    if (this.#pc.remoteDescription) return;
    await this.#pc.setRemoteDescription({ type: "answer", sdp });
    this.#watch();
  }

  /** Keeps the business's receiver reports and starts the media watchdog (and the voice, if not waiting). */
  #watch(): void {
    const sender = this.#transceiver.sender as unknown as {
      ssrc: number;
      dtlsTransport: {
        onRtcp: {
          subscribe(
            h: (p: { reports?: Array<{ ssrc: number } & ReceiverReportBlock> }) => void,
          ): void;
        };
      };
    };
    sender.dtlsTransport.onRtcp.subscribe((packet) => {
      const report = packet.reports?.find((r) => r.ssrc === sender.ssrc);
      if (report) this.#receiverReport = report;
    });
    this.#watchdog = setInterval(() => this.#checkMedia(), 250);
    if (!this.#opts.waitForFirstPacket) this.#clock.start();
  }

  /** Resolves when ICE and DTLS are up. */
  connected(timeoutMs = 10_000): Promise<void> {
    if (this.connectedAt !== undefined) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("fake caller not connected")), timeoutMs);
      this.#pc.connectionStateChange.subscribe((s) => {
        if (s === "connected") {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }

  /**
   * The latest RTCP sender report heard for `ssrc` (Meta's relay reads these
   * for round-trip time and stream statistics), or undefined before the first.
   */
  senderReport(ssrc: number): { packetCount: number; octetCount: number } | undefined {
    const receiver = this.#transceiver.receiver as unknown as {
      remotePacketCountBySsrc: Record<number, number>;
      remoteOctetCountBySsrc: Record<number, number>;
    };
    const packetCount = receiver.remotePacketCountBySsrc[ssrc];
    if (packetCount === undefined) return undefined;
    return { packetCount, octetCount: receiver.remoteOctetCountBySsrc[ssrc] ?? 0 };
  }

  /**
   * The latest RTCP receiver report block the business sent about the
   * caller's own stream, or undefined before the first.
   */
  receiverReport(): ReceiverReportBlock | undefined {
    return this.#receiverReport;
  }

  /**
   * Sends one RTP packet on the caller's SSRC with the next sequence number;
   * `extension` adds an RFC 8285 one-byte header extension element.
   */
  sendRtp(packet: {
    payloadType: number;
    payload: Uint8Array;
    timestamp?: number;
    marker?: boolean;
    extension?: { id: number; payload: Uint8Array };
  }): void {
    const sender = this.#transceiver.sender;
    const header = new RtpHeader({
      payloadType: packet.payloadType,
      sequenceNumber: this.#seq,
      timestamp: packet.timestamp ?? this.#ts,
      marker: packet.marker ?? false,
      ssrc: sender.ssrc,
      ...(packet.extension
        ? {
          extension: true,
          extensionProfile: 0xbede,
          extensions: [{ id: packet.extension.id, payload: Buffer.from(packet.extension.payload) }],
        }
        : {}),
    });
    this.#seq = (this.#seq + 1) & 0xffff;
    const { payload } = packet;
    // Straight to DTLS: werift's sender would rewrite every payload type to Opus.
    void sender.dtlsTransport.sendRtp(
      Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
      header,
    );
  }

  /** Puts `bytes` on the media path as they are, as a forger or a broken relay would. */
  sendDatagram(bytes: Uint8Array): void {
    const ice = (this.#transceiver.sender as unknown as {
      dtlsTransport: { iceTransport: { connection: { send(data: Buffer): Promise<void> } } };
    }).dtlsTransport.iceTransport.connection;
    void ice.send(Buffer.from(bytes));
  }

  /** Called once if the fake drops the call for lack of our media. */
  onDropped(listener: (d: DropInfo) => void): void {
    this.#dropListeners.push(listener);
  }

  /** Presses a key: RFC 4733 packets at 20 ms spacing on PT 126, sharing the audio SSRC. */
  async sendDtmf(digit: DtmfDigit, durationMs = 100): Promise<void> {
    const packets = telephoneEventPackets(digit, { durationMs, clockRate: 8000 });
    const timestamp = this.#ts;
    for (const p of packets) {
      this.sendRtp({ payloadType: 126, payload: p.payload, timestamp, marker: p.marker });
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Hears everything since `fromFrame` as one buffer (24 kHz). */
  heardPcm(fromFrame = 0): Int16Array {
    return concatPcm(this.heard.slice(fromFrame));
  }

  /** Hangs up the media. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#clock.stop();
    clearInterval(this.#watchdog);
    await this.#pc.close().catch(() => {});
  }

  #sendFrame(index: number): void {
    if (this.#closed || this.#pc.connectionState !== "connected") return;
    this.sendRtp({ payloadType: 111, payload: this.#opts.opusVoice(index), marker: index === 0 });
    this.#ts = (this.#ts + RTP_TICKS_PER_FRAME) >>> 0;
    this.framesSent++;
  }

  #checkMedia(): void {
    if (this.dropped || this.#closed) return;
    if (performance.now() - this.#lastHeardAt < this.#opts.mediaTimeoutMs) return;
    this.dropped = { code: 138021, reason: "media receive timeout" };
    for (const l of this.#dropListeners) l(this.dropped);
    void this.close();
  }
}

/** Rewrites werift's offer into the lines Meta sends (no trickle, ptime 20, WhatsApp cname). */
function toMetaShape(sdp: string): string {
  const lines = sdp.split("\r\n").filter((l) =>
    l !== "" && l !== "a=ice-options:trickle" && l !== "a=extmap-allow-mixed"
  );
  const out: string[] = [];
  for (const l of lines) {
    out.push(l.startsWith("a=ssrc:") ? l.replace(/cname:.*/, "cname:WhatsAppAudioStream1") : l);
    if (l.startsWith("a=rtpmap:126")) out.push("a=maxptime:20", "a=ptime:20");
  }
  return out.join("\r\n") + "\r\n";
}

/** A connection as Meta's relay makes it: ICE-lite on loopback, Opus 111 and telephone-event 126. */
function metaPeerConnection(): RTCPeerConnection {
  // Meta's relay is native code: the fake takes the bridge's cheap sockets and SRTP too.
  installWeriftPatches();
  return new RTCPeerConnection({
    iceLite: true,
    codecs: {
      audio: [
        new RTCRtpCodecParameters({
          mimeType: "audio/opus",
          clockRate: 48000,
          channels: 2,
          payloadType: 111,
          parameters: META_OPUS_FMTP,
          rtcpFeedback: [{ type: "transport-cc" }],
        }),
        new RTCRtpCodecParameters({
          mimeType: "audio/telephone-event",
          clockRate: 8000,
          channels: 1,
          payloadType: 126,
        }),
      ],
    },
    headerExtensions: { audio: [] },
    iceUseIpv6: false,
    iceAdditionalHostAddresses: ["127.0.0.1"],
    iceFilterCandidatePair: (pair) => pair.remoteCandidate.host === "127.0.0.1",
  });
}
