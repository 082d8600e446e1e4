/**
 * Client for the WhatsApp Cloud API calling endpoint
 * `POST {baseUrl}/{phone-number-id}/calls`: pre_accept, accept, reject,
 * terminate (user-initiated calls) and connect (business-initiated).
 *
 * Configuration is injected (no env): the caller passes the Graph URL and
 * token. Requests time out individually; transient failures are retried,
 * never for `connect`, whose repeat would place a second call. The access
 * token never appears in errors.
 *
 * Meta documents no idempotency: repeating an action it already applied is an
 * error ("Accept/Reject an already In Progress/Completed/Failed call", API
 * reference:
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/reference),
 * and no code for that error is documented. So a retry refused with a 400
 * after an attempt whose answer was lost (timeout, network error, 5xx) means
 * that attempt took effect: the action is reported done, with the refusal,
 * never as a failure that would make the caller end a live call.
 *
 * @module
 */

import { z } from "zod";
import { callErrorInfo } from "./call_errors.ts";
import { GraphErrorEnvelopeSchema, GraphHttp, type GraphHttpOptions } from "./graph_http.ts";

/** Actions of the `/calls` endpoint. */
export type GraphCallAction = "pre_accept" | "accept" | "reject" | "terminate" | "connect";

/** Meta caps `biz_opaque_callback_data` at 512 characters. */
export const MAX_BIZ_OPAQUE_LENGTH = 512;

/** Default Graph base URL (v23.0 or newer is recommended for calling). */
export { DEFAULT_GRAPH_URL } from "./graph_http.ts";

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
    const info = callErrorInfo(init.code);
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

const SuccessSchema = z.looseObject({ success: z.literal(true) });
const ConnectSuccessSchema = z.looseObject({
  calls: z.array(z.looseObject({ id: z.string().min(1) })).min(1),
});

/** Options of {@link GraphClient}. */
export interface GraphClientOptions extends GraphHttpOptions {
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

/** How a pre_accept, accept, reject or terminate went. */
export interface GraphActionResult {
  /** Attempts made, including retries. */
  attempts: number;
  /**
   * Meta's refusal of a retry whose earlier attempt it had applied (that
   * attempt's answer was lost): the action is done. The refusal's code is
   * not documented by Meta.
   */
  alreadyApplied?: GraphApiError;
}

/** What {@link GraphClient} got for one action: Meta's success body, or proof it applied it earlier. */
type Sent<T> = { attempts: number; body: T } | { attempts: number; alreadyApplied: GraphApiError };

type Outcome =
  | { kind: "ok"; body: unknown }
  | {
    kind: "error";
    error: GraphError;
    retryable: boolean;
    /** Meta may have applied the request although no success came back (timeout, reset, 5xx). */
    mayHaveApplied: boolean;
  };

/** A retry's 400 after an attempt Meta may have applied: the repeat of an applied action. */
function refusesRepeat(error: GraphError): error is GraphApiError {
  return error instanceof GraphApiError && error.httpStatus === 400;
}

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
  readonly #http: GraphHttp;
  readonly #sleep: (ms: number) => Promise<void>;

