/**
 * Client of the voice bridge's HTTP API (`bridge/http/app.ts`): open a media
 * session for Meta's offer and get our SDP answer, wait for the media
 * connection, start media once Meta accepted, end the session.
 *
 * A ringing caller waits on `createSession`, so every request has one total
 * deadline (default 1.5 s) well inside the 2 s in which a failed call must be
 * rejected; the connected wait gets its own bound plus that deadline.
 * Failures are typed by cause so the caller can record why.
 *
 * @module
 */

import { z } from "zod";
import {
  type CallEnded,
  CallEndedSchema,
  type EndSession,
  ErrorBodySchema,
  MAX_END_REASON_CHARS,
  type MetaEvent,
  type NewOutboundSession,
  type NewSession,
  type OfferCreated,
  OfferCreatedSchema,
  type RecordsAccepted,
  RecordsAcceptedSchema,
  REQUEST_DEADLINE_HEADER,
  type SessionConnected,
  SessionConnectedSchema,
  type SessionCreated,
  SessionCreatedSchema,
  type SessionEnded,
  SessionEndedSchema,
  type SessionStatus,
  SessionStatusSchema,
  type WaitConnected,
} from "./schema.ts";

/** Default total deadline of one bridge request. */
export const DEFAULT_BRIDGE_TIMEOUT_MS = 1500;

/** Why a bridge request failed. */
export type BridgeFailure =
  /** Connection refused, DNS, reset: no bridge listening. */
  | "unreachable"
  /** No complete answer within the deadline. */
  | "timeout"
  /** 503: no room for another call. */
  | "capacity"
  /** 400: the bridge cannot use Meta's offer. */
  | "offer_rejected"
  /** 409: a session already exists for the call (or it has ended). */
  | "conflict"
  /** 404: no such session. */
  | "not_found"
  /** Any other status, or a body that is not what the API documents. */
  | "bad_response";

/** A failed bridge request; the secret never appears in it. */
export class BridgeError extends Error {
  /** Cause, for records and logs. */
  readonly failure: BridgeFailure;
  /** HTTP status, when the bridge answered. */
  readonly httpStatus: number | undefined;

  constructor(failure: BridgeFailure, message: string, httpStatus?: number) {
    super(message);
    this.name = "BridgeError";
    this.failure = failure;
    this.httpStatus = httpStatus;
  }
}

/**
 * The end reason a failed bridge request records: `<prefix>_<failure>` (e.g.
 * `bridge_accept_timeout`) for a {@linkcode BridgeError}, else `bridge_error`.
 */
export function bridgeFailureReason(error: unknown, prefix = "bridge"): string {
  return error instanceof BridgeError ? `${prefix}_${error.failure}` : "bridge_error";
}

/** Metadata and offer of a user-initiated call, as `POST /sessions` takes them. */
export type NewBridgeSession = NewSession;

/** A session the bridge opened: its id and our SDP answer for Meta. */
export type BridgeSession = SessionCreated;

/** Options of {@link BridgeClient}. */
export interface BridgeClientOptions {
  /** Bridge root, e.g. `http://127.0.0.1:8787`. */
  baseUrl: string;
  /** `VOICE_BRIDGE_SECRET`, sent as a bearer token. */
  secret: string;
  /** Total deadline per request, body included. Default {@link DEFAULT_BRIDGE_TIMEOUT_MS}. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

const FAILURE_BY_STATUS: Readonly<Record<number, BridgeFailure>> = {
  400: "offer_rejected",
  404: "not_found",
  // The bridge saw our deadline pass first and closed the session unseen.
  408: "timeout",
  409: "conflict",
  503: "capacity",
};

/** The voice bridge's session API. */
export class BridgeClient {
  readonly #baseUrl: string;
  readonly #secret: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  /** Creates a client; nothing is sent until a method is called. */
  constructor(options: BridgeClientOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.#secret = options.secret;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_BRIDGE_TIMEOUT_MS;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /** Opens a session for Meta's offer; resolves with our answer or throws {@link BridgeError}. */
  createSession(session: NewBridgeSession): Promise<BridgeSession> {
    return this.#call("create session", "POST", "/sessions", 201, SessionCreatedSchema, session);
  }

  /**
   * Waits up to `timeoutMs` for the session's ICE and DTLS to come up;
   * `connected` false when they did not, or the session ended first.
   */
  waitConnected(sessionId: string, timeoutMs: number): Promise<SessionConnected> {
    return this.#call(
      "wait connected",
      "POST",
      `${path(sessionId)}/connected`,
      200,
      SessionConnectedSchema,
      { timeoutMs } satisfies WaitConnected,
      timeoutMs + this.#timeoutMs,
    );
  }

  /** Tells the bridge Meta accepted the call, so media starts. */
  acceptSession(sessionId: string): Promise<SessionStatus> {
    return this.#call(
      "accept session",
      "POST",
      `${path(sessionId)}/accept`,
      200,
      SessionStatusSchema,
    );
  }

