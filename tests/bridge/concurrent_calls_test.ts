/**
 * Several calls through one bridge process must never hear each other: each
 * fake caller speaks its own tone and the echo agent must play exactly that
 * tone back to exactly that caller.
 */
import assert from "node:assert/strict";
import { dominantTone, sine } from "../../lib/audio/tone.ts";
import { WhatsAppCaller } from "../../simulator/whatsapp_caller.ts";
import { startTestBridge } from "../support/test_bridge.ts";

const TONES = [350, 500, 750, 1100];

Deno.test("concurrent calls stay isolated: each caller hears only its own echo", async () => {
  const { bridge, client } = startTestBridge({ AGENT: "echo" });
  // Speak 1 s, then stay quiet so the echo agent plays it back.
  const callers = await Promise.all(TONES.map((hz) => {
    const tone = sine(hz, 24000, 24000, 8000);
    return WhatsAppCaller.create({
      voice: (i) => (i >= 25 && i < 75 ? tone.subarray((i - 25) * 480, (i - 24) * 480) : null),
    });
  }));
  try {
    await Promise.all(callers.map(async (caller, k) => {
      const { sessionId, sdp } = await client.createSession({
        callId: `wacid.iso${k}`,
        phoneNumberId: "1",
        from: "16315550000",
        to: "16315550001",
        sdp: caller.offerSdp,
      });
      await caller.applyAnswer(sdp);
      await caller.connected();
      await client.acceptSession(sessionId);
    }));
    // chime (0.3 s) + 0.5 s lead-in + 1 s speech + 0.5 s VAD tail + 1 s echo
    await new Promise((r) => setTimeout(r, 4000));
    callers.forEach((caller, k) => {
      const heard = caller.heardPcm(0);
      const tail = heard.subarray(Math.max(0, heard.length - 24000 * 1.8));
      assert.equal(
        dominantTone(tail, 24000, [...TONES, 659.25, 880]).freqHz,
        TONES[k],
        `caller ${k} hears its own ${TONES[k]} Hz echo`,
      );
    });
  } finally {
    await Promise.all(callers.map((c) => c.close()));
    await bridge.close(0);
  }
});
