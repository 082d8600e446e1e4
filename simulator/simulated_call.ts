/**
 * One whole simulated WhatsApp call against a running stack, as Meta would
 * drive it: a signed `connect` webhook with the fake caller's offer, the
 * answer applied when the stack calls Graph `pre_accept`, the caller's voice
 * streamed once our media arrives, and a `terminate` webhook when the caller
 * hangs up (or 138021 when our media never came). Used by the end-to-end
 * tests and by `deno task call`.
 *
 * @module
 */
import type { DtmfDigit } from "../lib/rtp/dtmf.ts";
import type { FakeMetaGraph } from "./meta_graph.ts";
import {
  connectOffer,
  DEFAULT_BUSINESS,
  MEDIA_RECEIVE_TIMEOUT_ERROR,
  postWebhook,
  signWebhook,
  terminate,
} from "./meta_webhooks.ts";
import { WhatsAppCaller } from "./whatsapp_caller.ts";
import { rms } from "../lib/audio/pcm.ts";

/** What the simulated caller does. */
export interface SimulatedCallOptions {
  /** The core webhook function, e.g. `http://127.0.0.1:54321/functions/v1/wa-webhook-core`. */
  webhookUrl: string;
  /** Meta app secret the stack verifies signatures with. */
  appSecret: string;
  /** The fake Graph API the stack's `WHATSAPP_GRAPH_URL` points to. */
  graph: FakeMetaGraph;
  /** What the caller says (24 kHz); silence when absent. */
  speech?: Int16Array;
  /** When the caller starts speaking, ms after the first agent audio. @default 300 */
  speakAfterMs?: number;
  /**
   * Let the agent's greeting finish first: `speakAfterMs` then counts from the
   * agent having been quiet this long (bounded by `stepTimeoutMs`), as a person
   * waits, instead of from its first audio. Unset: the caller talks over it.
   */
  letGreetingFinishMs?: number;
  /** Digits pressed after the speech. */
  dtmf?: DtmfDigit[];
  /** How long the caller keeps listening after speaking, ms. @default 3000 */
  listenMs?: number;
  /** Send the connect webhook this many times (Meta's duplicates). @default 1 */
  deliveries?: number;
  callId?: string;
  /**
   * The caller's number. @default 16315553602, unless `userId` is given
   * without it: then the caller is a username user Meta shows without a number.
   */
  user?: string;
  /** The caller's business-scoped user id (BSUID), e.g. `BR.1502576394655843`. */
  userId?: string;
  /** The caller's WhatsApp username. */
  username?: string;
  /** The caller's profile name. @default "WhatsApp User" */
  callerName?: string;
  /** `payload` of the call button the caller pressed. */
  ctaPayload?: string;
  /** `biz_payload` of the `wa.me/call` link the caller used. */
  deeplinkPayload?: string;
  /** Stop waiting for each step after this long. @default 15000 */
  stepTimeoutMs?: number;
  /** Called as each timeline step happens. */
  onStep?: (step: keyof CallTimeline, ms: number) => void;
}

/** Milliseconds from the connect webhook being sent. */
export interface CallTimeline {
  webhookSent: number;
  preAccept?: number;
  accept?: number;
  mediaConnected?: number;
  firstAgentAudio?: number;
  hangup?: number;
}

/** What happened on the call. */
export interface SimulatedCallResult {
  callId: string;
  timeline: CallTimeline;
  caller: WhatsAppCaller;
  /** Everything the caller heard, 24 kHz. */
  heard: Int16Array;
  /** How the call ended from the caller's side. */
  outcome: "completed" | "rejected" | "dropped_no_media" | "not_answered";
}

const AUDIBLE_RMS = 200;

/** The default caller's number. */
export const DEFAULT_CALLER_NUMBER = "16315553602";

const CALLER_KEYS = [
  "user",
  "userId",
  "username",
  "callerName",
  "ctaPayload",
  "deeplinkPayload",
] as const;

/** Who the caller is and where they called from. */
export type SimulatedCaller = Pick<SimulatedCallOptions, typeof CALLER_KEYS[number]>;

/**
 * The caller as the webhooks name them, absent fields left out: the default
 * number unless a number or a user id is given.
 */
export function simulatedCaller(
  opts: { [K in keyof SimulatedCaller]?: string | undefined },
): SimulatedCaller {
  const caller: SimulatedCaller = {};
  for (const key of CALLER_KEYS) {
    const value = opts[key];
    if (value !== undefined) caller[key] = value;
  }
  if (caller.user === undefined && caller.userId === undefined) caller.user = DEFAULT_CALLER_NUMBER;
  return caller;
}

/**
 * Resolves once nothing audible has arrived for `quietMs` (packets or none:
 * a bridge may stop sending in silence), the call dropped, or `deadline` passed.
 */
