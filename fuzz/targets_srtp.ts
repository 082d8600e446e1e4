/**
 * Fuzz target for SRTP unprotection (`lib/srtp`), both profiles: a fixture
 * packet is protected with fixed session keys, then its bytes, rollover
 * counter or claimed header length are mutated. `unprotectRtp` must never
 * throw, must refuse every changed packet or counter (an accepted forgery
 * is a finding), and must give back the original for the untouched one.
 *
 * @module
 */
import { isDeepStrictEqual } from "node:util";
import { parseRtp } from "../lib/rtp/packet.ts";
import {
  createSrtpTransform,
  type SrtpProfile,
  type SrtpTransform,
} from "../lib/srtp/srtp_transform.ts";
import { rtpPackets } from "./corpus.ts";
import { mutateBytes } from "./mutate_bytes.ts";
import { Rng } from "./rng.ts";
import { base64, defineTarget, expect, type FuzzTarget } from "./target.ts";

const PROFILES: readonly SrtpProfile[] = ["AES_CM_128_HMAC_SHA1_80", "AEAD_AES_128_GCM"];

/** A plain RTP packet to protect: header length and bytes. */
interface PlainPacket {
  headerLength: number;
  bytes: Uint8Array;
}

/** One unprotect call and what was protected. */
interface SrtpInput {
  profile: SrtpProfile;
  packet: Uint8Array;
  headerLength: number;
  roc: number;
  protectedPacket: Uint8Array;
  original: PlainPacket & { roc: number };
}

/** The transforms, keyed once from a fixed seed: keys do not matter to parsing. */
const transforms: ReadonlyMap<SrtpProfile, SrtpTransform> = (() => {
  const rng = new Rng(3711);
  return new Map(PROFILES.map((profile) => [
    profile,
    createSrtpTransform(
      profile,
      profile === "AEAD_AES_128_GCM"
        ? { key: rng.bytes(16), salt: rng.bytes(12) }
        : { key: rng.bytes(16), salt: rng.bytes(14), authKey: rng.bytes(20) },
    ),
  ]));
})();

function transform(profile: SrtpProfile): SrtpTransform {
  return transforms.get(profile)!;
}

/** The RTP fixtures that parse, split at the end of their header. */
async function plainPackets(): Promise<PlainPacket[]> {
  return (await rtpPackets()).flatMap((bytes) => {
    const r = parseRtp(bytes);
    if (!r.ok) return [];
    return [{ headerLength: r.packet.payload.byteOffset - bytes.byteOffset, bytes }];
  });
}

/** Header lengths that do not fit, or fit differently. */
function otherHeaderLength(rng: Rng, original: number, length: number): number {
  return rng.pick([0, 11, original + 4, length - 1, length, length + 1, NaN, -1, 1.5, 2 ** 31]);
}

function generate(rng: Rng, seeds: readonly PlainPacket[]): SrtpInput {
  const profile = rng.pick(PROFILES);
  const seed = rng.pick(seeds);
  const roc = rng.chance(0.5) ? 0 : rng.u32();
  const { headerLength, bytes } = seed;
  const protectedPacket = transform(profile).protectRtp(
    bytes.subarray(0, headerLength),
    bytes.subarray(headerLength),
    roc,
  );
  let packet = protectedPacket;
  if (rng.chance(0.8)) {
    const rounds = 2 ** rng.below(3);
    for (let i = 0; i < rounds; i++) packet = mutateBytes(rng, packet, [protectedPacket]);
  }
  return {
    profile,
    packet,
    headerLength: rng.chance(0.2)
      ? otherHeaderLength(rng, headerLength, packet.length)
      : headerLength,
    roc: rng.chance(0.15) ? rng.u32() : roc,
    protectedPacket,
    original: { ...seed, roc },
  };
}

function check(input: SrtpInput): void {
  const { profile, packet, headerLength, roc, original } = input;
  const t = transform(profile);
  const plain = t.unprotectRtp(packet, headerLength, roc);
  const untouched = isDeepStrictEqual(packet, input.protectedPacket) && roc === original.roc;
  if (!untouched) return expect(plain === null, "a changed packet or counter authenticated");
  if (headerLength === original.headerLength) {
    return expect(
      plain !== null && isDeepStrictEqual(plain, original.bytes),
      "the untouched packet did not unprotect to the original",
    );
  }
  // GCM authenticates the header as AAD: another header length cannot verify.
  if (profile === "AEAD_AES_128_GCM") expect(plain === null, "GCM accepted another AAD length");
  if (plain !== null) expect(plain.length === packet.length - t.tagLength, "wrong output length");
}

/** `lib/srtp`: unprotect never throws, refuses forgeries, restores the original. */
export const srtpTarget: FuzzTarget = defineTarget({
  name: "srtp",
  about: "SRTP unprotect (AES-CM, GCM): no throw, every mutated packet/ROC refused",
  seeds: plainPackets,
  generate,
  check,
  encode: (i) =>
    JSON.stringify({
      profile: i.profile,
      headerLength: i.headerLength,
      roc: i.roc,
      packet: base64(i.packet),
      original: { roc: i.original.roc, rtp: base64(i.original.bytes) },
    }),
});
