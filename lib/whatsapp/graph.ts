/**
 * Client for the WhatsApp Cloud API calling endpoint
 * `POST {baseUrl}/{phone-number-id}/calls`: pre_accept, accept, reject,
 * terminate (user-initiated calls) and connect (business-initiated).
 *
 * Configuration is injected (no env): the caller passes the Graph URL and
 * token. Requests time out individually; transient failures are retried only
 * for actions Meta applies idempotently per call id, never for `connect`,
 * whose repeat would place a second call. The access token never appears in
 * errors.
 *
 * @module
 */

import { z } from "zod";

/** Actions of the `/calls` endpoint. */
export type GraphCallAction = "pre_accept" | "accept" | "reject" | "terminate" | "connect";

/** Meta caps `biz_opaque_callback_data` at 512 characters. */
export const MAX_BIZ_OPAQUE_LENGTH = 512;

/** Default Graph base URL (v23.0 or newer is recommended for calling). */
export const DEFAULT_GRAPH_URL = "https://graph.facebook.com/v23.0";

/** Name and meaning of a Graph/webhook error code from Meta's calling docs. */
export interface GraphErrorInfo {
  codeName: string;
  meaning: string;
}

const ERROR_INFO: Readonly<Record<number, GraphErrorInfo>> = {
  100: { codeName: "invalid_parameter", meaning: "Invalid parameter (incl. SDP validation)" },
  190: { codeName: "invalid_access_token", meaning: "Invalid or expired access token" },
  613: { codeName: "rate_limited", meaning: "Call permissions API rate limit" },
  131009: {
    codeName: "interactive_not_supported",
    meaning: "voice_call interactive not supported",
  },
  131030: { codeName: "not_allow_listed", meaning: "Recipient not on the test allow-list" },
  131044: { codeName: "payment_required", meaning: "No valid payment method" },
  131055: { codeName: "sip_enabled", meaning: "Graph calling API used on a SIP-enabled number" },
  138000: { codeName: "calling_not_enabled", meaning: "Calling is not enabled on the number" },
  138001: { codeName: "receiver_uncallable", meaning: "Receiver cannot be called" },
  138002: { codeName: "concurrent_calls_limit", meaning: "Concurrent calls limit (1000) reached" },
  138003: { codeName: "duplicate_call", meaning: "Duplicate call" },
  138004: { codeName: "connection_error", meaning: "Connection error" },
  138005: { codeName: "call_rate_limit", meaning: "Call rate limit reached" },
  138006: { codeName: "no_call_permission", meaning: "No call permission from the user" },
  138007: {
    codeName: "connect_timeout",
    meaning: "Business did not apply the offer/answer SDP in time",
  },
  138008: {
    codeName: "sdp_validation",
    meaning: "SDP validation (fingerprint): send exactly one sha-256 fingerprint",
  },
  138009: { codeName: "permission_request_limit", meaning: "Call permission request limit" },
  138012: {
    codeName: "business_call_limit",
    meaning: "100 connected business-initiated calls per 24 h",
  },
  138013: {
    codeName: "country_unavailable",
    meaning: "Business-initiated calling unavailable in the country",
  },
  138014: { codeName: "low_quality", meaning: "Calling disabled for low quality" },
  138015: { codeName: "messaging_limit", meaning: "Messaging limit below 2000" },
  138017: { codeName: "permanent_permission_exists", meaning: "Permanent permission exists" },
  138018: { codeName: "prerequisites_missing", meaning: "Calling prerequisites missing" },
  138019: { codeName: "setup_failed", meaning: "Call setup failed" },
  138020: { codeName: "relay_failed", meaning: "Media relay failed" },
  138021: { codeName: "media_receive_timeout", meaning: "No media received from the business" },
  138022: { codeName: "media_transmit_timeout", meaning: "Media transmit timeout" },
  138023: { codeName: "no_media_after_accept", meaning: "Accepted but no media signals" },
};

/** Known name/meaning of a Meta error code (Graph responses and terminate webhooks). */
export function graphErrorInfo(code: number): GraphErrorInfo | undefined {
  return ERROR_INFO[code];
}

/** Base class of every error this client throws. */
export class GraphError extends Error {
  /** The action whose request failed. */
  readonly action: GraphCallAction;
  /** Attempts made, including retries. */
  readonly attempts: number;

  constructor(message: string, action: GraphCallAction, attempts: number) {
    super(message);
    this.name = "GraphError";
    this.action = action;
    this.attempts = attempts;
  }
}

/** Meta answered with its error envelope `{"error":{...}}`. */
export class GraphApiError extends GraphError {
  readonly code: number;
  readonly httpStatus: number;
  readonly type: string | undefined;
  readonly subcode: number | undefined;
  readonly fbtraceId: string | undefined;
  /** `error_data.details` (SDP validation reasons live here). */
  readonly details: string | undefined;
  /** Known name of `code`, e.g. `sdp_validation`; undefined for unknown codes. */
  readonly codeName: string | undefined;
  /** Known meaning of `code`. */
  readonly meaning: string | undefined;

