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
 * `--outbound` places a business-initiated call instead (issue 17,
 * `simulator/outbound_call.ts`): the fake Meta grants the user's permission,
 * `wa-outbound-calls` is asked for the call, the fake phone rings, answers,
 * hears the agent first, talks for `--talk` seconds and hangs up.
 *
 * ```sh
 * deno task call --outbound [--to NUMBER] [--talk 6] [--service-role-key K] [--out heard.wav]
 * ```
 *
 * The API's bearer is `--service-role-key`, else `SUPABASE_SERVICE_ROLE_KEY`,
 * else the key `deno task dev` wrote to `.data/service_role_key`.
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
import { DEV_DEFAULTS, DEV_SERVICE_ROLE_KEY_FILE, SANDBOX_GRAPH_PORT } from "./dev.ts";
import { speakLocally } from "../bridge/agents/local_speech.ts";
import { placeOutboundCall } from "../simulator/outbound_call.ts";

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
      outbound: { type: "boolean", default: false },
      to: { type: "string", default: "447700900123" },
      talk: { type: "string", default: "6" },
      "service-role-key": { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(
      "deno task call [--wav in.wav | --say text] [--out heard.wav] [--listen s] [--dtmf 12#]\n" +
        "  [--from NUMBER] [--user-id BSUID (alone: a username caller without a number)]\n" +
        "  [--username U] [--name N] [--cta-payload P] [--deeplink-payload P]\n" +
        "  [--functions-url URL] [--app-secret S] [--access-token T] [--graph-port N]\n" +
        "deno task call --outbound [--to NUMBER] [--talk s] [--service-role-key K] [--out heard.wav]",
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
  if (values.outbound) {
    Deno.exitCode = await runOutbound(values, speech, source);
    Deno.exit();
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
      // A person lets the greeting finish: talking over it would cut it off (barge-in).
      letGreetingFinishMs: 400,
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

/** `--outbound`: one business-initiated call, its timeline printed; the exit code. */
async function runOutbound(
  values: Record<string, string | boolean | undefined>,
  speech: Int16Array,
  source: string,
): Promise<number> {
  const key = (values["service-role-key"] as string | undefined) ??
    Deno.env.get("SUPABASE_SERVICE_ROLE_KEY") ??
    (await Deno.readTextFile(DEV_SERVICE_ROLE_KEY_FILE).catch(() => "")).trim();
  if (!key) {
    console.error(
      `--outbound needs the stack's service role key: --service-role-key, ` +
        `SUPABASE_SERVICE_ROLE_KEY, or ${DEV_SERVICE_ROLE_KEY_FILE} (written by deno task dev)`,
    );
    return 2;
  }
  const to = String(values.to);
  console.log(`calling WhatsApp user ${to} from the business; the user says ${source}`);
  try {
    const result = await placeOutboundCall({
      functionsUrl: String(values["functions-url"]),
      serviceRoleKey: key,
      appSecret: String(values["app-secret"]),
      accessToken: String(values["access-token"]),
      graphPort: Number(values["graph-port"]),
      user: to,
      speech,
      talkMs: Number(values.talk) * 1000,
      purpose: {
        instructions: "You are calling {{name}} on behalf of Acme to confirm the appointment " +
          "at {{appointment_time}}. Be brief; ask them to confirm or reschedule.",
        greeting:
          "Hello {{name}}, this is Acme calling about your appointment at {{appointment_time}}.",
        variables: { name: "Ana", appointment_time: "10:30 tomorrow" },
      },
      onStep: (ms, what) => console.log(`  ${ms.toFixed(0).padStart(6)} ms  ${what}`),
    });
    for (const e of result.timeline) {
      console.log(`  ${String(e.ms).padStart(6)} ms  phone: ${e.event.replaceAll("_", " ")}`);
    }
    await Deno.writeFile(String(values.out), encodeWav(result.heard, 24000));
    const c = result.call;
    console.log(
      `call ${result.callId}: ${c.status}${c.end_reason ? ` (${c.end_reason})` : ""}, ` +
        `${c.duration_seconds ?? 0} s; the user heard ${
          (result.heard.length / 24000).toFixed(1)
        } s, ` +
        `saved to ${values.out}`,
    );
    return c.status === "completed" ? 0 : 1;
  } catch (error) {
    console.error(`outbound call failed: ${error instanceof Error ? error.message : error}`);
    return 1;
  }
}