  /** Passes Meta's status webhook or business-initiated answer to the session holding the call. */
  notifySession(sessionId: string, event: MetaEvent): Promise<SessionStatus> {
    return this.#call(
      "notify session",
      "POST",
      `${path(sessionId)}/events`,
      200,
      SessionStatusSchema,
      event,
    );
  }

  /** Ends a session; `reason` is kept in the bridge's records. */
  endSession(sessionId: string, reason: string): Promise<SessionEnded> {
    const body: EndSession = { reason: reason.slice(0, MAX_END_REASON_CHARS) };
    return this.#call("end session", "DELETE", path(sessionId), 200, SessionEndedSchema, body);
  }

  /**
   * Ends whatever the bridge holds for a call the caller gave up on (say after
   * `createSession` timed out, with no session id to end): a session is ended
   * without Graph `terminate`, a creation in flight is cancelled.
   */
  endCall(callId: string, reason: string): Promise<CallEnded> {
    const body: EndSession = { reason: reason.slice(0, MAX_END_REASON_CHARS) };
    const url = `/calls/${encodeURIComponent(callId)}`;
    return this.#call("end call", "DELETE", url, 200, CallEndedSchema, body);
  }

  /**
   * Makes the SDP offer of a business-initiated call (`POST /offers`); the
   * bridge gathers every candidate first, so this is given `timeoutMs`.
   */
  createOffer(phoneNumberId: string, timeoutMs = 5000): Promise<OfferCreated> {
    return this.#call("create offer", "POST", "/offers", 201, OfferCreatedSchema, {
      phoneNumberId,
    }, timeoutMs);
  }

  /** Closes an offer Graph `connect` refused (`DELETE /offers/:id`). */
  async discardOffer(offerId: string): Promise<void> {
    await this.#call(
      "discard offer",
      "DELETE",
      `/offers/${encodeURIComponent(offerId)}`,
      200,
      z.unknown(),
    );
  }

  /** Turns a pending offer into the named call's session (`POST /sessions/outbound`). */
  createOutboundSession(session: NewOutboundSession): Promise<BridgeSession> {
    return this.#call(
      "create outbound session",
      "POST",
      "/sessions/outbound",
      201,
      SessionCreatedSchema,
      session,
    );
  }

  /**
   * Hands the bridge store writes the database could not take (`POST
   * /records`); resolved once they are durable in the bridge's outbox.
   */
  deferRecords(records: readonly object[]): Promise<RecordsAccepted> {
    return this.#call("defer records", "POST", "/records", 202, RecordsAcceptedSchema, {
      records,
    });
  }

  /** One request; anything but `expected` with a body `schema` accepts is a {@link BridgeError}. */
  async #call<T>(
    what: string,
    method: string,
    url: string,
    expected: number,
    schema: z.ZodType<T>,
    body?: unknown,
    timeoutMs = this.#timeoutMs,
  ): Promise<T> {
    const { status, json } = await this.#request(method, url, body, timeoutMs);
    if (status !== expected) throw this.#statusError(what, status, json);
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new BridgeError(
        "bad_response",
        `bridge ${what}: HTTP ${status} with an unexpected body`,
        status,
      );
    }
    return parsed.data;
  }

  async #request(
    method: string,
    path: string,
    body: unknown,
    timeoutMs: number,
  ): Promise<{ status: number; json: unknown }> {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const res = await this.#fetch(`${this.#baseUrl}${path}`, {
        method,
        headers: {
          "authorization": `Bearer ${this.#secret}`,
          // What the bridge makes after this is made for nobody: it drops it instead.
          [REQUEST_DEADLINE_HEADER]: String(timeoutMs),
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? null : JSON.stringify(body),
        signal,
      });
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: res.status, json };
    } catch (e) {
      if (signal.aborted) {
        throw new BridgeError(
          "timeout",
          `bridge ${method} ${path} timed out after ${timeoutMs} ms`,
        );
      }
      const reason = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      throw new BridgeError(
        "unreachable",
        `bridge ${method} ${path} failed: ${this.#redact(reason)}`,
      );
    }
  }

  #statusError(what: string, status: number, json: unknown): BridgeError {
    const failure = FAILURE_BY_STATUS[status] ?? "bad_response";
    const detail = describeBody(json);
    return new BridgeError(
      failure,
      `bridge ${what}: HTTP ${status}${detail ? `: ${this.#redact(detail)}` : ""}`,
      status,
    );
  }

  #redact(text: string): string {
    return this.#secret === "" ? text : text.split(this.#secret).join("[redacted]");
  }
}

/** The route of one session. */
function path(sessionId: string): string {
  return `/sessions/${encodeURIComponent(sessionId)}`;
}

/** The bridge's `{error, reasons|issues|reason}` as one short line. */
function describeBody(json: unknown): string {
  const r = ErrorBodySchema.safeParse(json);
  if (!r.success) return "";
  const more = r.data.reasons ?? r.data.issues ?? (r.data.reason ? [r.data.reason] : []);
  return [r.data.error, ...more].join("; ").slice(0, 300);
}
