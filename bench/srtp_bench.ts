/**
 * Per-packet SRTP cost for a 160-byte RTP packet (12-byte header, 148-byte
 * payload), both profiles, both directions, next to werift 0.25.2's own
 * cipher (node:crypto per packet) measured in the same run, which this
 * module replaces in the bridge.
 *
 * @module
 */
import {
  ProtectionProfileAeadAes128Gcm,
  ProtectionProfileAes128CmHmacSha1_80,
  RtpHeader,
  SrtpSession,
} from "werift";
import { type BenchSuite, type Figure, timePerCallNs } from "./figure.ts";
import { createSrtpTransform, type SrtpProfile } from "../lib/srtp/srtp_transform.ts";

const HEADER = new RtpHeader({
  payloadType: 111,
  sequenceNumber: 4711,
  timestamp: 960,
  ssrc: 0x1234abcd,
});
const PAYLOAD = Uint8Array.from({ length: 148 }, (_, i) => i * 7);
const ROC = 3;
const TARGET_US = 5;

/** werift's RTP cipher, reached through the session werift builds after DTLS. */
interface WeriftCipher {
  srtpSessionKey: Uint8Array;
  srtpSessionSalt: Uint8Array;
  srtpSessionAuthTag?: Uint8Array;
  encryptRtp(header: RtpHeader, payload: Uint8Array, roc: number): Uint8Array;
  decryptRtp(packet: Uint8Array, roc: number, header: RtpHeader): unknown;
}

function weriftCipher(profile: SrtpProfile): WeriftCipher {
  const gcm = profile === "AEAD_AES_128_GCM";
  // werift wants Buffers; its serializer makes them without a node: import in lib/.
  const key = HEADER.serialize(16).fill(0x11);
  const salt = HEADER.serialize(gcm ? 12 : 14).fill(0x22);
  const session = new SrtpSession({
    keys: {
      localMasterKey: key,
      localMasterSalt: salt,
      remoteMasterKey: key,
      remoteMasterSalt: salt,
    },
    profile: gcm ? ProtectionProfileAeadAes128Gcm : ProtectionProfileAes128CmHmacSha1_80,
  });
  return (session.localContext as unknown as { cipher: WeriftCipher }).cipher;
}

function measure(profile: SrtpProfile): Figure[] {
  const werift = weriftCipher(profile);
  const ours = createSrtpTransform(profile, {
    key: werift.srtpSessionKey,
    salt: werift.srtpSessionSalt.subarray(0, profile === "AEAD_AES_128_GCM" ? 12 : 14),
    ...(werift.srtpSessionAuthTag ? { authKey: werift.srtpSessionAuthTag } : {}),
  });
  const header = HEADER.serialize(HEADER.serializeSize);
  const wire = ours.protectRtp(header, PAYLOAD, ROC);
  const weriftWire = werift.encryptRtp(HEADER, PAYLOAD, ROC);
  if (wire.length !== 160 + ours.tagLength || !wire.every((b, i) => b === weriftWire[i])) {
    throw new Error(`${profile}: output differs from werift's`);
  }
  const us = (fn: () => unknown) => timePerCallNs(fn, 300) / 1000;
  const protect = us(() => ours.protectRtp(header, PAYLOAD, ROC));
  const unprotect = us(() => ours.unprotectRtp(wire, 12, ROC));
  const weriftProtect = us(() => werift.encryptRtp(HEADER, PAYLOAD, ROC));
  const weriftUnprotect = us(() => werift.decryptRtp(weriftWire, ROC, HEADER));
  const figure = (what: string, value: number, theirs: number): Figure => ({
    name: `SRTP ${profile} ${what}, 160-byte RTP (werift 0.25.2: ${theirs.toFixed(1)} µs)`,
    value,
    unit: "µs/packet",
    op: "<=",
    target: TARGET_US,
  });
  return [
    figure("protect", protect, weriftProtect),
    figure("unprotect", unprotect, weriftUnprotect),
  ];
}

/** Protect and unprotect per packet, both profiles, against werift's cipher. */
export const suite: BenchSuite = {
  name: "srtp (lib/srtp/srtp_transform.ts)",
  run(): Promise<Figure[]> {
    return Promise.resolve([
      ...measure("AES_CM_128_HMAC_SHA1_80"),
      ...measure("AEAD_AES_128_GCM"),
    ]);
  },
};
