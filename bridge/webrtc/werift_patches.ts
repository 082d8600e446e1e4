/**
 * Every change the bridge makes to werift's behaviour, installed by one call
 * at start-up: {@linkcode installWeriftPatches}.
 *
 * Each patch depends on werift internals that a release may rename or
 * rework. So before installing anything the installer checks that werift is
 * the version the patches were written for ({@linkcode PINNED_WERIFT_VERSION})
 * and that every member each patch replaces or reads still exists in the
 * expected form; otherwise it throws one error naming each patch and member
 * and installs nothing. Why each patch exists, and the upstream fix that
 * would retire it, is in the module comment of the file the table names.
 *
 * To upgrade werift: bump it in `deno.json` and `PINNED_WERIFT_VERSION`, run
 * the tests beside each patch, and drop the patches werift no longer needs.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import {
  CandidatePair,
  Connection,
  DtlsClient,
  DtlsSocket,
  Event,
  ProtectionProfileAes128CmHmacSha1_80,
  RTCDtlsTransport,
  RTCRtpReceiver,
  RTCRtpSender,
  RtpHeader,
  SrtcpSession,
  SrtpSession,
  type Transport,
  UdpTransport,
} from "werift";
import { installUdpTransport, udpTransportKind } from "./libc_udp_transport.ts";
import { installMediaFastPath } from "./media_fast_path.ts";
import { installWeriftDtlsFix } from "./werift_dtls_fix.ts";
import { installWeriftRtpFix } from "./werift_rtp_fix.ts";
import { installWeriftSrtpFix } from "./werift_srtp_fix.ts";
import { installWeriftStunFix } from "./werift_stun_fix.ts";
import {
  type CandidatePairInternals,
  type ConnectionInternals,
  type EventInternals,
  installedWeriftVersion,
  PINNED_WERIFT_VERSION,
  type RTCRtpReceiverInternals,
  type RTCRtpSenderInternals,
  type SrtpSessionInternals,
  type UdpTransportStatics,
} from "./werift_internals.ts";

export { PINNED_WERIFT_VERSION };

/** A werift member a patch replaces or reads, and whether werift still has it. */
export interface WeriftMember {
  /** As errors name it: `Class.prototype.method`, `Class.staticMethod` or `Class#field`. */
  readonly name: string;
  /** What it must be, for the error: "a function", "an array", "declared". */
  readonly expected: string;
  /** True when the member exists in the form the patch expects. */
  present(): boolean;
}

/** The patches, by name. */
export type WeriftPatchName =
  | "dtls-retransmitted-flight"
  | "lean-events"
  | "ice-recheck"
  | "relay-gathering"
  | "no-default-stun"
  | "rtp-header-parser"
  | "srtp-cipher"
  | "libc-udp-transport"
  | "media-fast-path";

/** One change to werift: where it lives, what of werift it needs, how it goes in. */
export interface WeriftPatch<Name extends string = WeriftPatchName> {
  readonly name: Name;
  /** The file (in `bridge/webrtc/`) that holds it and says why it exists. */
  readonly module: string;
  /** Every werift member it replaces or reads through a declared internal shape. */
  readonly members: readonly WeriftMember[];
  /** Puts it in place process-wide; absent for patches the peer applies per call. */
  readonly install?: () => void;
}

type Kind = "function" | "array" | "object" | "boolean" | "number" | "bigint" | "string";

/** A member that must read (through `read`) as a `kind`. */
function member(name: string, read: () => unknown, kind: Kind): WeriftMember {
  return {
    name,
    expected: `${/^[ao]/.test(kind) ? "an" : "a"} ${kind}`,
    present() {
      const value = read();
      if (kind === "array") return Array.isArray(value);
      return typeof value === kind && value !== null;
    },
  };
}

/** `holder()` declares `key`, whatever its current value (werift leaves some undefined). */
function declared<T extends object>(
  name: string,
  holder: () => T,
  key: keyof T & string,
): WeriftMember {
  return { name, expected: "declared", present: () => key in holder() };
}

/**
 * A throwaway werift object, built the first time a check needs it: instance
 * fields exist only on instances. None of these opens a socket or a timer.
 */
function probe<T>(make: () => unknown): () => T {
  let made: T | undefined;
  return () => (made ??= make() as T);
}

