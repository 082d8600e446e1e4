/**
 * The bridge against a real libwebrtc caller. Headless Chromium, driven by
 * puppeteer-core, plays WhatsApp's part: it offers only Opus and
 * telephone-event/8000 as Meta does, talks from a fake microphone (a 440 Hz
 * tone) and listens with WebAudio. Our werift fake caller proves the bridge
 * against werift; this proves ICE, DTLS-SRTP, Opus both ways and RFC 4733
 * DTMF against libwebrtc, a stack we did not write.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import puppeteer, { type Browser, type JSHandle, type Page } from "puppeteer-core";
import { concatPcm } from "../../lib/audio/pcm.ts";
import { dominantTone, sine } from "../../lib/audio/tone.ts";
import { checkWhatsAppAnswer, validateWhatsAppOffer } from "../../lib/sdp/whatsapp.ts";
import { encodeWav } from "../../lib/audio/wav.ts";
import { startTestBridge, TEST_BRIDGE_SECRET } from "../support/test_bridge.ts";
import { ToneAgent } from "../support/tone_agent.ts";
import { until } from "../support/until.ts";

const AUTH = { authorization: `Bearer ${TEST_BRIDGE_SECRET}`, "content-type": "application/json" };
const MIC_HZ = 440;
const AGENT_HZ = 1000;
const TONES = [MIC_HZ, AGENT_HZ, 659.25, 880];

function findChromium(): string | undefined {
  const fromEnv = Deno.env.get("CHROMIUM_PATH");
  if (fromEnv) return fromEnv;
  try {
    if (Deno.statSync("/usr/bin/chromium").isFile) return "/usr/bin/chromium";
  } catch { /* not there: ask the PATH */ }
  try {
    const which = new Deno.Command("which", { args: ["chromium"], stdout: "piped" }).outputSync();
    const path = new TextDecoder().decode(which.stdout).trim();
    return which.success && path ? path : undefined;
  } catch {
    return undefined;
  }
}

const chromiumPath = findChromium();

function launch(executablePath: string, dir: string, micWav: string): Promise<Browser> {
  return puppeteer.launch({
    executablePath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--use-fake-ui-for-media-stream",
      "--use-fake-device-for-media-stream",
      `--use-file-for-fake-audio-capture=${micWav}`,
      "--autoplay-policy=no-user-gesture-required",
      `--user-data-dir=${join(dir, "profile")}`,
    ],
  });
}

/** In the page: mic → sendrecv transceiver limited to Opus + telephone-event/8000. */
async function createCaller(): Promise<RTCPeerConnection> {
  // Granted microphone access also lifts mDNS hiding: candidates carry IP
  // literals, as Meta's do (the bridge ignores hostname candidates).
  const stream = await navigator.mediaDevices.getUserMedia({
    // The tone should reach the bridge as generated.
    audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
  });
  const pc = new RTCPeerConnection();
  const transceiver = pc.addTransceiver(stream.getAudioTracks()[0]!, {
    direction: "sendrecv",
    streams: [stream],
  });
  const codecs = RTCRtpReceiver.getCapabilities("audio")?.codecs ?? [];
  transceiver.setCodecPreferences(codecs.filter((c) => {
    const mime = c.mimeType.toLowerCase();
    return mime === "audio/opus" || (mime === "audio/telephone-event" && c.clockRate === 8000);
  }));
  return pc;
}

/** In the page: the complete offer (Meta does not trickle, so neither do we). */
async function gatheredOffer(pc: RTCPeerConnection): Promise<string> {
  await pc.setLocalDescription();
  await new Promise<void>((resolve) => {
    const check = () => {
      if (pc.iceGatheringState === "complete") resolve();
    };
    pc.addEventListener("icegatheringstatechange", check);
    check();
  });
  return pc.localDescription!.sdp;
}

