/**
 * A fake Meta Graph API for `POST /{phone-number-id}/calls` that enforces what
 * Meta enforces and fails the way Meta fails: bearer token, known phone number
 * and call ids, the call state machine with no idempotency
 * (`meta_call_rules.ts`), the SDP rules that make real calls fail
 * (`meta_sdp_rules.ts`, refused as code 100 with the issue in `details`),
 * errors in Meta's envelope with the codes and statuses of Meta's table
 * (`lib/whatsapp/call_errors.ts`).
 *
 * Calls end as on Meta: a user-initiated call not accepted within the ring
 * window ends with a terminate webhook (a late answer then gets 138007); a
 * failed call ends with status FAILED and `errors[]`; a hang-up, our reject
 * and our terminate each end with a terminate webhook. Latency and failures
 * are scriptable and every request is recorded.
 *
 * Use it in-process (`fake.fetch`, injectable into the Graph client) or over
 * HTTP (`await fake.start()`).
 *
 * @module
 */

import type { CallErrorCode } from "../lib/whatsapp/call_errors.ts";
import { extractCallEvents, parseWebhook } from "../lib/whatsapp/webhook.ts";
import { inboundUserMessages } from "../lib/whatsapp/customer_service_window.ts";
import {
  applyAction,
  type CallsBody,
  checkOpaque,
  type FakeCall,
  type FakeGraphAction,
  isEnded,
  isRinging,
} from "./meta_call_rules.ts";
import {
  errorResponse,
  FailureScript,
  invalid,
  type MetaFault,
  type ScriptedFailure,
  tableFault,
  unknownObject,
} from "./meta_faults.ts";
import { checkBusinessOffer } from "./meta_sdp_rules.ts";
import {
  connectAnswerWebhook,
  type TerminateStatus,
  terminateWebhook,
} from "./fake_call_webhooks.ts";
import { callStatus, type Payload } from "./meta_webhooks.ts";
import {
  type BusinessNumber,
  DEFAULT_BUSINESS,
  type SignedWebhook,
  webhookError,
  type WebhookErrorPayload,
  type WebhookObserver,
} from "./meta_webhooks.ts";
import type { Scheduler, TimerHandle } from "../bridge/media/frame_clock.ts";
import { type RecordedRequest, RequestLog } from "./request_log.ts";
import { WebhookOutbox, type WebhookSink } from "./webhook_outbox.ts";
import { FakeCallPermissions, type FakeCallPermissionsOptions } from "./meta_permissions.ts";
import { FakeCallingSettings } from "./meta_calling_settings.ts";

export type { FakeCall, FakeCallState, FakeGraphAction } from "./meta_call_rules.ts";
export type { RecordedRequest } from "./request_log.ts";
export type { ScriptedFailure } from "./meta_faults.ts";
// The answer the fake accepts, for tests that answer on the bridge's behalf.
export { checkSdp, EXAMPLE_ANSWER_SDP } from "./meta_sdp_rules.ts";

const ACTIONS: readonly string[] = ["pre_accept", "accept", "reject", "terminate", "connect"];

/**
 * The fake's ring window: Meta gives "about 30 to 60 seconds after the Call
 * Connect Webhook is sent" (user-initiated calls page,
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-initiated-calls);
 * the fake takes the shortest, the case the product must survive.
 */
export const DEFAULT_RING_WINDOW_MS = 30_000;

/** The timers the ring window runs on (a bridge `Scheduler` fits, e.g. a manual one in tests). */
export type RingTimers = Pick<Scheduler, "setTimeout" | "clearTimeout">;

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
  /** Where Meta's webhooks go (terminate after reject/terminate/hangup/ring-out, connect answer). */
  webhooks?: WebhookSink;
  /**
   * How long a user-initiated call rings unanswered before Meta ends it.
   * Default {@link DEFAULT_RING_WINDOW_MS}.
   */
  ringWindowMs?: number;
  /** The ring window's timers. Default unref'd global timers: they never keep a process alive. */
  timers?: RingTimers;
  /** Call permission settings: connected-call limit, templates that exist. */
  permissions?: Omit<FakeCallPermissionsOptions, "now" | "emit">;
  /** The users' phones: told of each business-initiated call placed and ended (`user_phone.ts`). */
  phone?: BusinessCallListener;
}