  constructor(
    init: {
      action: GraphCallAction;
      attempts: number;
      httpStatus: number;
      message: string;
      code: number;
      type?: string | undefined;
      subcode?: number | undefined;
      fbtraceId?: string | undefined;
      details?: string | undefined;
    },
  ) {
    const info = graphErrorInfo(init.code);
    super(
      `Graph ${init.action} failed: HTTP ${init.httpStatus} code ${init.code}` +
        `${info ? ` (${info.codeName})` : ""}: ${init.message}` +
        `${init.details ? ` [${init.details}]` : ""}`,
      init.action,
      init.attempts,
    );
    this.name = "GraphApiError";
    this.code = init.code;
    this.httpStatus = init.httpStatus;
    this.type = init.type;
    this.subcode = init.subcode;
    this.fbtraceId = init.fbtraceId;
    this.details = init.details;
    this.codeName = info?.codeName;
    this.meaning = info?.meaning;
  }
}

/** The request did not complete within `timeoutMs`. */
export class GraphTimeoutError extends GraphError {
  readonly timeoutMs: number;

  constructor(action: GraphCallAction, attempts: number, timeoutMs: number) {
    super(`Graph ${action} timed out after ${timeoutMs} ms`, action, attempts);
    this.name = "GraphTimeoutError";
    this.timeoutMs = timeoutMs;
  }
}

/** The request failed below HTTP (DNS, connection reset, …). */
export class GraphNetworkError extends GraphError {
  constructor(action: GraphCallAction, attempts: number, reason: string) {
    super(`Graph ${action} network error: ${reason}`, action, attempts);
    this.name = "GraphNetworkError";
  }
}

/** The response was not what Meta documents (non-JSON error page, unexpected success body). */
export class GraphResponseError extends GraphError {
  readonly httpStatus: number;

  constructor(action: GraphCallAction, attempts: number, httpStatus: number, reason: string) {
    super(`Graph ${action} unexpected response (HTTP ${httpStatus}): ${reason}`, action, attempts);
    this.name = "GraphResponseError";
    this.httpStatus = httpStatus;
  }
}

const ErrorEnvelopeSchema = z.looseObject({
  error: z.looseObject({
    message: z.string(),
    type: z.string().optional(),
    code: z.number().int(),
    error_subcode: z.number().int().optional(),
    error_data: z.looseObject({ details: z.string().optional() }).optional(),
    fbtrace_id: z.string().optional(),
  }),
});

const SuccessSchema = z.looseObject({ success: z.literal(true) });
const ConnectSuccessSchema = z.looseObject({
  calls: z.array(z.looseObject({ id: z.string().min(1) })).min(1),
});

/** Options of {@link GraphClient}. */
export interface GraphClientOptions {
  /** Graph root including the version, e.g. `https://graph.facebook.com/v23.0`. */
  baseUrl?: string;
  accessToken: string;
  /** Per-attempt timeout. Default 5000 ms. */
  timeoutMs?: number;
  /** Extra attempts for retryable actions. Default 2. */
  retries?: number;
  /** First backoff delay, doubled per retry. Default 200 ms. */
  retryDelayMs?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

/** pre_accept/accept parameters. */
export interface AnswerParams {
  phoneNumberId: string;
  callId: string;
  /** Our SDP answer; accept must repeat the pre_accept SDP verbatim. */
  sdp: string;
}

/** reject/terminate parameters. */
export interface CallRef {
  phoneNumberId: string;
  callId: string;
}

/** Business-initiated connect parameters. */
export interface ConnectParams {
  phoneNumberId: string;
  /** Callee WhatsApp number. */
  to: string;
  /** Our SDP offer. */
  sdp: string;
  bizOpaqueCallbackData?: string;
}

type Outcome =
  | { kind: "ok"; body: unknown }
  | { kind: "error"; error: GraphError; retryable: boolean };

function checkOpaque(value: string | undefined): void {
  if (value !== undefined && value.length > MAX_BIZ_OPAQUE_LENGTH) {
    throw new RangeError(`biz_opaque_callback_data exceeds ${MAX_BIZ_OPAQUE_LENGTH} characters`);
  }
}

function opaqueField(value: string | undefined): { biz_opaque_callback_data?: string } {
  return value === undefined ? {} : { biz_opaque_callback_data: value };
}

/** WhatsApp calling Graph API client. */
export class GraphClient {
  readonly #baseUrl: string;
  readonly #token: string;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #retryDelayMs: number;
  readonly #fetch: typeof fetch;
  readonly #sleep: (ms: number) => Promise<void>;

  /** Creates a client; nothing is sent until an action is called. */
  constructor(options: GraphClientOptions) {
    this.#baseUrl = (options.baseUrl ?? DEFAULT_GRAPH_URL).replace(/\/+$/, "");
    this.#token = options.accessToken;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#retries = Math.max(0, options.retries ?? 2);
    this.#retryDelayMs = options.retryDelayMs ?? 200;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** Sends our SDP answer early so ICE/DTLS converge before accept (caller sees "Ringing"). */
  async preAccept(p: AnswerParams): Promise<void> {
    await this.#send("pre_accept", p.phoneNumberId, {
      messaging_product: "whatsapp",
      call_id: p.callId,
      action: "pre_accept",
      session: { sdp_type: "answer", sdp: p.sdp },
    }, SuccessSchema);
  }