const NO_SOCKET: Transport = {
  type: "probe",
  address: { address: "", family: "IPv4", port: 0 },
  closed: false,
  onData: () => {},
  send: () => Promise.resolve(),
  close: () => Promise.resolve(),
};
const client = probe<DtlsClient>(() => new DtlsClient({ transport: NO_SOCKET }));
const event = probe<EventInternals>(() => new Event());
const connection = probe<ConnectionInternals>(() => new Connection(true));
// These two constructors only keep their arguments, so a probe passes none that matter.
const pair = probe<CandidatePairInternals>(() =>
  Reflect.construct(CandidatePair, [undefined, undefined, true])
);
const SESSION_CONFIG = {
  keys: {
    localMasterKey: Buffer.alloc(16),
    localMasterSalt: Buffer.alloc(14),
    remoteMasterKey: Buffer.alloc(16),
    remoteMasterSalt: Buffer.alloc(14),
  },
  profile: ProtectionProfileAes128CmHmacSha1_80,
};
const srtp = probe<SrtpSessionInternals>(() => new SrtpSession(SESSION_CONFIG));
const srtcp = probe<SrtpSessionInternals>(() => new SrtcpSession(SESSION_CONFIG));
const receiver = probe<RTCRtpReceiverInternals>(() =>
  Reflect.construct(RTCRtpReceiver, [{}, "audio", 0])
);
const sender = probe<RTCRtpSenderInternals>(() => new RTCRtpSender("audio"));
const dtlsProto = RTCDtlsTransport.prototype;

/** Every patch, in the order they are installed. */
export const WERIFT_PATCHES: readonly WeriftPatch[] = [
  {
    name: "dtls-retransmitted-flight",
    module: "werift_dtls_fix.ts",
    members: [
      member(
        "DtlsSocket.prototype.handleFragmentHandshake",
        () => DtlsSocket.prototype.handleFragmentHandshake,
        "function",
      ),
      member("DtlsClient#onHandleHandshakes", () => client().onHandleHandshakes, "function"),
      member("DtlsClient#dtls.flight", () => client().dtls.flight, "number"),
      member("DtlsClient#dtls.lastMessage", () => client().dtls.lastMessage, "array"),
      member("DtlsClient#connected", () => client().connected, "boolean"),
    ],
    install: installWeriftDtlsFix,
  },
  {
    name: "lean-events",
    module: "werift_event_fix.ts",
    members: [
      member("Event#execute", () => event().execute, "function"),
      member("Event#event.stack", () => event().event.stack, "array"),
      member("Event#event.promiseStack", () => event().event.promiseStack, "array"),
      member("Event#ended", () => event().ended, "boolean"),
      member("Connection#protocols", () => connection().protocols, "array"),
    ],
  },
  {
    name: "ice-recheck",
    module: "werift_ice_fix.ts",
    members: [
      member("Connection#checkStart", () => connection().checkStart, "function"),
      member("Connection#checkList", () => connection().checkList, "array"),
      declared("Connection#nominated", connection, "nominated"),
      member("CandidatePair#updateState", () => pair().updateState, "function"),
      declared("CandidatePair#handle", pair, "handle"),
    ],
  },
  {
    name: "relay-gathering",
    module: "ice_gathering.ts",
    members: [
      member(
        "Connection#getCandidatePromises",
        () => connection().getCandidatePromises,
        "function",
      ),
      member("Connection#ensureProtocol", () => connection().ensureProtocol, "function"),
      member(
        "Connection#appendLocalCandidate",
        () => connection().appendLocalCandidate,
        "function",
      ),
      member("Connection#generation", () => connection().generation, "number"),
      member("Connection#localUsername", () => connection().localUsername, "string"),
    ],
  },
  {
    name: "no-default-stun",
    module: "werift_stun_fix.ts",
    members: [
      member(
        "Connection.prototype.applyStunTurnServersFromOptions",
        () =>
          (Connection.prototype as unknown as Record<string, unknown>)
            .applyStunTurnServersFromOptions,
        "function",
      ),
      member("Connection#options", () => connection().options, "object"),
      declared("Connection#stunServer", connection, "stunServer"),
    ],
    install: installWeriftStunFix,
  },
  {
    name: "rtp-header-parser",
    module: "werift_rtp_fix.ts",
    members: [member("RtpHeader.deSerialize", () => RtpHeader.deSerialize, "function")],
    install: installWeriftRtpFix,
  },
  {
    name: "srtp-cipher",
    module: "werift_srtp_fix.ts",
    members: [
      member(
        "RTCDtlsTransport.prototype.updateSrtpSession",
        () => dtlsProto.updateSrtpSession,
        "function",
      ),
      member("SrtpContext#srtpSessionKey", () => srtp().localContext.srtpSessionKey, "object"),
      member("SrtpContext#srtpSessionSalt", () => srtp().localContext.srtpSessionSalt, "object"),
      member(
        "SrtpContext#srtpSessionAuthTag",
        () => srtp().localContext.srtpSessionAuthTag,
        "object",
      ),
      member(
        "SrtpContext#cipher.encryptRTCP",
        () => srtp().localContext.cipher.encryptRTCP,
        "function",
      ),
      member(
        "SrtpContext#cipher.decryptRTCP",
        () => srtp().localContext.cipher.decryptRTCP,
        "function",
      ),
      member("SrtcpContext#profile", () => srtcp().remoteContext.profile, "number"),
      member(
        "SrtcpContext#cipher.decryptRTCP",
        () => srtcp().remoteContext.cipher.decryptRTCP,
        "function",
      ),
    ],
    install: installWeriftSrtpFix,
  },
  {
    name: "libc-udp-transport",
    module: "libc_udp_transport.ts",
    members: [
      member("UdpTransport.init", () => (UdpTransport as UdpTransportStatics).init, "function"),
    ],
    install: installUdpTransport,
  },
  {
    name: "media-fast-path",
    module: "media_fast_path.ts",
    members: [
      member("RTCDtlsTransport.prototype.startSrtp", () => dtlsProto.startSrtp, "function"),
      member("Connection#onData.subscribe", () => connection().onData.subscribe, "function"),
      member(
        "Connection#canSendApplicationData",
        () => connection().canSendApplicationData,
        "function",
      ),
      member("Connection#protocols", () => connection().protocols, "array"),
      declared("Connection#nominated", connection, "nominated"),
      declared("CandidatePair#protocol", pair, "protocol"),
      declared("CandidatePair#remoteCandidate", pair, "remoteCandidate"),
      member("RTCRtpReceiver#handleRTP", () => receiver().handleRTP, "function"),
      member("RTCRtpReceiver#remoteStreams", () => receiver().remoteStreams, "object"),
      member("RTCRtpSender#ntpTimestamp", () => sender().ntpTimestamp, "bigint"),
      member("RTCRtpSender#rtpTimestamp", () => sender().rtpTimestamp, "number"),
      member("RTCRtpSender#packetCount", () => sender().packetCount, "number"),
      member("RTCRtpSender#octetCount", () => sender().octetCount, "number"),
    ],
    install: installMediaFastPath,
  },
];