/** What plays the user's phone for business-initiated calls. */
export interface BusinessCallListener {
  /** A `connect` was accepted: the call is `calling`; called after Graph's answer went out. */
  placed(call: FakeCall, graph: FakeMetaGraph): void;
  /** The call ended at Meta (our terminate, the user's hang-up or rejection). */
  ended?(call: FakeCall): void;
}

const UNREF_TIMERS: RingTimers = {
  setTimeout: (fn, ms) => {
    const id = setTimeout(fn, ms);
    Deno.unrefTimer(id);
    return id;
  },
  clearTimeout: (id) => clearTimeout(id as number),
};

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

/** The fake Graph API. */
export class FakeMetaGraph extends RequestLog<FakeGraphAction> implements WebhookObserver {
  /** The token requests must carry. */
  readonly accessToken: string;
  /** In-process `fetch` that routes to {@link handle}; honours `signal` like a real fetch. */
  readonly fetch: typeof fetch;
  /** The users' side of call permissions (scripted replies, limits, grants). */
  readonly permissions: FakeCallPermissions;
  /** Numbers' calling settings (`/{id}/settings`: callback_permission_status). */
  readonly callingSettings: FakeCallingSettings = new FakeCallingSettings();

  readonly #businesses: BusinessNumber[];
  readonly #latency: Partial<Record<FakeGraphAction, number>>;
  readonly #now: () => number;
  readonly #outbox: WebhookOutbox;
  readonly #ringWindowMs: number;
  readonly #timers: RingTimers;
  readonly #ringing = new Map<string, TimerHandle>();
  readonly #calls = new Map<string, FakeCall>();
  readonly #failures = new FailureScript<FakeGraphAction>();
  readonly #requestFailures = new FailureScript<"call_permission_request">();
  #nextCall = 1;
  /** Per fake, so two fakes over one store (tests) never hand out the same call id. */
  readonly #idTag = crypto.randomUUID().slice(0, 8).toUpperCase();
  /** The users' phones (business-initiated calls); settable after construction. */
  phone: BusinessCallListener | undefined;

  /** Creates a fake with no calls. */
  constructor(options: FakeMetaGraphOptions = {}) {
    super();
    this.accessToken = options.accessToken ?? "test-access-token";
    this.#businesses = options.businesses ?? [DEFAULT_BUSINESS];
    this.#latency = { ...options.latencyMs };
    this.#now = options.now ?? Date.now;
    this.#outbox = new WebhookOutbox(options.webhooks);
    this.#ringWindowMs = options.ringWindowMs ?? DEFAULT_RING_WINDOW_MS;
    this.#timers = options.timers ?? UNREF_TIMERS;
    this.fetch = (input, init) => this.handle(new Request(input, init));
    this.phone = options.phone;
    this.permissions = new FakeCallPermissions({
      ...options.permissions,
      now: this.#now,
      emit: (payload) => this.#outbox.emit(payload),
    });
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

  /** Registers a ringing user-initiated call (what a connect webhook announces); its ring window starts. */
  registerCall(
    p: {
      callId?: string;
      phoneNumberId?: string;
      user?: string;
      userId?: string;
      offerSdp?: string;
    } = {},
  ): FakeCall {
    const call: FakeCall = {
      callId: p.callId ?? this.#newCallId(),
      phoneNumberId: p.phoneNumberId ?? this.#businesses[0]!.phoneNumberId,
      direction: "USER_INITIATED",
      state: "ringing",
    };
    // A username user may come without a number (BSUID only).
    if (p.user !== undefined || p.userId === undefined) call.user = p.user ?? "16315553602";
    if (p.userId !== undefined) call.userId = p.userId;
    if (p.offerSdp !== undefined) call.offerSdp = p.offerSdp;
    this.#calls.set(call.callId, call);
    this.#stopRinging(call.callId);
    this.#ringing.set(
      call.callId,
      this.#timers.setTimeout(() => this.#ringOut(call), this.#ringWindowMs),
    );
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
    // Messages the user sent open the customer service window, read as the webhook core reads them.
    for (const m of messagesChanges(json).flatMap(inboundUserMessages)) {
      this.permissions.userWrote(m.phoneNumberId, m.user, m.at);
    }
    const parsed = parseWebhook(json);
    if (!parsed.ok) return;
    for (const e of extractCallEvents(parsed.value)) {
      const known = this.#calls.get(e.callId);
      if (e.kind === "connect_offer" && known === undefined) {
        // A user calling opens the customer service window.
        if (e.from !== undefined) this.permissions.userContact(e.phoneNumberId, e.from);
        this.registerCall({
          callId: e.callId,
          phoneNumberId: e.phoneNumberId,
          ...(e.from === undefined ? {} : { user: e.from }),
          ...(e.fromUserId === undefined ? {} : { userId: e.fromUserId }),
          offerSdp: e.sdp,
        });
      } else if (e.kind === "terminate" && known !== undefined && !isEnded(known.state)) {
        this.#stopRinging(known.callId);
        known.state = "completed";
      }
    }
  }

