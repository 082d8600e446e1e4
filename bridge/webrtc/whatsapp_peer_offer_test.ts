/**
 * The bridge as offerer (business-initiated calls): its offer meets Meta's
 * rules, the fake phone answers it, and media flows both ways whichever DTLS
 * role Meta's answer leaves us.
 */
import assert from "node:assert/strict";
import { checkBusinessOffer, validateMetaAnswer } from "../../lib/sdp/whatsapp_business_offer.ts";
import { WhatsAppCaller } from "../../simulator/whatsapp_caller.ts";
import { installWeriftPatches } from "./werift_patches.ts";
import { WhatsAppPeer } from "./whatsapp_peer.ts";

function offerPeer(): Promise<WhatsAppPeer> {
  installWeriftPatches();
  return WhatsAppPeer.offer({ includeLoopback: true, allowPrivateCandidates: true });
}

for (const setup of ["active", "passive", "actpass"] as const) {
  Deno.test(`offer → phone answers setup:${setup} → RTP both ways`, async () => {
    const peer = await offerPeer();
    const phone = await WhatsAppCaller.answer(peer.answerSdp, {
      decode: false,
      waitForFirstPacket: false,
      opusVoice: () => new Uint8Array(20).fill(1),
      setup,
    });
    try {
      assert.deepEqual(checkBusinessOffer(peer.answerSdp), []);
      const checked = validateMetaAnswer(phone.offerSdp);
      assert.ok(checked.ok, checked.ok ? "" : checked.errors.join("; "));
      assert.equal(checked.answer.setupCoerced, setup === "actpass");
      const heard: number[] = [];
      peer.onRtp((p) => heard.push(p.sequenceNumber));
      await peer.applyAnswer(checked.answer);
      await Promise.all([peer.connected(10_000), phone.connected(10_000)]);
      for (let i = 0; i < 20; i++) {
        peer.sendOpus(new Uint8Array(30).fill(0xf8), i, i * 960, i === 0);
        await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(phone.heardRtp.filter((p) => p.ssrc === peer.ssrc).length, 20, "phone heard");
      assert.ok(heard.length >= 10, `bridge heard ${heard.length}`);
      await assert.rejects(() => peer.applyAnswer(checked.answer), /already applied/);
    } finally {
      await peer.close();
      await phone.close();
    }
  });
}