  /** Creates a client; nothing is sent until an action is called. */
  constructor(options: GraphClientOptions) {
    this.#http = new GraphHttp(options);
    this.#sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** Sends our SDP answer early so ICE/DTLS converge before accept (caller sees "Ringing"). */
  preAccept(p: AnswerParams): Promise<GraphActionResult> {
    return this.#act("pre_accept", p, { session: { sdp_type: "answer", sdp: p.sdp } });
  }

  /** Answers the call; start media only after this resolves. */
  async accept(p: AnswerParams & { bizOpaqueCallbackData?: string }): Promise<GraphActionResult> {
    // Thrown inside the promise: a caller's `.catch` sees it like any refusal.
    checkOpaque(p.bizOpaqueCallbackData);
    return await this.#act("accept", p, {
      session: { sdp_type: "answer", sdp: p.sdp },
      ...opaqueField(p.bizOpaqueCallbackData),
    });
  }

  /** Declines a ringing call. */
  reject(p: CallRef): Promise<GraphActionResult> {
    return this.#act("reject", p);
  }

  /** Ends an accepted call (required for billing even after RTCP BYE). */
  terminate(p: CallRef): Promise<GraphActionResult> {
    return this.#act("terminate", p);
  }

  /** Places a business-initiated call; sent once, never retried. Returns Meta's call id. */
  async connect(p: ConnectParams): Promise<{ callId: string }> {
    checkOpaque(p.bizOpaqueCallbackData);
    const sent = await this.#send("connect", p.phoneNumberId, {
      messaging_product: "whatsapp",
      to: p.to,
      action: "connect",
      session: { sdp_type: "offer", sdp: p.sdp },
      ...opaqueField(p.bizOpaqueCallbackData),
    }, ConnectSuccessSchema);
    // Sent once, so never a retry's refusal; a 400 was thrown as it came.
    if ("alreadyApplied" in sent) throw sent.alreadyApplied;
    return { callId: sent.body.calls[0]!.id };
  }

  /** An action on an existing call: its body is `call_id`, `action` and `fields`. */
  async #act(
    action: Exclude<GraphCallAction, "connect">,
    p: CallRef,
    fields: Record<string, unknown> = {},
  ): Promise<GraphActionResult> {
    const sent = await this.#send(action, p.phoneNumberId, {
      messaging_product: "whatsapp",
      call_id: p.callId,
      action,
      ...fields,
    }, SuccessSchema);
    return "alreadyApplied" in sent
      ? { attempts: sent.attempts, alreadyApplied: sent.alreadyApplied }
      : { attempts: sent.attempts };
  }

  async #send<T>(
    action: GraphCallAction,
    phoneNumberId: string,
    payload: Record<string, unknown>,
    schema: z.ZodType<T>,
  ): Promise<Sent<T>> {
    const url = `${this.#http.baseUrl}/${encodeURIComponent(phoneNumberId)}/calls`;
    const body = JSON.stringify(payload);
    const maxAttempts = action === "connect" ? 1 : 1 + this.#http.retries;
    let mayHaveApplied = false;
    for (let attempt = 1;; attempt++) {
      const outcome = await this.#attempt(action, url, body, attempt);
      if (outcome.kind === "ok") {
        const parsed = schema.safeParse(outcome.body);
        if (parsed.success) return { attempts: attempt, body: parsed.data };
        throw new GraphResponseError(action, attempt, 200, z.prettifyError(parsed.error));
      }
      if (mayHaveApplied && refusesRepeat(outcome.error)) {
        return { attempts: attempt, alreadyApplied: outcome.error };
      }
      if (!outcome.retryable || attempt >= maxAttempts) throw outcome.error;
      mayHaveApplied ||= outcome.mayHaveApplied;
      await this.#sleep(this.#http.retryDelayMs * 2 ** (attempt - 1));
    }
  }

  async #attempt(
    action: GraphCallAction,
    url: string,
    body: string,
    attempt: number,
  ): Promise<Outcome> {
    const sent = await this.#http.exchange(url, { method: "POST", body });
    if (sent.kind === "timeout") {
      return {
        kind: "error",
        error: new GraphTimeoutError(action, attempt, this.#http.timeoutMs),
        retryable: true,
        mayHaveApplied: true,
      };
    }
    if (sent.kind === "failed") {
      const e = sent.error;
      const reason = this.#http.redact(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
      return {
        kind: "error",
        error: new GraphNetworkError(action, attempt, reason),
        retryable: true,
        // A connection reset may come after Meta read the request.
        mayHaveApplied: true,
      };
    }
    const { res, text, json } = sent;
    if (res.ok) {
      if (json !== undefined) return { kind: "ok", body: json };
      return {
        kind: "error",
        error: new GraphResponseError(action, attempt, res.status, "body is not JSON"),
        retryable: false,
        mayHaveApplied: true,
      };
    }
    const retryable = res.status >= 500 || res.status === 429;
    // A 429 refused the request; a 5xx may come after it took effect.
    const mayHaveApplied = res.status >= 500;
    const envelope = GraphErrorEnvelopeSchema.safeParse(json);
    if (!envelope.success) {
      const snippet = this.#http.redact(text.slice(0, 200));
      return {
        kind: "error",
        error: new GraphResponseError(action, attempt, res.status, `no error envelope: ${snippet}`),
        retryable,
        mayHaveApplied,
      };
    }
    const err = envelope.data.error;
    return {
      kind: "error",
      error: new GraphApiError({
        action,
        attempts: attempt,
        httpStatus: res.status,
        message: this.#http.redact(err.message),
        code: err.code,
        type: err.type,
        subcode: err.error_subcode,
        fbtraceId: err.fbtrace_id,
        details: err.error_data?.details === undefined
          ? undefined
          : this.#http.redact(err.error_data.details),
      }),
      retryable,
      mayHaveApplied,
    };
  }
}
