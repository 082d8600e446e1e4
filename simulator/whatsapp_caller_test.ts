/** The fake WhatsApp caller behaves like Meta's relay where tests depend on it. */
import assert from "node:assert/strict";
import { validateWhatsAppOffer } from "../lib/sdp/whatsapp.ts";
import { WhatsAppPeer } from "../bridge/webrtc/whatsapp_peer.ts";
import { WhatsAppCaller } from "./whatsapp_caller.ts";

Deno.test("fake caller offers Meta's lines, stays silent until our first packet, and drops a call without our media (138021)", async () => {
  const caller = await WhatsAppCaller.create({ mediaTimeoutMs: 600 });
  const checked = validateWhatsAppOffer(caller.offerSdp);
  assert.ok(checked.ok, checked.ok ? "" : checked.errors.join("; "));
  const offer = checked.offer;
  assert.equal(offer.mid, "audio");
  assert.equal(offer.iceLite, true);
  assert.equal(offer.setup, "actpass");
  assert.equal(offer.opusPt, 111);
  assert.equal(offer.telephoneEventPt, 126);
  assert.match(offer.opusFmtp ?? "", /maxplaybackrate=16000/);
  assert.ok(!caller.offerSdp.includes("a=ice-options:trickle"));
  const peer = await WhatsAppPeer.answer(caller.offerSdp, offer, {
    includeLoopback: true,
    allowPrivateCandidates: true,
  });
  const heard: number[] = [];
  peer.onRtp((p) => heard.push(p.sequenceNumber));
  const dropped = new Promise((resolve) => caller.onDropped(resolve));
  try {
    await caller.applyAnswer(peer.answerSdp);
    await Promise.all([caller.connected(), peer.connected(5000)]);
    assert.deepEqual(await dropped, { code: 138021, reason: "media receive timeout" });
    assert.equal(caller.framesSent, 0, "Meta sends nothing before our first packet");
    assert.equal(heard.length, 0);
  } finally {
    await caller.close();
    await peer.close();
  }
});

Deno.test("the bridge's answer honours RTP_PORT_MIN/MAX and PUBLIC_IP", async () => {
  const caller = await WhatsAppCaller.create();
  const checked = validateWhatsAppOffer(caller.offerSdp);
  assert.ok(checked.ok);
  const peer = await WhatsAppPeer.answer(caller.offerSdp, checked.offer, {
    portRange: [45000, 45100],
    publicIp: "203.0.113.7",
    // This machine's own interface is public-range; a private (here: loopback) one takes the public IP.
    includeLoopback: true,
    allowPrivateCandidates: true,
  });
  try {
    const candidates = peer.answerSdp.split("\r\n").filter((l) => l.startsWith("a=candidate:"));
    assert.ok(candidates.length > 0);
    for (const c of candidates) {
      const port = Number(c.split(" ")[5]);
      assert.ok(port >= 45000 && port <= 45100, c);
    }
    assert.ok(candidates.some((c) => c.split(" ")[4] === "203.0.113.7"), candidates.join("\n"));
    assert.ok(
      !candidates.some((c) => c.split(" ")[4] === "127.0.0.1"),
      "the private address is not announced",
    );
    assert.match(peer.answerSdp, /^c=IN IP4 203\.0\.113\.7$/m);
  } finally {
    await caller.close();
    await peer.close();
  }
});