  /** Answers the call; start media only after this resolves. */
  async accept(p: AnswerParams & { bizOpaqueCallbackData?: string }): Promise<void> {
    checkOpaque(p.bizOpaqueCallbackData);
    await this.#send("accept", p.phoneNumberId, {
      messaging_product: "whatsapp",
      call_id: p.callId,
      action: "accept",
      session: { sdp_type: "answer", sdp: p.sdp },
      ...opaqueField(p.bizOpaqueCallbackData),
    }, SuccessSchema);
  }

  /** Declines a ringing call. */
  async reject(p: CallRef): Promise<void> {
    await this.#send("reject", p.phoneNumberId, {
      messaging_product: "whatsapp",
      call_id: p.callId,
      action: "reject",
    }, SuccessSchema);
  }

  /** Ends an accepted call (required for billing even after RTCP BYE). */
  async terminate(p: CallRef): Promise<void> {
    await this.#send("terminate", p.phoneNumberId, {
      messaging_product: "whatsapp",
      call_id: p.callId,
      action: "terminate",
    }, SuccessSchema);
  }

  /** Places a business-initiated call; sent once, never retried. Returns Meta's call id. */
  async connect(p: ConnectParams): Promise<{ callId: string }> {
    checkOpaque(p.bizOpaqueCallbackData);
    const body = await this.#send("connect", p.phoneNumberId, {
      messaging_product: "whatsapp",
      to: p.to,
      action: "connect",
      session: { sdp_type: "offer", sdp: p.sdp },
      ...opaqueField(p.bizOpaqueCallbackData),
    }, ConnectSuccessSchema);
    return { callId: body.calls[0]!.id };
  }

  async #send<T>(
    action: GraphCallAction,
    phoneNumberId: string,
    payload: Record<string, unknown>,
    schema: z.ZodType<T>,
  ): Promise<T> {
    const url = `${this.#baseUrl}/${encodeURIComponent(phoneNumberId)}/calls`;
    const body = JSON.stringify(payload);
    const maxAttempts = action === "connect" ? 1 : 1 + this.#retries;
    for (let attempt = 1;; attempt++) {
      const outcome = await this.#attempt(action, url, body, attempt);
      if (outcome.kind === "ok") {
        const parsed = schema.safeParse(outcome.body);
        if (parsed.success) return parsed.data;
        throw new GraphResponseError(action, attempt, 200, z.prettifyError(parsed.error));
      }
      if (!outcome.retryable || attempt >= maxAttempts) throw outcome.error;
      await this.#sleep(this.#retryDelayMs * 2 ** (attempt - 1));
    }
  }

  async #attempt(
    action: GraphCallAction,
    url: string,
    body: string,
    attempt: number,
  ): Promise<Outcome> {
    const signal = AbortSignal.timeout(this.#timeoutMs);
    let res: Response;
    let text: string;
    try {
      res = await this.#fetch(url, {
        method: "POST",
        headers: {
          "authorization": `Bearer ${this.#token}`,
          "content-type": "application/json",
        },
        body,
        signal,
      });
      text = await res.text();
    } catch (e) {
      if (signal.aborted) {
        return {
          kind: "error",
          error: new GraphTimeoutError(action, attempt, this.#timeoutMs),
          retryable: true,
        };
      }
      const reason = this.#redact(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
      return {
        kind: "error",
        error: new GraphNetworkError(action, attempt, reason),
        retryable: true,
      };
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (res.ok) {
      if (json !== undefined) return { kind: "ok", body: json };
      return {
        kind: "error",
        error: new GraphResponseError(action, attempt, res.status, "body is not JSON"),
        retryable: false,
      };
    }
    const retryable = res.status >= 500 || res.status === 429;
    const envelope = ErrorEnvelopeSchema.safeParse(json);
    if (!envelope.success) {
      const snippet = this.#redact(text.slice(0, 200));
      return {
        kind: "error",
        error: new GraphResponseError(action, attempt, res.status, `no error envelope: ${snippet}`),
        retryable,
      };
    }
    const err = envelope.data.error;
    return {
      kind: "error",
      error: new GraphApiError({
        action,
        attempts: attempt,
        httpStatus: res.status,
        message: this.#redact(err.message),
        code: err.code,
        type: err.type,
        subcode: err.error_subcode,
        fbtraceId: err.fbtrace_id,
        details: err.error_data?.details === undefined
          ? undefined
          : this.#redact(err.error_data.details),
      }),
      retryable,
    };
  }

  /** Meta (or a proxy) may echo the token; it must never reach logs. */
  #redact(text: string): string {
    return this.#token === "" ? text : text.split(this.#token).join("[redacted]");
  }
}
