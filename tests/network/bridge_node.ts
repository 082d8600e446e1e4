/**
 * The real bridge as a process inside a test's "bridge" namespace: `startBridge`
 * on the namespace's own loopback with a tone agent, driven through its HTTP
 * API the way the voice-calls Edge Function drives it (create session with
 * Meta's offer → our answer goes to Meta → bounded wait for media → accept;
 * when media does not come up, reject: end the session, as `connect_offer.ts`
 * does). The functions and the store stay out of the namespace; the test
 * carries the SDP between this node and the relay node.
 *
 * JSON lines: in `{offer}`, `{end}`; out `{answer, ms}`, `{connected, ms}`,
 * `{accepted, ms}`, `{rejected, reason, ms}` (ms since the offer arrived),
 * `{agent: ToneSecond & {sent, received}}` every second, `{log}` for every
 * bridge log record (secrets redacted as in production), `{ended}`.
 *
 * Configuration: env `NODE_CONFIG` (JSON, see {@linkcode NodeConfigSchema});
 * the rest of the environment is the bridge's.
 *
 * @module
 */
import { configure, type LogRecord } from "@logtape/logtape";
import { z } from "zod";
import type { Agent, AgentContext } from "../../bridge/agents/agent.ts";
import { configSecrets, loadConfig } from "../../bridge/config.ts";
import { redactingSink } from "../../bridge/log.ts";
import { startBridge } from "../../bridge/main.ts";
import { BridgeClient, BridgeError } from "../../lib/bridge_api/client.ts";
import { sine } from "../../lib/audio/tone.ts";
import { emit, stdinLines } from "../support/json_lines.ts";
import { ToneCounter } from "./tone_count.ts";

const NodeConfigSchema = z.object({
  /** The agent's tone. */
  hz: z.number(),
  /** The caller's tone (counted as well). */
  otherHz: z.number(),
  /** Seconds of tone after accept before the agent falls silent (no silence when absent). */
  silentAfterS: z.number().optional(),
  /** Length of the silent stretch, s. */
  silentForS: z.number().default(0),
  /** The Edge Function's `WA_MEDIA_CONNECT_WAIT_MS`. */
  waitConnectedMs: z.number().default(8000),
});

const SECRET = "netcases-bridge-secret-0123456789";
const opts = NodeConfigSchema.parse(JSON.parse(Deno.env.get("NODE_CONFIG") ?? "{}"));
setTimeout(() => Deno.exit(3), 600_000);

/** Speaks `hz` from accept on, with one silent stretch if configured. */
class StretchToneAgent implements Agent {
  readonly heard: Int16Array[] = [];
  #ctx: AgentContext | undefined;
  #timers: ReturnType<typeof setTimeout>[] = [];

  start(ctx: AgentContext): Promise<void> {
    this.#ctx = ctx;
    return Promise.resolve();
  }

  callAccepted(): void {
    const total = 120;
    const first = opts.silentAfterS ?? total;
    this.#say(first);
    if (opts.silentAfterS !== undefined) {
      this.#timers.push(setTimeout(() => this.#say(total), (first + opts.silentForS) * 1000));
    }
  }

  #say(seconds: number): void {
    this.#ctx?.audio.enqueue(sine(opts.hz, 24000, 24000 * seconds, 8000), "tone");
  }

  pushAudio(frame: Int16Array): void {
    this.heard.push(frame.slice());
  }

  pushDtmf(): void {}
  sayGoodbye(): void {}
  close(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    return Promise.resolve();
  }
}

const config = loadConfig({
  ...Deno.env.toObject(),
  VOICE_BRIDGE_SECRET: SECRET,
  MAX_CPU_PERCENT: "0",
  BRIDGE_HOST: "127.0.0.1",
  BRIDGE_PORT: "0",
});
const jsonSink = (r: LogRecord) =>
  emit({ log: { level: r.level, event: r.rawMessage, props: r.properties }, at: Date.now() });
await configure({
  reset: true,
  sinks: { pipe: redactingSink(jsonSink, configSecrets(config)) },
  loggers: [
    { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["pipe"] },
    { category: [], lowestLevel: "info", sinks: ["pipe"] },
  ],
});

const agents: StretchToneAgent[] = [];
const bridge = startBridge(config, undefined, {
  createAgent: () => {
    const a = new StretchToneAgent();
    agents.push(a);
    return a;
  },
});
const client = new BridgeClient({ baseUrl: bridge.url, secret: SECRET });
emit({ ready: true, at: Date.now() });
const CALL_ID = "wacid.netcase1";
let sessionId: string | undefined;
let stats: ReturnType<typeof setInterval> | undefined;

for await (const cmd of stdinLines()) {
  if (typeof cmd.offer === "string") {
    void call(cmd.offer).catch((e) => emit({ rejected: true, reason: `node_error: ${e}`, ms: -1 }));
  }
  if (cmd.end) break;
}
clearInterval(stats);
if (sessionId) await client.endSession(sessionId, "caller_hangup").catch(() => {});
await bridge.close(0);
emit({ ended: true });
Deno.exit(0);

/** The Edge Function's connect flow, timed from the offer. */
async function call(offer: string): Promise<void> {
  const t0 = performance.now();
  const ms = () => Math.round(performance.now() - t0);
  try {
    const session = await client.createSession({
      callId: CALL_ID,
      phoneNumberId: "106540352242922",
      from: "16315553602",
      to: "16315553601",
      sdp: offer,
    });
    sessionId = session.sessionId;
    emit({ answer: session.sdp, ms: ms() });
  } catch (error) {
    emit({ rejected: true, reason: failure("bridge", error), ms: ms() });
    await client.endCall(CALL_ID, "bridge_error").catch(() => {});
    return;
  }
  let connected = false;
  try {
    connected = (await client.waitConnected(sessionId, opts.waitConnectedMs)).connected;
  } catch (error) {
    emit({ waitFailed: failure("bridge_connected", error), ms: ms() });
  }
  emit({ connected, ms: ms() });
  if (!connected) {
    // connect_offer.ts: Graph reject while it rings, and the session goes.
    const ended = await client.endSession(sessionId, "media_not_connected").catch((e) => e);
    emit({ rejected: true, reason: "media_not_connected", ms: ms(), ended: String(ended?.state) });
    return;
  }
  try {
    await client.acceptSession(sessionId);
  } catch (error) {
    // connect_offer.ts: accepted at Meta but not at the bridge is a terminate.
    await client.endSession(sessionId, "bridge_accept_failed").catch(() => {});
    emit({ rejected: true, reason: failure("bridge_accept", error), ms: ms() });
    return;
  }
  emit({ accepted: true, ms: ms() });
  const counter = new ToneCounter(agents[0]!.heard, [opts.otherHz, opts.hz]);
  stats = setInterval(() => {
    const json = bridge.manager.get(sessionId!)?.toJSON() as
      | { state?: string; rtp?: { packetsSent?: number; packetsReceived?: number } }
      | undefined;
    emit({
      agent: {
        ...counter.take(),
        sent: json?.rtp?.packetsSent ?? null,
        received: json?.rtp?.packetsReceived ?? null,
        state: json?.state ?? "gone",
      },
      at: Date.now(),
    });
  }, 1000);
}

function failure(prefix: string, error: unknown): string {
  return error instanceof BridgeError ? `${prefix}_${error.failure}` : `${prefix}_error`;
}