  /** The user hangs up; emits the terminate webhook (COMPLETED). */
  hangup(callId: string): void {
    const call = this.#liveCall(callId);
    call.state = "completed";
    this.#emitTerminate(call, "COMPLETED");
    if (call.direction === "BUSINESS_INITIATED") this.phone?.ended?.(call);
  }

  /**
   * Meta ends the call as failed: a terminate webhook with status FAILED and
   * `errors[]` carrying `code` (Meta sends 138019–138023 this way,
   * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/troubleshooting).
   */
  failCall(callId: string, code: CallErrorCode, details?: string): void {
    const call = this.#liveCall(callId);
    call.state = "failed";
    this.#emitTerminate(call, "FAILED", [webhookError(code, details)]);
  }

  /** The callee picks up a business-initiated call; emits the connect webhook with Meta's answer. */
  answerBusinessCall(callId: string, answerSdp: string): void {
    const call = this.#calls.get(callId);
    if (call === undefined) throw new Error(`unknown call ${callId}`);
    if (call.state !== "calling") throw new Error(`call ${callId} is ${call.state}, not calling`);
    call.state = "accepted";
    call.acceptedAt = this.#now();
    const business = this.#business(call.phoneNumberId)!;
    this.#outbox.emit(connectAnswerWebhook(call, business, this.#now(), answerSdp));
  }