/** In the page: applies the answer and waits for ICE + DTLS. */
async function applyAnswer(pc: RTCPeerConnection, sdp: string, timeoutMs: number): Promise<void> {
  await pc.setRemoteDescription({ type: "answer", sdp });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still ${pc.connectionState}`)), timeoutMs);
    const check = () => {
      if (pc.connectionState === "connected") {
        clearTimeout(timer);
        resolve();
      } else if (pc.connectionState === "failed") {
        clearTimeout(timer);
        reject(new Error("connection failed"));
      }
    };
    pc.addEventListener("connectionstatechange", check);
    check();
  });
}

/**
 * In the page: the loudest frequency of the remote track over `ms`, by
 * averaging power spectra. Chromium only feeds a remote track to WebAudio
 * while a media element consumes it, hence the muted `<audio>`.
 */
async function remotePeak(
  pc: RTCPeerConnection,
  ms: number,
): Promise<{ hz: number; db: number }> {
  const stream = new MediaStream([pc.getReceivers()[0]!.track]);
  const element = new Audio();
  element.muted = true;
  element.srcObject = stream;
  await element.play();
  const ctx = new AudioContext();
  await ctx.resume();
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 4096;
  analyser.smoothingTimeConstant = 0;
  ctx.createMediaStreamSource(stream).connect(analyser);
  const db = new Float32Array(analyser.frequencyBinCount);
  const power = new Float64Array(analyser.frequencyBinCount);
  const rounds = Math.ceil(ms / 50);
  for (let round = 0; round < rounds; round++) {
    await new Promise((r) => setTimeout(r, 50));
    analyser.getFloatFrequencyData(db);
    db.forEach((v, i) => power[i]! += 10 ** (v / 10));
  }
  let peak = 1; // skip DC
  for (let i = 2; i < power.length; i++) if (power[i]! > power[peak]!) peak = i;
  await ctx.close();
  element.srcObject = null;
  return {
    hz: (peak * ctx.sampleRate) / analyser.fftSize,
    db: 10 * Math.log10(power[peak]! / rounds),
  };
}

/** In the page: RTP counters and the codec actually received. */
async function rtpStats(
  pc: RTCPeerConnection,
): Promise<{ received: number; sent: number; codec: string }> {
  const stats = [...(await pc.getStats()).values()] as Array<Record<string, unknown>>;
  const inbound = stats.find((s) => s.type === "inbound-rtp" && s.kind === "audio");
  const outbound = stats.find((s) => s.type === "outbound-rtp" && s.kind === "audio");
  const codec = stats.find((s) => s.type === "codec" && s.id === inbound?.codecId);
  return {
    received: Number(inbound?.packetsReceived ?? 0),
    sent: Number(outbound?.packetsSent ?? 0),
    codec: String(codec?.mimeType ?? "none"),
  };
}

/** One call in progress: the page's peer connection and the bridge's session. */
interface Call {
  pc: JSHandle<RTCPeerConnection>;
  callId: string;
  sessionId: string;
}

/** Chromium calls the bridge: offer, `POST /sessions`, answer, until ICE and DTLS are up. */
async function dial(page: Page, bridgeUrl: string, callId: string): Promise<Call> {
  const pc: JSHandle<RTCPeerConnection> = await page.evaluateHandle(createCaller);
  const offer = await pc.evaluate(gatheredOffer);
  const validation = validateWhatsAppOffer(offer);
  assert.ok(validation.ok, `Chromium's offer passes our WhatsApp offer checks: ${offer}`);
  const res = await fetch(`${bridgeUrl}/sessions`, {
    method: "POST",
    headers: AUTH,
    body: JSON.stringify({
      callId,
      phoneNumberId: "106540352242922",
      from: "16315553602",
      to: "16315553601",
      sdp: offer,
    }),
  });
  assert.equal(res.status, 201);
  const { sessionId, sdp: answer } = await res.json();
  const { mid, opusPt, telephoneEventPt, opusFmtp } = validation.offer;
  assert.deepEqual(
    checkWhatsAppAnswer(answer, { mid, opusPt, telephoneEventPt, ...(opusFmtp && { opusFmtp }) }),
    [],
    "the answer follows the offer's mid and payload types",
  );
  await pc.evaluate(applyAnswer, answer, 20_000);
  return { pc, callId, sessionId };
}

