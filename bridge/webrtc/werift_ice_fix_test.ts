import assert from "node:assert/strict";
import { UdpTransport } from "werift";
import { validateWhatsAppOffer } from "../../lib/sdp/whatsapp.ts";
import { WhatsAppCaller } from "../../simulator/whatsapp_caller.ts";
import { recheckFailedPairs } from "./werift_ice_fix.ts";
import type { UdpTransportStatics } from "./werift_internals.ts";
import { installWeriftPatches } from "./werift_patches.ts";
import { WhatsAppPeer } from "./whatsapp_peer.ts";

function pair(state: number, handle?: unknown) {
  return {
    state,
    ...(handle === undefined ? {} : { handle }),
    updateState(s: number) {
      this.state = s;
    },
  };
}

Deno.test("recheckFailedPairs restarts failed idle pairs only, and only before nomination", () => {
  const started: unknown[] = [];
  const checkList = [pair(4), pair(2, "in flight"), pair(3), pair(4, "in flight"), pair(0)];
  const connection = {
    state: "checking",
    checkList,
    checkStart: (p: unknown) => (started.push(p), "handle"),
  };
  assert.equal(recheckFailedPairs(connection), 1);
  assert.deepEqual(started, [checkList[0]]);
  assert.equal(checkList[0]!.state, 1, "back to WAITING before the check starts");
  assert.equal(checkList[0]!.handle, "handle");
  assert.equal(recheckFailedPairs(connection), 0, "its check is now in flight");

  checkList[0]!.state = 4;
  delete checkList[0]!.handle;
  assert.equal(recheckFailedPairs({ ...connection, nominated: checkList[2] }), 0);
  assert.equal(recheckFailedPairs({ ...connection, state: "closed" }), 0);
});

/**
 * Drops every STUN Binding request werift sends, from sockets made meanwhile,
 * until `until`. Wraps the patched socket factory, so the patches go in first.
 */
function dropBindingRequests(): { until: number; dropped: number; restore(): void } {
  type Transport = { send(d: Uint8Array, a?: unknown): Promise<void> };
  installWeriftPatches();
  const statics = UdpTransport as UdpTransportStatics;
  const init = statics.init;
  const outage = { until: 0, dropped: 0, restore: () => void (statics.init = init) };
  statics.init = async (...args) => {
    const transport = await init(...args) as Transport;
    const send = transport.send;
    transport.send = (data, addr) => {
      if (performance.now() < outage.until && data[0] === 0 && data[1] === 1) {
        outage.dropped++;
        return Promise.resolve();
      }
      return send(data, addr);
    };
    return transport;
  };
  return outage;
}

Deno.test("a call connects after 2.5 s of unanswered checks to Meta's ICE-lite relay", async () => {
  const outage = dropBindingRequests();
  const caller = await WhatsAppCaller.create({ decode: false, mediaTimeoutMs: 60_000 });
  const checked = validateWhatsAppOffer(caller.offerSdp);
  assert.ok(checked.ok);
  outage.until = performance.now() + 2500;
  const peer = await WhatsAppPeer.answer(caller.offerSdp, checked.offer, {
    includeLoopback: true,
    allowPrivateCandidates: true,
  });
  outage.restore();
  try {
    await caller.applyAnswer(peer.answerSdp);
    // werift alone gives up on every pair after 1.55 s and never connects.
    await Promise.all([peer.connected(10_000), caller.connected(10_000)]);
    assert.ok(performance.now() >= outage.until);
    assert.ok(outage.dropped >= 10, `${outage.dropped} checks dropped`);
    assert.ok(peer.iceRechecks >= 1, "connected through a recheck");
  } finally {
    await peer.close();
    await caller.close();
  }
});
