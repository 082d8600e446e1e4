/**
 * What the bridge relies on inside werift, in one place: the version its
 * patches were written against, how to read the installed version, and one
 * declared shape per werift class whose private or loosely typed members a
 * patch or the peer reaches. `werift_patches.ts` checks these members exist
 * before installing anything; a werift upgrade starts here.
 *
 * Members werift's own typings already declare public (most of `DtlsClient`,
 * `RTCDtlsTransport`, `RtpHeader`) are used through those typings instead.
 *
 * @module
 */
import type { Buffer } from "node:buffer";
import type { RtpHeader } from "werift";
import { z } from "zod";
import type { Address, UdpTransportOptions } from "./deno_udp_transport.ts";

/** The werift release every patch was checked against (deno.json's `npm:werift@…`). */
export const PINNED_WERIFT_VERSION = "0.25.2";

const PackageJson = z.object({ name: z.string(), version: z.string() });

/**
 * The version of the werift this process loaded, from its `package.json`.
 * werift's `exports` hide that file from `import`, so it is read from disk,
 * walking up from the entry point `werift` resolves to.
 */
export function installedWeriftVersion(): string {
  const entry = import.meta.resolve("werift");
  if (!entry.startsWith("file:")) {
    throw new Error(`cannot find werift's package.json: werift resolves to ${entry}`);
  }
  for (let dir = new URL("./", entry); dir.pathname !== "/"; dir = new URL("../", dir)) {
    let text: string;
    try {
      text = Deno.readTextFileSync(new URL("package.json", dir));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue;
      throw new Error(`cannot read werift's package.json in ${dir.pathname}`, { cause: error });
    }
    const pkg = PackageJson.parse(JSON.parse(text));
    if (pkg.name === "werift") return pkg.version;
  }
  throw new Error(`no package.json of werift above ${entry}`);
}

/** werift `Event`: its subscriber lists are private, `execute` a per-instance field. */
export interface EventInternals<T extends unknown[] = unknown[]> {
  ended: boolean;
  event: {
    stack: Array<{ execute: (...args: T) => void }>;
    promiseStack: unknown[];
  };
  execute: (...args: T) => void;
  subscribe: (execute: (...args: T) => void) => { unSubscribe: () => void };
}

/** werift ICE protocol (`StunProtocol` for a host candidate): one local candidate's socket. */
export interface IceProtocolInternals {
  type: string;
  /**
   * For `"stun"`, our own socket (`LibcUdpTransport`, `DenoUdpTransport`):
   * sends never reject, and `receivingFrom` is the sender of the datagram
   * being handled.
   */
  transport: {
    send(data: Uint8Array, addr: Address): Promise<void>;
    readonly receivingFrom?: Address | undefined;
  };
  sendData(data: Uint8Array, addr: Address): Promise<void>;
  onDataReceived: EventInternals<[Buffer]>;
}

/** werift `CandidatePair`. */
export interface CandidatePairInternals {
  /** A `CandidatePairState`. */
  state: number;
  /** The check in flight; werift clears it once a check has run to its end. */
  handle?: unknown;
  updateState(state: number): void;
  protocol: IceProtocolInternals;
  /** A getter that builds a new array per read. */
  remoteAddr: Address;
  remoteCandidate: { host: string; port: number };
  packetsSent: number;
  bytesSent: number;
}

/** werift ICE `Connection` (typed `IceConnection` on `RTCIceTransport`, which hides these). */
export interface ConnectionInternals {
  state: string;
  nominated?: CandidatePairInternals;
  checkList: CandidatePairInternals[];
  checkStart(pair: CandidatePairInternals): unknown;
  protocols: IceProtocolInternals[];
  onData: EventInternals<[Buffer]>;
  /** RFC 7675: a pair is nominated, the agent is open, and consent is fresh (or we are ICE-lite). */
  canSendApplicationData(): boolean;
  /** `[host, port]` werift asks for a server-reflexive candidate (werift_stun_fix.ts). */
  stunServer: [string, number] | undefined;
  options: { stunServer?: [string, number] | undefined };
  /** What `ice_gathering.ts` joins: werift's gathering and how it adds a candidate. */
  generation: number;
  localUsername: string;
  getCandidatePromises(addresses: string[], timeout?: number): Promise<unknown>[];
  ensureProtocol(protocol: unknown): void;
  appendLocalCandidate(candidate: unknown): void;
}

/** The cipher of a werift SRTP context (`CipherAesCtr`, `CipherAesGcm`). */
export interface SrtpCipherInternals {
  encryptRtp(header: RtpHeader, payload: Buffer, roc: number): Buffer;
  /** `header` is the one werift's context parsed from `cipherText`; it always passes it. */
  decryptRtp(cipherText: Buffer, roc: number, header: RtpHeader): [Buffer, RtpHeader];
  encryptRTCP(rtcp: Buffer, srtcpIndex: number): Buffer;
  decryptRTCP(encrypted: Buffer): [Buffer, unknown];
}

/** A werift SRTP `Context`: its profile, derived RTP session keys and cipher. */
export interface SrtpContextInternals {
  profile: number;
  srtpSessionKey: Buffer;
  srtpSessionSalt: Buffer;
  srtpSessionAuthTag: Buffer;
  cipher: SrtpCipherInternals;
}

/** A werift `SrtpSession` or `SrtcpSession`: one context per direction. */
export interface SrtpSessionInternals {
  localContext: SrtpContextInternals;
  remoteContext: SrtpContextInternals;
}

/** werift `RTCDtlsTransport`, with the ICE connection and SRTP session as we use them. */
export interface RTCDtlsTransportInternals {
  srtpStarted: boolean;
  srtp?: SrtpSessionInternals;
  srtcp?: SrtpSessionInternals;
  iceTransport: { connection: ConnectionInternals };
  onRtp: EventInternals;
  bytesReceived: number;
  packetsReceived: number;
  bytesSent: number;
  packetsSent: number;
  startSrtp(): void;
  updateSrtpSession(): void;
}

/** The fields of an `RtpPacket` that werift's receiver statistics read. */
export interface RtpStatsPacket {
  header: {
    ssrc: number;
    payloadType: number;
    sequenceNumber: number;
    timestamp: number;
    serializeSize: number;
  };
  payload: Uint8Array;
}

/** werift `RTCRtpReceiver`: per-SSRC statistics (for receiver reports) and its RTP handler. */
export interface RTCRtpReceiverInternals {
  remoteStreams: Record<number, { add(packet: RtpStatsPacket): void } | undefined>;
  handleRTP(packet: RtpStatsPacket, extensions: Record<string, unknown>, track: undefined): void;
}

/** werift `RTCRtpSender`: the counters its RTCP sender reports are built from. */
export interface RTCRtpSenderInternals {
  ntpTimestamp: bigint;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  runRtcp(): Promise<void>;
  dtlsTransport: { sendRtp(payload: Buffer, header: RtpHeader): Promise<number> };
}

/** werift `UdpTransport`'s factory, which every ICE candidate's socket comes from. */
export interface UdpTransportStatics {
  init(type: "udp4" | "udp6", options?: UdpTransportOptions): Promise<unknown>;
}
