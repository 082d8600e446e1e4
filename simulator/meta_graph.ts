/**
 * A fake Meta Graph API for `POST /{phone-number-id}/calls` that enforces what
 * Meta enforces: bearer token, known phone number and call ids, the call
 * state machine, and the SDP rules that make real calls fail (one sha-256
 * fingerprint, DTLS role, Opus PT 111, accept SDP equal to pre_accept SDP).
 * Errors use Meta's envelope and HTTP statuses. Latency and failures are
 * scriptable and every request is recorded.
 *
 * Use it in-process (`fake.fetch`, injectable into the Graph client) or over
 * HTTP (`await fake.start()`). SDP checks are line-level on purpose so the
 * fake stays independent of the SDP module under test.
 *
 * @module
 */

import { extractCallEvents, parseWebhook } from "../lib/whatsapp/webhook.ts";
import {
  type BusinessNumber,
  connectAnswer,
  DEFAULT_BUSINESS,
  type SignedWebhook,
  signWebhook,
  terminate,
  type WebhookObserver,
} from "./meta_webhooks.ts";

/** Actions of the `/calls` endpoint. */
export type FakeGraphAction = "pre_accept" | "accept" | "reject" | "terminate" | "connect";

const ACTIONS: readonly string[] = ["pre_accept", "accept", "reject", "terminate", "connect"];

/**
 * An SDP answer in the shape Meta documents (a=setup:active, one sha-256
 * fingerprint, Opus 111 and telephone-event 126, one SSRC); the fake accepts it.
 */
export const EXAMPLE_ANSWER_SDP = [
  "v=0",
  "o=- 1763512395 2 IN IP4 127.0.0.1",
  "s=-",
  "t=0 0",
  "a=group:BUNDLE audio",
  "a=msid-semantic: WMS bridge",
  "m=audio 9 UDP/TLS/RTP/SAVPF 111 126",
  "c=IN IP4 0.0.0.0",
  "a=rtcp:9 IN IP4 0.0.0.0",
  "a=ice-ufrag:Zx4q",
  "a=ice-pwd:4bW1cQmK8yH0sNp2rT6vXa9d",
  "a=fingerprint:sha-256 " +
  "0B:3E:9D:51:7C:2A:4F:88:19:E6:D0:55:A3:7B:C4:12:6E:9F:80:3D:B2:47:11:CE:5A:08:F3:94:2C:D7:61:AB",
  "a=setup:active",
  "a=mid:audio",
  "a=sendrecv",
  "a=rtcp-mux",
  "a=rtpmap:111 opus/48000/2",
  "a=fmtp:111 minptime=10;useinbandfec=1",
  "a=rtpmap:126 telephone-event/8000",
  "a=ssrc:1001 cname:bridge",
  "",
].join("\r\n");

/** Lifecycle of a fake call. */
export type FakeCallState =
  | "ringing" // user-initiated, awaiting our answer
  | "pre_accepted"
  | "accepted"
  | "rejected" // declined by us
  | "terminated" // ended by our terminate
  | "completed" // ended by the user or Meta
  | "calling"; // business-initiated, callee not answered yet

function isEnded(state: FakeCallState): boolean {
  return state === "rejected" || state === "terminated" || state === "completed";
}

/** A call the fake knows. */
export interface FakeCall {
  callId: string;
  phoneNumberId: string;
  direction: "USER_INITIATED" | "BUSINESS_INITIATED";
  /** The WhatsApp user's number. */
  user: string;
  state: FakeCallState;
  offerSdp?: string;
  preAcceptSdp?: string;
  acceptSdp?: string;
  /** Fake clock ms when the call was picked up. */
  acceptedAt?: number;
  bizOpaqueCallbackData?: string;
}

/** One request as the fake received it. */
export interface RecordedRequest {
  /** Fake clock ms. */
  time: number;
  method: string;
  path: string;
  phoneNumberId?: string;
  action?: string;
  callId?: string;
  /** Parsed JSON body, or the raw text when it was not JSON. */
  body: unknown;
  /** HTTP status the fake answered with. */
  status: number;
  /** Meta error code when the fake answered with an error envelope. */
  errorCode?: number;
}