async function agentQuiet(
  caller: WhatsAppCaller,
  quietMs: number,
  deadline: number,
  dropped: () => boolean,
): Promise<void> {
  let seen = 0;
  let lastAudible = performance.now();
  while (!dropped() && performance.now() < deadline) {
    const fresh = caller.heard.slice(seen);
    seen += fresh.length;
    if (fresh.some((f) => rms(f) >= AUDIBLE_RMS)) lastAudible = performance.now();
    if (performance.now() - lastAudible >= quietMs) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Places the call and returns once it has ended. */
export async function placeSimulatedCall(opts: SimulatedCallOptions): Promise<SimulatedCallResult> {
  const callId = opts.callId ?? `wacid.sim${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`;
  const callerFields = simulatedCaller(opts);
  const stepTimeout = opts.stepTimeoutMs ?? 15_000;
  const speech = opts.speech ?? new Int16Array(0);
  const speechFrames = Math.floor(speech.length / 480);
  let speakFromFrame = Infinity;
  const caller = await WhatsAppCaller.create({
    voice: (i) => {
      const k = i - speakFromFrame;
      return k >= 0 && k < speechFrames ? speech.subarray(k * 480, (k + 1) * 480) : null;
    },
  });
  const t0 = performance.now();
  const timeline: CallTimeline = { webhookSent: 0 };
  const mark = (step: keyof CallTimeline) => {
    if (timeline[step] !== undefined) return;
    timeline[step] = performance.now() - t0;
    opts.onStep?.(step, timeline[step]!);
  };
  const send = async (payload: Record<string, unknown>) =>
    await postWebhook(opts.webhookUrl, await signWebhook(payload, opts.appSecret), {
      observer: opts.graph,
    });

  const answered = new Promise<"answered" | "rejected">((resolve) => {
    const off = opts.graph.onRequest((r) => {
      if (r.callId !== callId || r.status !== 200) return;
      if (r.action === "pre_accept" || r.action === "accept") {
        mark(r.action === "pre_accept" ? "preAccept" : "accept");
        const sdp = (r.body as { session?: { sdp?: string } }).session?.sdp;
        if (sdp) void caller.applyAnswer(sdp);
        if (r.action === "accept") {
          off();
          resolve("answered");
        }
      } else if (r.action === "reject" || r.action === "terminate") {
        off();
        resolve("rejected");
      }
    });
  });

  const connect = connectOffer({
    callId,
    ...callerFields,
    timestamp: Math.floor(Date.now() / 1000),
    sdp: caller.offerSdp,
  });
  const deliveries = await Promise.all(
    Array.from({ length: opts.deliveries ?? 1 }, () => send(connect)),
  );
  if (deliveries.some((d) => d.status !== 200)) {
    throw new Error(
      `webhook refused: ${deliveries.map((d) => `${d.status} ${d.responseBody}`).join("; ")}`,
    );
  }
  const result = (outcome: SimulatedCallResult["outcome"]): SimulatedCallResult => ({
    callId,
    timeline,
    caller,
    heard: caller.heardPcm(),
    outcome,
  });

  let answerTimer: ReturnType<typeof setTimeout> | undefined;
  const first = await Promise.race([
    answered,
    new Promise<"timeout">((r) => (answerTimer = setTimeout(() => r("timeout"), stepTimeout))),
  ]);
  // A pending timer would keep `deno task call` alive for up to stepTimeoutMs after the call.
  clearTimeout(answerTimer);
  if (first !== "answered") {
    await caller.close();
    return result(first === "rejected" ? "rejected" : "not_answered");
  }
  let dropped = false;
  caller.onDropped(() => (dropped = true));
  await caller.connected(stepTimeout);
  mark("mediaConnected");

  // The agent's first audible frame (its greeting) starts the caller's turn.
  const audibleDeadline = performance.now() + stepTimeout;
  while (!dropped && performance.now() < audibleDeadline) {
    const i = caller.heard.findIndex((f) => rms(f) >= AUDIBLE_RMS);
    if (i >= 0) {
      mark("firstAgentAudio");
      break;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  if (timeline.firstAgentAudio !== undefined) {
    if (opts.letGreetingFinishMs !== undefined) {
      await agentQuiet(caller, opts.letGreetingFinishMs, audibleDeadline, () => dropped);
    }
    await new Promise((r) => setTimeout(r, opts.speakAfterMs ?? 300));
    speakFromFrame = caller.framesSent;
    await new Promise((r) => setTimeout(r, speechFrames * 20));
    for (const digit of opts.dtmf ?? []) await caller.sendDtmf(digit);
    await new Promise((r) => setTimeout(r, opts.listenMs ?? 3000));
  }

  const business = DEFAULT_BUSINESS;
  const now = Math.floor(Date.now() / 1000);
  if (dropped || timeline.firstAgentAudio === undefined) {
    await caller.close();
    mark("hangup");
    await send(
      terminate({
        business,
        callId,
        ...callerFields,
        timestamp: now,
        status: "FAILED",
        errors: [MEDIA_RECEIVE_TIMEOUT_ERROR],
      }),
    );
    return result("dropped_no_media");
  }
  await caller.close();
  mark("hangup");
  const startTime = Math.floor((Date.now() - (performance.now() - t0 - timeline.accept!)) / 1000);
  await send(terminate({
    business,
    callId,
    ...callerFields,
    timestamp: now,
    status: "COMPLETED",
    startTime,
    endTime: now,
    duration: Math.max(0, now - startTime),
  }));
  return result("completed");
}