/**
 * Installs `patches` all or nothing: throws, installing none, unless
 * `version` is {@linkcode PINNED_WERIFT_VERSION} and every patch's members
 * are present. {@linkcode installWeriftPatches} runs it on the real table.
 */
export function installPatches<Name extends string>(
  patches: readonly WeriftPatch<Name>[],
  version: string,
): void {
  if (version !== PINNED_WERIFT_VERSION) {
    throw new Error(
      `werift ${version} is installed, but the bridge's werift patches were written for ` +
        `${PINNED_WERIFT_VERSION}; none was installed. Re-check each patch in ` +
        "bridge/webrtc/werift_patches.ts against it, then update PINNED_WERIFT_VERSION.",
    );
  }
  const missing = patches.flatMap((patch) =>
    patch.members.flatMap((m) => {
      const problem = absence(m);
      return problem ? [`patch "${patch.name}" (${patch.module}): ${m.name} ${problem}`] : [];
    })
  );
  if (missing.length > 0) {
    throw new Error(
      `werift ${version} lacks what the bridge's patches replace or read; none was installed:\n` +
        missing.map((line) => `  - ${line}`).join("\n"),
    );
  }
  for (const patch of patches) patch.install?.();
}

function absence(m: WeriftMember): string | undefined {
  try {
    return m.present() ? undefined : `is missing or not ${m.expected}`;
  } catch (error) {
    return `could not be read: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** What {@linkcode installWeriftPatches} put in place. */
export interface InstalledWeriftPatches {
  /** The sockets werift's ICE candidates use: libc where it works, Deno's elsewhere. */
  udpTransport: "libc" | "deno";
}

let installed: InstalledWeriftPatches | undefined;

/**
 * Installs every werift patch, once per process, before any peer exists:
 * at bridge start-up, and in tests and tools that make peers or callers.
 * Throws, installing nothing, when werift is not the pinned version or lacks
 * a member a patch needs. Later calls return the first call's result.
 */
export function installWeriftPatches(): InstalledWeriftPatches {
  if (!installed) {
    installPatches(WERIFT_PATCHES, installedWeriftVersion());
    installed = { udpTransport: udpTransportKind() };
  }
  return installed;
}

/** Throws unless {@linkcode installWeriftPatches} has run: a peer must not run on bare werift. */
export function assertWeriftPatchesInstalled(): void {
  if (installed) return;
  throw new Error(
    "werift patches are not installed: call installWeriftPatches() " +
      "(bridge/webrtc/werift_patches.ts) once at start-up, before making a peer",
  );
}