/** Polls the bridge until it has decrypted RTP of the call, or `timeoutMs` passes. */
async function bridgeDecrypts(bridgeUrl: string, sessionId: string, timeoutMs: number) {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${bridgeUrl}/sessions/${sessionId}`, { headers: AUTH });
    const received = Number((await res.json()).rtp?.packetsReceived ?? 0);
    if (received > 0 || performance.now() > end) return received > 0;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function hangUp(bridgeUrl: string, sessionId: string): Promise<void> {
  const res = await fetch(`${bridgeUrl}/sessions/${sessionId}`, {
    method: "DELETE",
    headers: AUTH,
  });
  assert.equal(res.status, 200);
  await res.body?.cancel();
}

/**
 * Dials once and requires media to flow on that first call. A cold first
 * handshake used to hit werift's DTLS retransmission bug (connected, but
 * every SRTP packet failing authentication); `bridge/webrtc/werift_dtls_fix.ts`
 * fixes it, and this is its regression test.
 */
async function dialWithMedia(page: Page, bridgeUrl: string): Promise<Call> {
  const call = await dial(page, bridgeUrl, "wacid.chromium1");
  if (await bridgeDecrypts(bridgeUrl, call.sessionId, 5000)) return call;
  const stats = await call.pc.evaluate(rtpStats);
  throw new Error(
    `ICE+DTLS connected but no SRTP decrypted (Chromium sent ${stats.sent}, ` +
      `received ${stats.received} RTP packets): DTLS keys disagree`,
  );
}

async function callFromChromium(executablePath: string): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "chromium_interop_" });
  const micWav = join(dir, "mic.wav");
  // Chromium loops the file; whole cycles keep the loop seamless.
  await Deno.writeFile(micWav, encodeWav(sine(MIC_HZ, 48000, 48000 * 2, 8000), 48000));
  const agents = new Map<string, ToneAgent>();
  // Chromium never gathers loopback, so a loopback socket would only add a prflx pair.
  const { bridge } = startTestBridge({ ICE_INCLUDE_LOOPBACK: "false" }, {
    createAgent: (callId) => {
      // Longer than the test, so the page hears the tone whenever it listens.
      const agent = new ToneAgent(AGENT_HZ, 30);
      agents.set(callId, agent);
      return agent;
    },
  });
  let browser: Browser | undefined;
  try {
    browser = await launch(executablePath, dir, micWav);
    const page = await browser.newPage();
    // getUserMedia needs a secure context, which about:blank and data: URLs
    // are not; a loopback http origin is, and the bridge already serves one.
    await page.goto(`${bridge.url}/healthz`);
    const { pc, callId, sessionId } = await dialWithMedia(page, bridge.url);
    const agent = agents.get(callId)!;

    const accept = await fetch(`${bridge.url}/sessions/${sessionId}/accept`, {
      method: "POST",
      headers: AUTH,
    });
    assert.equal(accept.status, 200);
    await accept.body?.cancel();

    await until(() => agent.heard.length >= 100, 15_000, "two seconds of Chromium's microphone");
    const heard = agent.heard.slice(50, 100);
    const pcm = concatPcm(heard);
    assert.equal(dominantTone(pcm, 24000, TONES).freqHz, MIC_HZ, "the agent hears the caller");

    const peak = await pc.evaluate(remotePeak, 1000);
    assert.ok(
      Math.abs(peak.hz - AGENT_HZ) < 20,
      `Chromium hears the agent's tone, got ${peak.hz} Hz`,
    );
    assert.ok(peak.db > -50, `and loud, got ${peak.db.toFixed(1)} dBFS`);

    await pc.evaluate((pc) => pc.getSenders()[0]!.dtmf!.insertDTMF("12#", 100, 70));
    await until(() => agent.digits.length >= 3, 10_000, "three DTMF digits");
    assert.deepEqual(agent.digits, ["1", "2", "#"], "libwebrtc's RFC 4733 digits reach the agent");

    const stats = await pc.evaluate(rtpStats);
    assert.equal(stats.codec, "audio/opus");
    assert.ok(stats.received > 50, `Chromium received ${stats.received} RTP packets`);
    assert.ok(stats.sent > 50, `Chromium sent ${stats.sent} RTP packets`);

    await hangUp(bridge.url, sessionId);
  } finally {
    await browser?.close();
    await bridge.close(0);
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "bridge interoperates with Chromium: ICE, DTLS-SRTP, Opus both ways, DTMF [chromium]",
  ignore: !chromiumPath,
  fn: () => callFromChromium(chromiumPath!),
});
