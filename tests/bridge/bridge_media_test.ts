/**
 * The bridge against a fake WhatsApp caller over real ICE, DTLS-SRTP and Opus
 * on loopback: the answer passes Meta's checklist, tones cross both ways, DTMF
 * reaches the agent and our first packet follows `/accept`.
 */
import assert from "node:assert/strict";
import { concatPcm } from "../../lib/audio/pcm.ts";
import { dominantTone, sine } from "../../lib/audio/tone.ts";
import { checkWhatsAppAnswer } from "../../lib/sdp/whatsapp.ts";
import { WhatsAppCaller } from "../../simulator/whatsapp_caller.ts";
import { startTestBridge, TEST_BRIDGE_SECRET as SECRET } from "../support/test_bridge.ts";
import { ToneAgent } from "../support/tone_agent.ts";
import { until } from "../support/until.ts";

const CALLER_HZ = 440;
const AGENT_HZ = 1000;

Deno.test("bridge answers a WhatsApp offer and carries audio and DTMF both ways", async () => {
  const agents: ToneAgent[] = [];
  const { bridge } = startTestBridge({}, {
    createAgent: () => {
      const a = new ToneAgent(AGENT_HZ, 1);
      agents.push(a);
      return a;
    },
  });
  const caller = await WhatsAppCaller.create({ voice: () => sine(CALLER_HZ, 24000, 480, 8000) });
  const auth = { authorization: `Bearer ${SECRET}`, "content-type": "application/json" };
  try {
    const res = await fetch(`${bridge.url}/sessions`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({
        callId: "wacid.media1",
        phoneNumberId: "106540352242922",
        from: "16315553602",
        to: "16315553601",
        sdp: caller.offerSdp,
      }),
    });
    assert.equal(res.status, 201);
    const { sessionId, sdp } = await res.json();
    assert.deepEqual(checkWhatsAppAnswer(sdp), [], "the answer passes Meta's checklist");

    await caller.applyAnswer(sdp);
    await caller.connected();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(caller.heardRtp.length, 0, "no media before /accept");

    const acceptAt = performance.now();
    const acc = await fetch(`${bridge.url}/sessions/${sessionId}/accept`, {
      method: "POST",
      headers: auth,
    });
    assert.equal(acc.status, 200);
    await acc.body?.cancel();
    await until(() => caller.heard.length >= 50, 5000, "one second of agent audio");
    assert.ok(caller.firstPacketAt! >= acceptAt, "our first packet follows /accept");
    // Not a latency figure (the bench measures that; parallel tests load the
    // CPU): a start that waited for the agent or a timer would take seconds.
    assert.ok(caller.firstPacketAt! - acceptAt < 1000, "and comes right after it");
    assert.equal(caller.heardRtp[0]!.marker, true);
    assert.equal(new Set(caller.heardRtp.map((p) => p.ssrc)).size, 1, "one SSRC");

    const agent = agents[0]!;
    await until(() => agent.heard.length >= 50, 5000, "one second of caller audio");
    await caller.sendDtmf("7");
    await caller.sendDtmf("#");
    await until(() => agent.digits.length >= 2, 3000, "two DTMF digits");
    assert.deepEqual(agent.digits, ["7", "#"]);

    const candidates = [CALLER_HZ, AGENT_HZ, 659.25, 880];
    const heard = caller.heardPcm(10).subarray(0, 24000 * 0.6);
    assert.equal(
      dominantTone(heard, 24000, candidates).freqHz,
      AGENT_HZ,
      "the caller hears the agent",
    );
    const got = concatPcm(agent.heard.slice(10, 40));
    assert.equal(
      dominantTone(got, 24000, candidates).freqHz,
      CALLER_HZ,
      "the agent hears the caller",
    );

    const status = await (await fetch(`${bridge.url}/sessions/${sessionId}`, { headers: auth }))
      .json();
    assert.equal(status.state, "active");
    assert.ok(status.rtp.packetsSent > 50);
    assert.ok(!JSON.stringify(status).includes("16315553602"), "numbers are masked");

    const del = await fetch(`${bridge.url}/sessions/${sessionId}`, {
      method: "DELETE",
      headers: auth,
      body: JSON.stringify({ reason: "caller_hangup" }),
    });
    assert.equal(del.status, 200);
    await del.body?.cancel();
  } finally {
    await caller.close();
    await bridge.close(0);
  }
});
