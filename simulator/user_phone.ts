/**
 * The WhatsApp users' phones for business-initiated calls (issue 17), as
 * the fake Meta's {@linkcode BusinessCallListener}: for each `connect` Meta
 * accepted, the callee's phone rings (`RINGING`), then per its script
 *
 * - `accept`: a werift peer answers the business's offer in Meta's shape
 *   (`WhatsAppCaller.answer`: ICE-lite, `a=setup:active` unless scripted
 *   otherwise), the `connect` webhook carries that answer while the phone
 *   still rings (implementers saw it ~20 s before pickup), `ACCEPTED`
 *   follows after `ringMs`, the phone talks (silent until it hears the
 *   business, as Meta's relay) and hangs up after `talkMs`;
 * - `reject`: `REJECTED` after `ringMs`, then Meta's terminate;
 * - `none`: it rings until the business gives up (Meta documents no ring
 *   timeout for business-initiated calls).
 *
 * Source: https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/business-initiated-calls
 *
 * @module
 */
import type { BusinessCallListener, FakeCall, FakeMetaGraph } from "./meta_graph.ts";
import { type CallerVoice, WhatsAppCaller } from "./whatsapp_caller.ts";

/** How one user's phone behaves. */
export type PhoneScript =
  | {
    answer: "accept";
    /** Ringing before the pickup (`ACCEPTED`). @default 300 */
    ringMs?: number;
    /** Talking after pickup before the user hangs up; `Infinity`: never. @default 3000 */
    talkMs?: number;
    /** The DTLS role Meta's answer names. @default "active" (Meta's reference answer) */
    setup?: "active" | "passive" | "actpass";
    /** What the user says (24 kHz frames), once the business was heard. */
    voice?: CallerVoice;
    /** Rewrites the answer before it is sent: a broken Meta answer. */
    mangleAnswer?: (sdp: string) => string;
  }
  | { answer: "reject"; ringMs?: number }
  | { answer: "none" };

/** One timeline entry of a call, ms since the call was placed. */
export interface PhoneEvent {
  event:
    | "placed"
    | "ringing"
    | "answer_sent"
    | "accepted"
    | "media_connected"
    | "first_business_audio"
    | "rejected"
    | "hung_up"
    | "ended";
  ms: number;
}

/** What the phone did on one call. */
export interface PhoneCall {
  callId: string;
  user: string | undefined;
  /** `performance.now()` when the phone got the call. */
  placedAt: number;
  timeline: PhoneEvent[];
  /** The media peer, once it answered. */
  callee?: WhatsAppCaller;
  /** Resolves when the call ended at Meta. */
  ended: Promise<void>;
  /** Why the phone's own flow failed, if it did. */
  error?: string;
}

/** Every user's phone. */
export class FakeUserPhone implements BusinessCallListener {
  /** The calls the phones received, by call id. */
  readonly calls = new Map<string, PhoneCall>();
  readonly #scripts = new Map<string, PhoneScript>();
  readonly #default: PhoneScript;
  readonly #ends = new Map<string, () => void>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();

  /** Phones follow `defaultScript` unless {@linkcode script} says otherwise for a user. */
  constructor(defaultScript: PhoneScript = { answer: "accept" }) {
    this.#default = defaultScript;
  }

  /** What `user`'s phone does on the next calls. */
  script(user: string, script: PhoneScript): void {
    this.#scripts.set(user, script);
  }

  /** Resolves with the call once a phone received it (bounded). */
  async waitForCall(callId: string, timeoutMs = 5000): Promise<PhoneCall> {
    const until = Date.now() + timeoutMs;
    while (!this.calls.has(callId)) {
      if (Date.now() > until) throw new Error(`no phone received ${callId}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.calls.get(callId)!;
  }

  /** @inheritdoc */
  placed(call: FakeCall, graph: FakeMetaGraph): void {
    const start = performance.now();
    const ended = new Promise<void>((resolve) => this.#ends.set(call.callId, resolve));
    const record: PhoneCall = {
      callId: call.callId,
      user: call.user,
      placedAt: start,
      timeline: [],
      ended,
    };
    this.calls.set(call.callId, record);
    const mark = (event: PhoneEvent["event"]) =>
      record.timeline.push({ event, ms: Math.round(performance.now() - start) });
    mark("placed");
    const script = (call.user && this.#scripts.get(call.user)) || this.#default;
    void this.#ring(call, graph, script, record, mark).catch((error) => {
      record.error = String(error);
    });
  }

  /** @inheritdoc */
  ended(call: FakeCall): void {
    const record = this.calls.get(call.callId);
    if (!record) return;
    record.timeline.push({ event: "ended", ms: Math.round(performance.now() - record.placedAt) });
    void record.callee?.close();
    this.#ends.get(call.callId)?.();
  }

  /** Stops every timer and closes every media peer (test teardown). */
  async close(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    await Promise.all([...this.calls.values()].map((c) => c.callee?.close()));
  }

  #after(ms: number, fn: () => void): void {
    if (!Number.isFinite(ms)) return;
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
  }

  async #ring(
    call: FakeCall,
    graph: FakeMetaGraph,
    script: PhoneScript,
    record: PhoneCall,
    mark: (e: PhoneEvent["event"]) => void,
  ): Promise<void> {
    graph.businessCallStatus(call.callId, "RINGING");
    mark("ringing");
    if (script.answer === "none") return;
    if (script.answer === "reject") {
      this.#after(script.ringMs ?? 300, () => {
        if (graph.call(call.callId)?.state !== "calling") return;
        mark("rejected");
        graph.businessCallStatus(call.callId, "REJECTED");
      });
      return;
    }
    const callee = await WhatsAppCaller.answer(call.offerSdp!, {
      ...(script.voice ? { voice: script.voice } : {}),
      ...(script.setup ? { setup: script.setup } : {}),
    });
    record.callee = callee;
    if (graph.call(call.callId)?.state !== "calling") return void callee.close();
    graph.sendBusinessAnswer(call.callId, (script.mangleAnswer ?? ((s) => s))(callee.offerSdp));
    mark("answer_sent");
    void callee.connected(30_000).then(() => mark("media_connected"), () => {});
    const heard = setInterval(() => {
      if (callee.firstPacketAt === undefined) return;
      clearInterval(heard);
      mark("first_business_audio");
    }, 10);
    void record.ended.then(() => clearInterval(heard));
    this.#after(script.ringMs ?? 300, () => {
      if (graph.call(call.callId)?.state !== "calling") return;
      mark("accepted");
      graph.businessCallStatus(call.callId, "ACCEPTED");
      this.#after(script.talkMs ?? 3000, () => {
        if (graph.call(call.callId)?.state !== "accepted") return;
        mark("hung_up");
        graph.hangup(call.callId);
      });
    });
  }
}