  /**
   * A business-initiated call's status from the user's phone
   * (https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/business-initiated-calls):
   * `RINGING`; `ACCEPTED` (picked up: the billed duration starts, the pair's
   * connected-call count grows); `REJECTED`, followed by the terminate Meta
   * sends (COMPLETED, without times: never picked up).
   */
  businessCallStatus(callId: string, status: "RINGING" | "ACCEPTED" | "REJECTED"): void {
    const call = this.#liveCall(callId);
    const business = this.#business(call.phoneNumberId)!;
    this.#outbox.emit(callStatus({
      business,
      callId,
      timestamp: Math.floor(this.#now() / 1000),
      status,
      ...(call.user === undefined ? {} : { user: call.user }),
      ...(call.bizOpaqueCallbackData === undefined
        ? {}
        : { bizOpaqueCallbackData: call.bizOpaqueCallbackData }),
    }));
    if (status === "ACCEPTED") {
      call.state = "accepted";
      call.acceptedAt = this.#now();
      if (call.user !== undefined) this.permissions.recordCall(business, call.user, "connected");
    } else if (status === "REJECTED") {
      call.state = "completed";
      if (call.user !== undefined) this.permissions.recordCall(business, call.user, "unanswered");
      this.#emitTerminate(call, "COMPLETED");
      this.phone?.ended?.(call);
    }
  }

  /** The `connect` webhook carrying the phone's SDP answer; the call keeps ringing. */
  sendBusinessAnswer(callId: string, answerSdp: string): void {
    const call = this.#liveCall(callId);
    const business = this.#business(call.phoneNumberId)!;
    this.#outbox.emit(connectAnswerWebhook(call, business, this.#now(), answerSdp));
  }

  /** Emits any webhook through the fake's outbox (tests send malformed ones on purpose). */
  emitWebhook(payload: Payload): void {
    this.#outbox.emit(payload);
  }

  /** Makes the next `failure.times` requests of `action` fail with Meta's error envelope. */
  failNext(action: FakeGraphAction, failure: ScriptedFailure = {}): void {
    this.#failures.set(action, failure);
  }

  /** Makes the next permission requests (`POST /messages`) fail as {@linkcode failNext} does. */
  failNextPermissionRequest(failure: ScriptedFailure = {}): void {
    this.#requestFailures.set("call_permission_request", failure);
  }

  /** Delays responses to `action` by `ms`. */
  setLatency(action: FakeGraphAction, ms: number): void {
    this.#latency[action] = ms;
  }

  /** Waits until every emitted webhook has been handed to the sink; rethrows the sink's failures. */
  flushWebhooks(): Promise<void> {
    return this.#outbox.flush();
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
    this.record(record);
    const latency = record.action === undefined
      ? 0
      : this.#latency[record.action as FakeGraphAction] ?? 0;
    if (latency > 0) await sleep(latency, req.signal);
    return response;
  }

  /**
   * `GET /me` (the token's user) and `GET /{phone-number-id}` (the number's
   * display number and verified name): what `deno task doctor` asks. An
   * unknown id gets Graph's code 100, subcode 33.
   */
  #getNode(path: string): Response | MetaFault {
    const node = /^\/(?:v\d+\.\d+\/)?([^/]+)$/.exec(path)?.[1] ?? "";
    if (node === "me") return Response.json({ name: "Sandbox System User", id: "100000000000001" });
    const business = this.#business(node);
    if (business === undefined) return unknownObject("get", node);
    return Response.json({
      verified_name: "Sandbox Business",
      display_phone_number: `+${business.displayPhoneNumber}`,
      id: business.phoneNumberId,
    });
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
    const permissions = this.#permissionRoute(req, path, body, record);
    if (permissions !== undefined) return permissions;
    const settings = /^\/(?:v\d+\.\d+\/)?([^/]+)\/settings$/.exec(path)?.[1];
    if (settings !== undefined && (req.method === "GET" || req.method === "POST")) {
      record.phoneNumberId = settings;
      record.action = req.method === "GET" ? "get_settings" : "update_settings";
      if (this.#business(settings) === undefined) {
        return unknownObject(req.method === "GET" ? "get" : "post", settings);
      }
      return this.callingSettings.handle(req.method, settings, body);
    }
    if (req.method === "GET") return this.#getNode(path);
    const route = /^\/(?:v\d+\.\d+\/)?([^/]+)\/calls$/.exec(path);
    const phoneNumberId = route?.[1];
    if (req.method !== "POST" || phoneNumberId === undefined) {
      return { ...invalid(`unsupported ${req.method} ${path}`), type: "GraphMethodException" };
    }
    record.phoneNumberId = phoneNumberId;
    const business = this.#business(phoneNumberId);
    if (business === undefined) return unknownObject("post", phoneNumberId);
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
    const scripted = this.#failures.take(action);
    if (scripted && !scripted.applied) return scripted.fault;
    const result = this.#perform(action, business, b);
    return scripted?.fault ?? result;
  }

  /** `POST /{id}/messages` (permission requests) and `GET /{id}/call_permissions`. */
  #permissionRoute(
    req: Request,
    path: string,
    body: unknown,
    record: RecordedRequest,
  ): Response | MetaFault | undefined {
    const route = /^\/(?:v\d+\.\d+\/)?([^/]+)\/(messages|call_permissions)$/.exec(path);
    if (route === null) return undefined;
    const [, phoneNumberId, endpoint] = route as unknown as [string, string, string];
    const wanted = endpoint === "messages" ? "POST" : "GET";
    if (req.method !== wanted) return undefined;
    record.phoneNumberId = phoneNumberId;
    record.action = endpoint === "messages" ? "call_permission_request" : "get_call_permissions";
    const business = this.#business(phoneNumberId);
    if (business === undefined) {
      return unknownObject(wanted === "GET" ? "get" : "post", phoneNumberId);
    }
    if (endpoint !== "messages") {
      return this.permissions.handleGet(business, new URL(req.url).searchParams);
    }
    const scripted = this.#requestFailures.take("call_permission_request");
    if (scripted && !scripted.applied) return scripted.fault;
    const result = this.permissions.handleRequest(business, body);
    return scripted?.fault ?? result;
  }

  #perform(action: FakeGraphAction, business: BusinessNumber, b: CallsBody): Response | MetaFault {
    if (action === "connect") return this.#connect(business, b);
    if (typeof b.call_id !== "string") return invalid("The parameter call_id is required");
    const call = this.#calls.get(b.call_id);
    if (call === undefined || call.phoneNumberId !== business.phoneNumberId) {
      return invalid(`Invalid call_id ${b.call_id}`);
    }
    const wasEnded = isEnded(call.state);
    const fault = applyAction(action, call, b, this.#now());
    if (fault) return fault;
    if (!isRinging(call.state)) this.#stopRinging(call.callId);
    if (action === "accept" && call.user !== undefined) {
      this.permissions.userCallConnected(call.phoneNumberId, call.user);
    }
    if (!wasEnded && isEnded(call.state)) {
      this.#emitTerminate(call, "COMPLETED");
      if (call.direction === "BUSINESS_INITIATED") this.#businessCallEnded(call, business);
    }
    return Response.json({ messaging_product: "whatsapp", success: true });
  }

  #connect(business: BusinessNumber, b: CallsBody): Response | MetaFault {
    if (typeof b.to !== "string" || !/^\d{6,15}$/.test(b.to)) {
      return invalid("The parameter to must be a phone number");
    }
    if (b.session?.sdp_type !== "offer" || typeof b.session.sdp !== "string") {
      return invalid('session must be {sdp_type: "offer", sdp}');
    }
    const fault = checkBusinessOffer(b.session.sdp);
    if (fault) return fault;
    const opaque = b.biz_opaque_callback_data;
    const tooLong = checkOpaque(opaque);
    if (tooLong) return tooLong;
    // T: 138006 without an approved permission, 138012 past the connected-call limit.
    const refused = this.permissions.callFault(business.phoneNumberId, b.to);
    if (refused) return refused;
    const ongoing = [...this.#calls.values()].some((c) =>
      c.direction === "BUSINESS_INITIATED" && c.user === b.to &&
      c.phoneNumberId === business.phoneNumberId && !isEnded(c.state)
    );
    if (ongoing) return tableFault(138003, "A call with this user is already ongoing");
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
    // The phone rings after Graph's answer left, as on Meta.
    const phone = this.phone;
    if (phone) setTimeout(() => phone.placed(call, this), 0);
    return Response.json({ messaging_product: "whatsapp", calls: [{ id: call.callId }] });
  }

  /** Our terminate ended a business call: unanswered if never picked up; the phone stops. */
  #businessCallEnded(call: FakeCall, business: BusinessNumber): void {
    if (call.acceptedAt === undefined && call.user !== undefined) {
      this.permissions.recordCall(business, call.user, "unanswered");
    }
    this.phone?.ended?.(call);
  }

  #emitTerminate(call: FakeCall, status: TerminateStatus, errors?: WebhookErrorPayload[]): void {
    const business = this.#business(call.phoneNumberId)!;
    this.#outbox.emit(terminateWebhook(call, business, this.#now(), status, errors));
  }

  /**
   * Meta's ring window lapsed without our accept: the caller sees "Not
   * Answered" and we get a terminate webhook. Meta documents neither its
   * status nor errors; the fake sends COMPLETED without times or errors
   * ("even unanswered calls are considered completed", business-initiated
   * calls page, as quoted by a third party: unconfirmed for user-initiated
   * calls), so COMPLETED must never be read as "answered".
   */
  #ringOut(call: FakeCall): void {
    this.#ringing.delete(call.callId);
    if (!isRinging(call.state)) return;
    call.state = "not_answered";
    this.#emitTerminate(call, "COMPLETED");
  }

  #stopRinging(callId: string): void {
    if (!this.#ringing.has(callId)) return;
    this.#timers.clearTimeout(this.#ringing.get(callId));
    this.#ringing.delete(callId);
  }

  /** The call, if it has not ended; it stops ringing, as the caller will end it now. */
  #liveCall(callId: string): FakeCall {
    const call = this.#calls.get(callId);
    if (call === undefined) throw new Error(`unknown call ${callId}`);
    if (isEnded(call.state)) throw new Error(`call ${callId} already ended (${call.state})`);
    this.#stopRinging(callId);
    return call;
  }

  #business(phoneNumberId: string): BusinessNumber | undefined {
    return this.#businesses.find((b) => b.phoneNumberId === phoneNumberId);
  }

  #newCallId(): string {
    return `wacid.HBgLFAKE${this.#idTag}${String(this.#nextCall++).padStart(6, "0")}`;
  }
}

/** The `value` of each `messages` change in a webhook body (anything else is skipped). */
function messagesChanges(json: unknown): unknown[] {
  const entries = (json as { entry?: unknown } | null)?.entry;
  if (!Array.isArray(entries)) return [];
  return entries.flatMap((e) => {
    const changes = (e as { changes?: unknown } | null)?.changes;
    return Array.isArray(changes)
      ? changes.filter((c) => (c as { field?: unknown } | null)?.field === "messages")
        .map((c) => (c as { value?: unknown }).value)
      : [];
  });
}
