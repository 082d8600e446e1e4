import assert from "node:assert/strict";
import { DtlsSocket, RTCDtlsTransport, RtpHeader, UdpTransport } from "werift";
import { validateWhatsAppOffer } from "../../lib/sdp/whatsapp.ts";
import { installedWeriftVersion, type UdpTransportStatics } from "./werift_internals.ts";
import {
  assertWeriftPatchesInstalled,
  installPatches,
  installWeriftPatches,
  PINNED_WERIFT_VERSION,
  WERIFT_PATCHES,
  type WeriftPatch,
} from "./werift_patches.ts";
import { WhatsAppPeer } from "./whatsapp_peer.ts";

// The tests run in order, and the first ones need werift still bare in this process.

/** The werift members the process-wide patches replace, as they are now. */
function replaceable(): Record<string, unknown> {
  return {
    "DtlsSocket.prototype.handleFragmentHandshake": DtlsSocket.prototype.handleFragmentHandshake,
    "RTCDtlsTransport.prototype.updateSrtpSession": RTCDtlsTransport.prototype.updateSrtpSession,
    "RTCDtlsTransport.prototype.startSrtp": RTCDtlsTransport.prototype.startSrtp,
    "RtpHeader.deSerialize": RtpHeader.deSerialize,
    "UdpTransport.init": (UdpTransport as UdpTransportStatics).init,
  };
}

function assertSameMembers(now: Record<string, unknown>, then: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(then)) assert.equal(now[name], value, name);
}

const BARE = replaceable();

Deno.test("the werift this process loads is the pinned version deno.json names", async () => {
  assert.equal(installedWeriftVersion(), PINNED_WERIFT_VERSION);
  const config = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  assert.equal(config.imports.werift, `npm:werift@${PINNED_WERIFT_VERSION}`);
});

Deno.test("before installWeriftPatches, a peer refuses to run on bare werift", async () => {
  assert.throws(() => assertWeriftPatchesInstalled(), /call installWeriftPatches\(\)/);
  const sdp = await Deno.readTextFile(
    new URL("../../tests/fixtures/sdp/meta_aiortc_offer.sdp", import.meta.url),
  );
  const checked = validateWhatsAppOffer(sdp);
  assert.ok(checked.ok);
  await assert.rejects(WhatsAppPeer.answer(sdp, checked.offer), /werift patches are not installed/);
});

Deno.test("another werift version: a clear error, and not one patch installed", () => {
  assert.throws(
    () => installPatches(WERIFT_PATCHES, "0.26.0"),
    /werift 0\.26\.0 is installed, but .* written for 0\.25\.2; none was installed/,
  );
  assertSameMembers(replaceable(), BARE);
});

Deno.test("a member gone from werift: the error names patch and member; none installed", () => {
  const proto = RTCDtlsTransport.prototype;
  const startSrtp = Object.getOwnPropertyDescriptor(proto, "startSrtp")!;
  Reflect.deleteProperty(proto, "startSrtp");
  try {
    assert.throws(() => installWeriftPatches(), (error: Error) => {
      const line = 'patch "media-fast-path" (media_fast_path.ts): ' +
        "RTCDtlsTransport.prototype.startSrtp is missing or not a function";
      assert.ok(error.message.includes(line), error.message);
      assert.match(error.message, /none was installed/);
      assert.equal(error.message.split("\n").length, 2, "only that member is named");
      return true;
    });
  } finally {
    Object.defineProperty(proto, "startSrtp", startSrtp);
  }
  assertSameMembers(replaceable(), BARE);
  assert.throws(() => assertWeriftPatchesInstalled());
});

Deno.test("installWeriftPatches replaces every member once; a second call changes nothing", () => {
  const first = installWeriftPatches();
  assertWeriftPatchesInstalled();
  const patched = replaceable();
  for (const [name, value] of Object.entries(BARE)) assert.notEqual(patched[name], value, name);
  assert.equal(installWeriftPatches(), first);
  assertSameMembers(replaceable(), patched);
});

/** A patch over one fake member, recording its install in `log`. */
function fake(name: string, present: () => boolean, log: string[]): WeriftPatch<string> {
  return {
    name,
    module: `${name}.ts`,
    members: [{ name: `Fake#${name}`, expected: "a function", present }],
    install: () => log.push(name),
  };
}

Deno.test("installPatches names every absent member of every patch and installs none", () => {
  const log: string[] = [];
  const patches = [
    fake("kept", () => true, log),
    fake("gone", () => false, log),
    fake("unreadable", () => {
      throw new TypeError("probe failed");
    }, log),
  ];
  assert.throws(() => installPatches(patches, PINNED_WERIFT_VERSION), (error: Error) => {
    assert.match(error.message, /patch "gone" \(gone\.ts\): Fake#gone is missing/);
    assert.match(error.message, /patch "unreadable" \(unreadable\.ts\): .* read: probe failed/);
    assert.doesNotMatch(error.message, /"kept"/);
    return true;
  });
  assert.deepEqual(log, []);
  installPatches([patches[0]!, fake("also", () => true, log)], PINNED_WERIFT_VERSION);
  assert.deepEqual(log, ["kept", "also"], "in table order");
});

Deno.test("each patch's module says why it exists and which upstream fix retires it", async () => {
  const names = new Set(WERIFT_PATCHES.map((p) => p.name));
  assert.equal(names.size, WERIFT_PATCHES.length, "names are unique");
  for (const patch of WERIFT_PATCHES) {
    const text = await Deno.readTextFile(new URL(patch.module, import.meta.url));
    const doc = text.slice(0, text.indexOf("@module"));
    assert.match(doc, /Why:/, patch.module);
    assert.match(doc, /Upstream fix:/, patch.module);
    assert.ok(patch.members.length > 0, `${patch.name} lists what it needs of werift`);
  }
});