/** A failure `failNext` makes the fake answer instead of processing the request. */
export interface ScriptedFailure {
  /** HTTP status. Default 500. */
  status?: number;
  /** Meta error code. Default 138004 (connection error). */
  code?: number;
  message?: string;
  type?: string;
  subcode?: number;
  /** `error_data.details`. */
  details?: string;
  /** How many consecutive requests of the action fail. Default 1. */
  times?: number;
}

/** Options of {@link FakeMetaGraph}. */
export interface FakeMetaGraphOptions {
  /** Bearer token the fake accepts. Default `test-access-token`. */
  accessToken?: string;
  /** Business numbers that exist. Default {@link DEFAULT_BUSINESS}. */
  businesses?: BusinessNumber[];
  /** Response delay per action in ms (applied after the request took effect, as on a slow Meta). */
  latencyMs?: Partial<Record<FakeGraphAction, number>>;
  /** Clock in ms. Default `Date.now`. */
  now?: () => number;
  /** Where Meta's resulting webhooks go (terminate after reject/terminate/hangup, connect answer). */
  webhooks?: { appSecret: string; send: (webhook: SignedWebhook) => unknown };
}

/** Problem with a request, answered as Meta's error envelope. */
interface MetaFault {
  status: number;
  code: number;
  message: string;
  type?: string;
  subcode?: number;
  details?: string;
}

function invalid(details: string): MetaFault {
  return { status: 400, code: 100, message: "(#100) Invalid parameter", details };
}

function sdpFault(details: string): MetaFault {
  return { status: 400, code: 138008, message: "SDP Validation error", details };
}

/** Line-level checks of what Meta rejects in an SDP offer or answer; undefined when acceptable. */
export function checkSdp(sdp: string, kind: "offer" | "answer"): MetaFault | undefined {
  const lines = sdp.split(/\r?\n/).filter((l) => l !== "");
  if (lines[0] !== "v=0") return invalid("SDP must start with v=0");
  const fingerprints = lines.filter((l) => l.startsWith("a=fingerprint:"));
  if (fingerprints.length !== 1) {
    return sdpFault(`expected exactly one a=fingerprint line, found ${fingerprints.length}`);
  }
  const algorithm = fingerprints[0]!.slice("a=fingerprint:".length).split(" ")[0]!.toLowerCase();
  if (algorithm !== "sha-256") return sdpFault(`unsupported fingerprint algorithm ${algorithm}`);
  const setup = lines.find((l) => l.startsWith("a=setup:"))?.slice("a=setup:".length);
  const roles = kind === "answer" ? ["active", "passive"] : ["actpass", "active", "passive"];
  if (setup === undefined || !roles.includes(setup)) {
    return invalid(`a=setup must be one of ${roles.join("|")} in an ${kind}, got ${setup}`);
  }
  const media = lines.find((l) => l.startsWith("m=audio "));
  if (media === undefined) return invalid("SDP has no m=audio line");
  if (!media.split(" ").slice(3).includes("111")) {
    return invalid("m=audio does not offer payload type 111 (Opus)");
  }
  if (!lines.some((l) => l.toLowerCase() === "a=rtpmap:111 opus/48000/2")) {
    return invalid("missing a=rtpmap:111 opus/48000/2");
  }
  if (
    !lines.some((l) => l.startsWith("a=ice-ufrag:")) ||
    !lines.some((l) => l.startsWith("a=ice-pwd:"))
  ) {
    return invalid("missing ICE credentials (a=ice-ufrag/a=ice-pwd)");
  }
  return undefined;
}

