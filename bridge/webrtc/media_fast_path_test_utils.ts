/**
 * A {@linkcode MediaFastPath} on a werift DTLS transport made of plain
 * objects: no socket, no handshake, fixed SRTP keys. A test hands it
 * datagrams as one of the ICE connection's sockets would, from any sender,
 * and sees what the path delivered, what it left to werift and how many
 * times it ran the SRTP transform.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { Event, RTCDtlsTransport, type RTCRtpReceiver, SrtpAuthenticationError } from "werift";
import { createSrtpTransform, type SrtpTransform } from "../../lib/srtp/srtp_transform.ts";
import type { Address } from "./deno_udp_transport.ts";
import { MediaFastPath, type RtpIn } from "./media_fast_path.ts";
import { FastSrtpCipher } from "./werift_srtp_fix.ts";
import { installWeriftPatches } from "./werift_patches.ts";

/** The nominated pair's remote address. */
export const REMOTE: Address = ["192.0.2.7", 40000];

/** The caller's SSRC in {@linkcode FakeMediaLink.seal}'s packets. */
export const CALLER_SSRC = 0x5eed1234;

const KEYS = {
  key: new Uint8Array(16).fill(0x11),
  salt: new Uint8Array(14).fill(0x22),
  authKey: new Uint8Array(20).fill(0x33),
};

/** A local socket as the fast path sees it: our transports' `receivingFrom`. */
export interface FakeSocket {
  receivingFrom: Address | undefined;
  send(): Promise<void>;
}

/** A local ICE candidate's protocol: a host socket (`"stun"`) or a TURN allocation. */
export interface FakeProtocol {
  type: "stun" | "turn";
  transport: FakeSocket;
}

/** The ICE connection's members the fast path reads, writable by tests. */
export interface FakeConnection {
  state: string;
  consentFresh: boolean;
  nominated:
    | { protocol: FakeProtocol; remoteCandidate: { host: string; port: number } }
    | undefined;
  protocols: FakeProtocol[];
  onData: Event<[Buffer]>;
  canSendApplicationData(): boolean;
}

function socket(): FakeSocket {
  return { receivingFrom: undefined, send: () => Promise.resolve() };
}

/** One call's fast path on fake werift objects; see the module doc. */
export class FakeMediaLink {
  /** Packets the path delivered. */
  readonly delivered: RtpIn[] = [];
  /** Media datagrams that reached werift's own SRTP and SRTCP handler. */
  readonly toWerift: Uint8Array[] = [];
  /** Calls of the receive transform's `unprotectRtp` (authentication attempts). */
  unprotectCalls = 0;
  readonly path: MediaFastPath;
  readonly connection: FakeConnection;
  /** The nominated pair's host socket, and a second host socket of the same call. */
  readonly socket: FakeSocket = socket();
  readonly otherSocket: FakeSocket = socket();
  /** The receive side's cipher, whose state the path keeps. */
  readonly cipher: FastSrtpCipher;
  readonly #sender: SrtpTransform = createSrtpTransform("AES_CM_128_HMAC_SHA1_80", KEYS);

  /** A link whose nominated pair is the host socket `socket` to {@linkcode REMOTE}. */
  constructor() {
    installWeriftPatches();
    const receive = createSrtpTransform("AES_CM_128_HMAC_SHA1_80", KEYS);
    const unprotect = receive.unprotectRtp.bind(receive);
    receive.unprotectRtp = (packet, headerLength, roc) => {
      this.unprotectCalls++;
      return unprotect(packet, headerLength, roc);
    };
    this.cipher = new FastSrtpCipher(receive, null as never);
    const host: FakeProtocol = { type: "stun", transport: this.socket };
    const other: FakeProtocol = { type: "stun", transport: this.otherSocket };
    const connection: FakeConnection = {
      state: "connected",
      consentFresh: true,
      nominated: { protocol: host, remoteCandidate: { host: REMOTE[0], port: REMOTE[1] } },
      protocols: [host, other],
      onData: new Event<[Buffer]>(),
      // werift's rule, on the fake's fields: a nominated pair, open, with fresh consent.
      canSendApplicationData: () =>
        connection.nominated !== undefined && connection.state === "connected" &&
        connection.consentFresh,
    };
    this.connection = connection;
    const toWerift = (data: Buffer) => {
      this.toWerift.push(data);
      throw new SrtpAuthenticationError("fake: werift's own handler");
    };
    const dtls = Object.assign(Object.create(RTCDtlsTransport.prototype), {
      srtpStarted: false,
      config: {},
      // werift's startSrtp derives keys here; the fake has them already.
      updateSrtpSession() {},
      srtp: { remoteContext: { cipher: this.cipher }, decrypt: toWerift },
      srtcp: { remoteContext: { cipher: null }, decrypt: toWerift },
      iceTransport: { connection },
      packetsReceived: 0,
      bytesReceived: 0,
    }) as RTCDtlsTransport;
    const receiver = { remoteStreams: {}, handleRTP: () => {} } as unknown as RTCRtpReceiver;
    this.path = new MediaFastPath(dtls, receiver, (p) => this.delivered.push(p));
    dtls.startSrtp();
  }

  /** The caller's SRTP packet `seq` (ROC `roc`, SSRC `ssrc`), 20 payload bytes of `seq`. */
  seal(seq: number, { roc = 0, ssrc = CALLER_SSRC } = {}): Uint8Array {
    const header = Uint8Array.of(0x80, 111, seq >> 8, seq & 0xff, 0, 0, 3, 0xc0, 0, 0, 0, 0);
    new DataView(header.buffer).setUint32(8, ssrc);
    return this.#sender.protectRtp(header, new Uint8Array(20).fill(seq & 0xff), roc);
  }

  /**
   * Hands `datagram` to the ICE connection as socket `via` (the nominated
   * pair's by default) received it from `from`, as our UDP transports do.
   */
  receive(datagram: Uint8Array, from: Address = REMOTE, via: FakeSocket = this.socket): void {
    via.receivingFrom = from;
    try {
      this.connection.onData.execute(Buffer.from(datagram));
    } finally {
      via.receivingFrom = undefined;
    }
  }
}
