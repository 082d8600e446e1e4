/**
 * One whole simulated business-initiated call (issue 17) against a running
 * stack, for `deno task call --outbound`: the fake Meta grants the user's
 * permission (a permanent grant from the business profile, whose reply
 * webhook the stack stores), the call is requested from `wa-outbound-calls`,
 * the fake phone (`user_phone.ts`) rings, answers, talks and hangs up, and
 * the call's state is read back from the API.
 *
 * @module
 */
import { FakeMetaGraph } from "./meta_graph.ts";
import { DEFAULT_BUSINESS, postWebhook } from "./meta_webhooks.ts";
import { FakeUserPhone, type PhoneEvent } from "./user_phone.ts";
import { concatPcm } from "../lib/audio/pcm.ts";
import type { CallPurpose } from "../lib/bridge_api/schema.ts";

/** What the simulated outbound call does. */
export interface OutboundCallOptions {
  /** e.g. `http://127.0.0.1:54321/functions/v1`. */
  functionsUrl: string;
  /** The stack's `SUPABASE_SERVICE_ROLE_KEY` (the API's bearer). */
  serviceRoleKey: string;
  /** Meta app secret the stack verifies webhook signatures with. */
  appSecret: string;
  /** Graph token the stack presents. */
  accessToken: string;
  /** Port of the stack's `WHATSAPP_GRAPH_URL`. */
  graphPort: number;
  /** The user called. */
  user: string;
  /** What the user says once the agent spoke, 24 kHz. */
  speech: Int16Array;
  /** Ringing before pickup, ms. @default 1500 */
  ringMs?: number;
  /** Talking before the user hangs up, ms. @default 6000 */
  talkMs?: number;
  purpose?: CallPurpose;
  /** Prints each step as it happens. */
  onStep?: (ms: number, what: string) => void;
}

/** What happened. */
export interface OutboundCallResult {
  callId: string;
  /** The call as `GET /wa-outbound-calls/<id>` answered at the end. */
  call: Record<string, unknown>;
  /** The phone's events, ms since the simulation began (the `onStep` clock). */
  timeline: PhoneEvent[];
  /** What the user heard, 24 kHz. */
  heard: Int16Array;
}

async function api(o: OutboundCallOptions, path: string, init: RequestInit = {}) {
  const res = await fetch(`${o.functionsUrl}${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${o.serviceRoleKey}`,
      "content-type": "application/json",
      ...init.headers,
    },
  });
  return { status: res.status, body: await res.json() as Record<string, unknown> };
}

async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Places the call; the fake Graph API listens on `graphPort` while it lasts. */
export async function placeOutboundCall(o: OutboundCallOptions): Promise<OutboundCallResult> {
  const started = performance.now();
  const step = (what: string) => o.onStep?.(performance.now() - started, what);
  const phone = new FakeUserPhone();
  const graph: FakeMetaGraph = new FakeMetaGraph({
    accessToken: o.accessToken,
    phone,
    webhooks: {
      appSecret: o.appSecret,
      send: async (w) => {
        await postWebhook(`${o.functionsUrl}/wa-webhook-core`, w, { observer: graph });
      },
    },
  });
  const server = await graph.start(o.graphPort);
  try {
    const frames = Math.floor(o.speech.length / 480);
    phone.script(o.user, {
      answer: "accept",
      ringMs: o.ringMs ?? 1500,
      talkMs: o.talkMs ?? 6000,
      voice: (i) => i < frames ? o.speech.subarray(i * 480, (i + 1) * 480) : null,
    });
    graph.permissions.grantFromProfile(DEFAULT_BUSINESS, o.user);
    await graph.flushWebhooks();
    const query = `?user=${o.user}&phone_number_id=${DEFAULT_BUSINESS.phoneNumberId}`;
    await until("the permission", 5000, async () => {
      const read = await api(o, `/wa-call-permissions${query}`);
      return (read.body.call as { allowed?: boolean } | undefined)?.allowed ? true : undefined;
    });
    step("permission granted (permanent, from the business profile)");
    const placed = await api(o, "/wa-outbound-calls", {
      method: "POST",
      headers: { "idempotency-key": `cli-${crypto.randomUUID()}` },
      body: JSON.stringify({
        user: o.user,
        phone_number_id: DEFAULT_BUSINESS.phoneNumberId,
        ...(o.purpose ? { purpose: o.purpose } : {}),
      }),
    });
    if (placed.status !== 201) {
      throw new Error(
        `wa-outbound-calls answered ${placed.status}: ${JSON.stringify(placed.body)}`,
      );
    }
    const callId = (placed.body.call as { id: string }).id;
    step(`call ${callId} requested: ringing`);
    const phoneCall = await phone.waitForCall(callId);
    const bound = (o.ringMs ?? 1500) + (o.talkMs ?? 6000) + 60_000;
    await Promise.race([
      phoneCall.ended,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error("the call never ended")), bound)
      ),
    ]);
    const call = await until("the call's end", 15_000, async () => {
      const read = await api(o, `/wa-outbound-calls/${callId}`);
      const c = read.body.call as Record<string, unknown> | undefined;
      return c && ["completed", "failed", "rejected"].includes(String(c.status)) ? c : undefined;
    });
    return {
      callId,
      call,
      // On the same clock as `onStep`: ms since this call began.
      timeline: phoneCall.timeline.map((e) => ({
        ...e,
        ms: Math.round(e.ms + phoneCall.placedAt - started),
      })),
      heard: concatPcm(phoneCall.callee?.heard ?? []),
    };
  } finally {
    await phone.close();
    await server.close();
  }
}