function errorResponse(f: MetaFault): Response {
  const error: Record<string, unknown> = {
    message: f.message,
    type: f.type ?? "OAuthException",
    code: f.code,
  };
  if (f.subcode !== undefined) error.error_subcode = f.subcode;
  if (f.details !== undefined) {
    error.error_data = { messaging_product: "whatsapp", details: f.details };
  }
  error.fbtrace_id = `A${crypto.randomUUID().replaceAll("-", "").slice(0, 22)}`;
  return Response.json({ error }, { status: f.status });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

type Waiter = {
  matches: (r: RecordedRequest) => boolean;
  resolve: (r: RecordedRequest) => void;
};

/** Body fields the fake reads; everything else is recorded but ignored. */
interface CallsBody {
  messaging_product?: unknown;
  action?: unknown;
  call_id?: unknown;
  to?: unknown;
  session?: { sdp_type?: unknown; sdp?: unknown };
  biz_opaque_callback_data?: unknown;
}

/** The fake Graph API. */
export class FakeMetaGraph implements WebhookObserver {
  /** The token requests must carry. */
  readonly accessToken: string;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[] = [];
  /** In-process `fetch` that routes to {@link handle}; honours `signal` like a real fetch. */
  readonly fetch: typeof fetch;

  readonly #businesses: BusinessNumber[];
  readonly #latency: Partial<Record<FakeGraphAction, number>>;
  readonly #now: () => number;
  readonly #webhooks: FakeMetaGraphOptions["webhooks"];
  readonly #calls = new Map<string, FakeCall>();
  readonly #failures = new Map<FakeGraphAction, ScriptedFailure & { times: number }>();
  readonly #waiters = new Set<Waiter>();
  readonly #listeners = new Set<(r: RecordedRequest) => void>();
  readonly #pendingWebhooks = new Set<Promise<unknown>>();
  readonly #webhookErrors: unknown[] = [];
  #nextCall = 1;

  /** Creates a fake with no calls. */
  constructor(options: FakeMetaGraphOptions = {}) {
    this.accessToken = options.accessToken ?? "test-access-token";
    this.#businesses = options.businesses ?? [DEFAULT_BUSINESS];
    this.#latency = { ...options.latencyMs };
    this.#now = options.now ?? Date.now;
    this.#webhooks = options.webhooks;
    this.fetch = (input, init) => this.handle(new Request(input, init));
  }

  /** Serves the fake on 127.0.0.1 (an ephemeral port unless given); `url` includes `/v23.0`. */
  start(port = 0): Promise<{ url: string; close: () => Promise<void> }> {
    return new Promise((resolve) => {
      const server = Deno.serve({
        hostname: "127.0.0.1",
        port,
        onListen: ({ port }) =>
          resolve({ url: `http://127.0.0.1:${port}/v23.0`, close: () => server.shutdown() }),
        // A client that gave up (timeout) aborts the pending latency; nothing to report.
        onError: () => new Response(null, { status: 499 }),
      }, (req) => this.handle(req));
    });
  }

  /** Registers a ringing user-initiated call (what a connect webhook announces). */
  registerCall(
    p: { callId?: string; phoneNumberId?: string; user?: string; offerSdp?: string } = {},
  ): FakeCall {
    const call: FakeCall = {
      callId: p.callId ?? this.#newCallId(),
      phoneNumberId: p.phoneNumberId ?? this.#businesses[0]!.phoneNumberId,
      direction: "USER_INITIATED",
      user: p.user ?? "16315553602",
      state: "ringing",
    };
    if (p.offerSdp !== undefined) call.offerSdp = p.offerSdp;
    this.#calls.set(call.callId, call);
    return call;
  }

  /** The call's current record, if known. */
  call(callId: string): FakeCall | undefined {
    return this.#calls.get(callId);
  }

  /**
   * Registers calls announced by a connect-offer webhook and ends calls a
   * terminate webhook ends. Malformed bodies (tests send those on purpose) are ignored.
   */
  observeWebhook(webhook: SignedWebhook): void {
    let json: unknown;
    try {
      json = JSON.parse(webhook.body);
    } catch {
      return;
    }
    const parsed = parseWebhook(json);
    if (!parsed.ok) return;
    for (const e of extractCallEvents(parsed.value)) {
      const known = this.#calls.get(e.callId);
      if (e.kind === "connect_offer" && known === undefined) {
        this.registerCall({
          callId: e.callId,
          phoneNumberId: e.phoneNumberId,
          user: e.from,
          offerSdp: e.sdp,
        });
      } else if (e.kind === "terminate" && known !== undefined) {
        known.state = "completed";
      }
    }
  }

  /** The user hangs up (or Meta ends the call); emits the terminate webhook. */
  hangup(callId: string): void {
    const call = this.#mustCall(callId);
    if (isEnded(call.state)) {
      throw new Error(`call ${callId} already ended (${call.state})`);
    }
    const pickedUp = call.acceptedAt !== undefined;
    call.state = "completed";
    this.#emitTerminate(call, pickedUp);
  }

  /** The callee picks up a business-initiated call; emits the connect webhook with Meta's answer. */
  answerBusinessCall(callId: string, answerSdp: string): void {
    const call = this.#mustCall(callId);
    if (call.state !== "calling") throw new Error(`call ${callId} is ${call.state}, not calling`);
    call.state = "accepted";
    call.acceptedAt = this.#now();
    const business = this.#business(call.phoneNumberId)!;
    this.#emit(connectAnswer({
      business,
      callId,
      user: call.user,
      timestamp: Math.floor(this.#now() / 1000),
      sdp: answerSdp,
      ...(call.bizOpaqueCallbackData === undefined
        ? {}
        : { bizOpaqueCallbackData: call.bizOpaqueCallbackData }),
    }));
  }

  /** The actions requested for `callId`, in order. */
  actionsFor(callId: string): Array<string | undefined> {
    return this.requests.filter((r) => r.callId === callId).map((r) => r.action);
  }

  /** Makes the next `failure.times` requests of `action` fail with Meta's error envelope. */
  failNext(action: FakeGraphAction, failure: ScriptedFailure = {}): void {
    this.#failures.set(action, { ...failure, times: failure.times ?? 1 });
  }

  /** Delays responses to `action` by `ms`. */
  setLatency(action: FakeGraphAction, ms: number): void {
    this.#latency[action] = ms;
  }

  /** Calls `listener` with every recorded request; returns the unsubscribe function. */
  onRequest(listener: (r: RecordedRequest) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves with the first request (already recorded or future) of `action` (for `callId`). */
  waitFor(action: FakeGraphAction, callId?: string, timeoutMs = 5000): Promise<RecordedRequest> {
    const matches = (r: RecordedRequest) =>
      r.action === action && (callId === undefined || r.callId === callId);
    const seen = this.requests.find(matches);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(
          new Error(`no ${action} request${callId ? ` for ${callId}` : ""} in ${timeoutMs} ms`),
        );
      }, timeoutMs);
      const waiter: Waiter = {
        matches,
        resolve: (r) => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          resolve(r);
        },
      };
      this.#waiters.add(waiter);
    });
  }

  /** Waits until every emitted webhook has been handed to the sink; rethrows the sink's failures. */
  async flushWebhooks(): Promise<void> {
    while (this.#pendingWebhooks.size > 0) await Promise.allSettled([...this.#pendingWebhooks]);
    const errors = this.#webhookErrors.splice(0);
    if (errors.length > 0) throw new AggregateError(errors, "webhook sink failed");
  }

  /** Handles one HTTP request like graph.facebook.com. */
  async handle(req: Request): Promise<Response> {
    const path = new URL(req.url).pathname;
    const text = await req.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // recorded as text; rejected below if it matters
    }
    const record: RecordedRequest = {
      time: this.#now(),
      method: req.method,
      path,
      body,
      status: 0,
    };
    const result = this.#process(req, path, body, record);
    const response = result instanceof Response ? result : errorResponse(result);
    record.status = response.status;
    if (!(result instanceof Response)) record.errorCode = result.code;
    this.#record(record);
    const latency = record.action === undefined
      ? 0
      : this.#latency[record.action as FakeGraphAction] ?? 0;
    if (latency > 0) await sleep(latency, req.signal);
    return response;
  }

  #process(
    req: Request,
    path: string,
    body: unknown,
    record: RecordedRequest,
  ): Response | MetaFault {
    if (req.headers.get("authorization") !== `Bearer ${this.accessToken}`) {
      return {
        status: 401,
        code: 190,
        type: "OAuthException",
        message: "Invalid OAuth access token - Cannot parse access token",
      };
    }
    const route = /^\/(?:v\d+\.\d+\/)?([^/]+)\/calls$/.exec(path);
    const phoneNumberId = route?.[1];
    if (req.method !== "POST" || phoneNumberId === undefined) {
      return { ...invalid(`unsupported ${req.method} ${path}`), type: "GraphMethodException" };
    }
    record.phoneNumberId = phoneNumberId;
    const business = this.#business(phoneNumberId);
    if (business === undefined) {
      return {
        status: 400,
        code: 100,
        subcode: 33,
        type: "GraphMethodException",
        message: `Unsupported post request. Object with ID '${phoneNumberId}' does not exist, ` +
          "cannot be loaded due to missing permissions, or does not support this operation",
      };
    }
    if (typeof body !== "object" || body === null) return invalid("request body must be JSON");
    const b = body as CallsBody;
    if (typeof b.action === "string") record.action = b.action;
    if (typeof b.call_id === "string") record.callId = b.call_id;
    if (b.messaging_product !== "whatsapp") {
      return invalid("The parameter messaging_product is required and must be whatsapp");
    }
    if (typeof b.action !== "string" || !ACTIONS.includes(b.action)) {
      return invalid(`unknown action ${String(b.action)}`);
    }
    const action = b.action as FakeGraphAction;
    const scripted = this.#takeFailure(action);
    if (scripted) return scripted;
    if (action === "connect") return this.#connect(business, b);
    if (typeof b.call_id !== "string") return invalid("The parameter call_id is required");
    const call = this.#calls.get(b.call_id);
    if (call === undefined || call.phoneNumberId !== phoneNumberId) {
      return invalid(`Invalid call_id ${b.call_id}`);
    }
    const fault = this.#apply(action, call, b);
    return fault ?? Response.json({ messaging_product: "whatsapp", success: true });
  }

  #apply(action: FakeGraphAction, call: FakeCall, b: CallsBody): MetaFault | undefined {
    const ended = isEnded(call.state);
    switch (action) {
      case "pre_accept":
      case "accept": {
        if (call.direction !== "USER_INITIATED") {
          return invalid(`${action} is only valid for user-initiated calls`);
        }
        const sdp = answerSdp(b);
        if (typeof sdp !== "string") return sdp;
        if (ended) return invalid(`Call ${call.callId} has already ended (${call.state})`);
        if (action === "pre_accept") {
          // Meta applies repeats idempotently; a different SDP is a new, conflicting answer.
          if (call.state === "pre_accepted" && sdp === call.preAcceptSdp) return undefined;
          if (call.state !== "ringing") {
            return invalid(`pre_accept not allowed on a call that is ${call.state}`);
          }
          call.state = "pre_accepted";
          call.preAcceptSdp = sdp;
          return undefined;
        }
        if (call.state === "accepted") {
          return sdp === call.acceptSdp
            ? undefined
            : invalid("Call already accepted with a different SDP answer");
        }
        if (call.preAcceptSdp !== undefined && sdp !== call.preAcceptSdp) {
          return invalid(
            "SDP answer provided in accept does not match the SDP answer given in the Pre-Accept",
          );
        }
        if (typeof b.biz_opaque_callback_data === "string") {
          if (b.biz_opaque_callback_data.length > 512) {
            return invalid("biz_opaque_callback_data exceeds 512 characters");
          }
          call.bizOpaqueCallbackData = b.biz_opaque_callback_data;
        }
        call.state = "accepted";
        call.acceptSdp = sdp;
        call.acceptedAt = this.#now();
        return undefined;
      }
      case "reject": {
        if (call.state === "rejected") return undefined;
        if (call.state !== "ringing" && call.state !== "pre_accepted") {
          return invalid(`reject not allowed on a call that is ${call.state}`);
        }
        call.state = "rejected";
        this.#emitTerminate(call, false);
        return undefined;
      }
      case "terminate": {
        if (call.state === "terminated") return undefined;
        if (ended) return invalid(`Call ${call.callId} has already ended (${call.state})`);
        const pickedUp = call.acceptedAt !== undefined;
        call.state = "terminated";
        this.#emitTerminate(call, pickedUp);
        return undefined;
      }
      case "connect":
        throw new Error("connect creates calls; it is handled before call lookup");
    }
  }

  #connect(business: BusinessNumber, b: CallsBody): Response | MetaFault {
    if (typeof b.to !== "string" || !/^\d{6,15}$/.test(b.to)) {
      return invalid("The parameter to must be a phone number");
    }
    if (b.session?.sdp_type !== "offer" || typeof b.session.sdp !== "string") {
      return invalid('session must be {sdp_type: "offer", sdp}');
    }
    const fault = checkSdp(b.session.sdp, "offer");
    if (fault) return fault;
    const opaque = b.biz_opaque_callback_data;
    if (typeof opaque === "string" && opaque.length > 512) {
      return invalid("biz_opaque_callback_data exceeds 512 characters");
    }
    const call: FakeCall = {
      callId: this.#newCallId(),
      phoneNumberId: business.phoneNumberId,
      direction: "BUSINESS_INITIATED",
      user: b.to,
      state: "calling",
      offerSdp: b.session.sdp,
    };
    if (typeof opaque === "string") call.bizOpaqueCallbackData = opaque;
    this.#calls.set(call.callId, call);
    return Response.json({ messaging_product: "whatsapp", calls: [{ id: call.callId }] });
  }

  #takeFailure(action: FakeGraphAction): MetaFault | undefined {
    const f = this.#failures.get(action);
    if (f === undefined) return undefined;
    if (--f.times <= 0) this.#failures.delete(action);
    const fault: MetaFault = {
      status: f.status ?? 500,
      code: f.code ?? 138004,
      message: f.message ?? "Scripted failure",
    };
    if (f.type !== undefined) fault.type = f.type;
    if (f.subcode !== undefined) fault.subcode = f.subcode;
    if (f.details !== undefined) fault.details = f.details;
    return fault;
  }

  #record(r: RecordedRequest): void {
    this.requests.push(r);
    for (const listener of this.#listeners) listener(r);
    for (const waiter of [...this.#waiters]) if (waiter.matches(r)) waiter.resolve(r);
  }

  #emitTerminate(call: FakeCall, pickedUp: boolean): void {
    const nowSec = Math.floor(this.#now() / 1000);
    const startSec = call.acceptedAt === undefined ? nowSec : Math.floor(call.acceptedAt / 1000);
    this.#emit(terminate({
      business: this.#business(call.phoneNumberId)!,
      callId: call.callId,
      user: call.user,
      direction: call.direction,
      timestamp: nowSec,
      status: "COMPLETED",
      ...(pickedUp ? { startTime: startSec, endTime: nowSec, duration: nowSec - startSec } : {}),
      ...(call.bizOpaqueCallbackData === undefined
        ? {}
        : { bizOpaqueCallbackData: call.bizOpaqueCallbackData }),
    }));
  }

  #emit(payload: Record<string, unknown>): void {
    const sink = this.#webhooks;
    if (sink === undefined) return;
    const pending = signWebhook(payload, sink.appSecret).then((w) => sink.send(w));
    this.#pendingWebhooks.add(pending);
    pending
      .catch((e: unknown) => this.#webhookErrors.push(e))
      .finally(() => this.#pendingWebhooks.delete(pending));
  }

  #business(phoneNumberId: string): BusinessNumber | undefined {
    return this.#businesses.find((b) => b.phoneNumberId === phoneNumberId);
  }

  #mustCall(callId: string): FakeCall {
    const call = this.#calls.get(callId);
    if (call === undefined) throw new Error(`unknown call ${callId}`);
    return call;
  }

  #newCallId(): string {
    return `wacid.HBgLFAKE${String(this.#nextCall++).padStart(6, "0")}`;
  }
}

/** The SDP of a pre_accept/accept body, or the fault Meta answers. */
function answerSdp(b: CallsBody): string | MetaFault {
  if (b.session?.sdp_type !== "answer" || typeof b.session.sdp !== "string") {
    return invalid('session must be {sdp_type: "answer", sdp}');
  }
  return checkSdp(b.session.sdp, "answer") ?? b.session.sdp;
}
