/**
 * `deno task call`: places a simulated WhatsApp call against a running stack
 * (`deno task dev` by default) and prints its timeline. It plays Meta's part:
 * a fake Graph API on the port the stack's `WHATSAPP_GRAPH_URL` names, a
 * signed `connect` webhook, and a caller whose voice is a WAV file, speech
 * from `espeak-ng` when installed, or tone bursts. What the
 * caller heard is saved as a WAV.
 *
 * ```sh
 * deno task call [--wav in.wav | --say "text"] [--out heard.wav] [--listen 4] [--dtmf 12#]
 *                [--from NUMBER] [--user-id BSUID] [--username U] [--name N]
 *                [--cta-payload P] [--deeplink-payload P]
 *                [--functions-url URL] [--app-secret S] [--graph-port 54330] [--access-token T]
 * ```
 *
 * `--user-id` without `--from` calls as a WhatsApp username user whose number
 * Meta hides: the webhooks carry the business-scoped user id only.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { resampleClip } from "../lib/audio/resample.ts";
import { sine } from "../lib/audio/tone.ts";
import { decodeWav, encodeWav } from "../lib/audio/wav.ts";
import type { DtmfDigit } from "../lib/rtp/dtmf.ts";
import { FakeMetaGraph } from "../simulator/meta_graph.ts";
import {
  type CallTimeline,
  placeSimulatedCall,
  simulatedCaller,
} from "../simulator/simulated_call.ts";
import { DEV_DEFAULTS, SANDBOX_GRAPH_PORT } from "./dev.ts";
import { speakLocally } from "../bridge/agents/local_speech.ts";

/** Reads a WAV (any rate, first channel) as 24 kHz mono PCM, or explains why not. */
export function speechFromWav(bytes: Uint8Array): Int16Array {
  const wav = decodeWav(bytes);
  if ("error" in wav) throw new Error(`cannot read WAV: ${wav.error}`);
  return resampleClip(wav.samples, wav.sampleRate, 24000);
}

/** Three short 440 Hz "syllables": audible through any agent, detectable in tests. */
function toneSpeech(): Int16Array {
  const out = new Int16Array(24000 * 1.5);
  for (let k = 0; k < 3; k++) out.set(sine(440, 24000, 9600, 8000), k * 12000);
  return out;
}

const STEP_NAMES: Record<keyof CallTimeline, string> = {
  webhookSent: "connect webhook sent",
  preAccept: "pre_accept received",
  accept: "accept received",
  mediaConnected: "ICE + DTLS connected",
  firstAgentAudio: "first agent audio heard",
  hangup: "caller hung up",
};

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      "functions-url": {
        type: "string",
        default: `http://127.0.0.1:${DEV_DEFAULTS.FUNCTIONS_PORT}/functions/v1`,
      },
      "app-secret": {
        type: "string",
        default: Deno.env.get("WHATSAPP_APP_SECRET") ?? DEV_DEFAULTS.WHATSAPP_APP_SECRET,
      },
      "access-token": {
        type: "string",
        default: Deno.env.get("WHATSAPP_ACCESS_TOKEN") ?? DEV_DEFAULTS.WHATSAPP_ACCESS_TOKEN,
      },
      "graph-port": { type: "string", default: String(SANDBOX_GRAPH_PORT) },
      wav: { type: "string" },
      say: { type: "string" },
      out: { type: "string", default: "heard.wav" },
      listen: { type: "string", default: "4" },
      dtmf: { type: "string", default: "" },
      from: { type: "string" },
      "user-id": { type: "string" },
      username: { type: "string" },
      name: { type: "string" },
      "cta-payload": { type: "string" },
      "deeplink-payload": { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(
      "deno task call [--wav in.wav | --say text] [--out heard.wav] [--listen s] [--dtmf 12#]\n" +
        "  [--from NUMBER] [--user-id BSUID (alone: a username caller without a number)]\n" +
        "  [--username U] [--name N] [--cta-payload P] [--deeplink-payload P]\n" +
        "  [--functions-url URL] [--app-secret S] [--access-token T] [--graph-port N]",
    );
    Deno.exit(0);
  }
  const digits = [...values.dtmf].filter((d): d is DtmfDigit => /^[0-9*#A-D]$/.test(d));
  let speech: Int16Array;
  let source: string;
  if (values.wav) {
    speech = speechFromWav(await Deno.readFile(values.wav));
    source = values.wav;
  } else {
    const text = values.say ?? "Hello! I would like to check the status of my order, please.";
    const spoken = await speakLocally(text);
    speech = spoken ?? toneSpeech();
    source = spoken ? `espeak-ng: "${text}"` : "tone bursts (install espeak-ng for speech)";
  }
  const graph = new FakeMetaGraph({ accessToken: values["access-token"] });
  let server: { close(): Promise<void> };
  try {
    server = await graph.start(Number(values["graph-port"]));
  } catch (error) {
    console.error(`cannot serve the fake Meta Graph API on port ${values["graph-port"]}: ${error}`);
    Deno.exit(1);
  }
  console.log(
    `calling ${values["functions-url"]}/wa-webhook-core as a WhatsApp user; caller says ${source}`,
  );
  try {
    const result = await placeSimulatedCall({
      webhookUrl: `${values["functions-url"]}/wa-webhook-core`,
      appSecret: values["app-secret"],
      graph,
      speech,
      dtmf: digits,
      listenMs: Number(values.listen) * 1000,
      ...simulatedCaller({
        user: values.from,
        userId: values["user-id"],
        username: values.username,
        callerName: values.name,
        ctaPayload: values["cta-payload"],
        deeplinkPayload: values["deeplink-payload"],
      }),
      onStep: (step, ms) => console.log(`  ${ms.toFixed(0).padStart(6)} ms  ${STEP_NAMES[step]}`),
    });
    await Deno.writeFile(values.out, encodeWav(result.heard, 24000));
    console.log(
      `call ${result.callId}: ${result.outcome}; caller heard ${
        (result.heard.length / 24000).toFixed(1)
      } s, saved to ${values.out}`,
    );
    Deno.exitCode = result.outcome === "completed" ? 0 : 1;
  } catch (error) {
    console.error(`call failed: ${error instanceof Error ? error.message : error}`);
    Deno.exitCode = 1;
  } finally {
    await server.close();
  }
}
