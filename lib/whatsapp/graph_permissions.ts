/**
 * Graph client for call permissions: `POST /{phone-number-id}/messages` with a
 * call permission request (interactive or template) and
 * `GET /{phone-number-id}/call_permissions?user_wa_id=` (P:
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-call-permissions).
 *
 * A request is sent once and never retried: a repeat would be a second
 * request, which Meta counts against the pair's limits (1 per 24 h). A send
 * whose answer was lost (timeout, reset, 5xx) is reported as
 * {@link GraphPermissionUnknownOutcome}: Meta may have sent it. The GET is
 * retried on 429 (code 613) and 5xx. The access token never appears in errors.
 *
 * @module
 */

import { z } from "zod";
import {
  type CallPermissionsAnswer,
  CallPermissionsAnswerSchema,
  InteractivePermissionRequestSchema,
  permissionRequestBody,
  type PermissionRequestContent,
  SendMessageAnswerSchema,
  TemplatePermissionRequestSchema,
  userKeyKind,
} from "./call_permissions.ts";
import { GraphErrorEnvelopeSchema, GraphHttp, type GraphHttpOptions } from "./graph_http.ts";

/** Meta refused with its error envelope. */
export class GraphPermissionError extends Error {
  readonly httpStatus: number;
  readonly code: number;
  readonly subcode: number | undefined;
  readonly details: string | undefined;
  readonly fbtraceId: string | undefined;

  constructor(
    init: {
      httpStatus: number;
      code: number;
      message: string;
      subcode?: number | undefined;
      details?: string | undefined;
      fbtraceId?: string | undefined;
    },
  ) {
    super(`Graph answered HTTP ${init.httpStatus} code ${init.code}: ${init.message}`);
    this.name = "GraphPermissionError";
    this.httpStatus = init.httpStatus;
    this.code = init.code;
    this.subcode = init.subcode;
    this.details = init.details;
    this.fbtraceId = init.fbtraceId;
  }
}

/** No usable answer (timeout, network, 5xx, unexpected body): a send may have gone out. */
export class GraphPermissionUnknownOutcome extends Error {
  constructor(reason: string) {
    super(`Graph outcome unknown: ${reason}`);
    this.name = "GraphPermissionUnknownOutcome";
  }
}

/** Options of {@link GraphPermissionsClient}; `retries` apply to the GET only. */
export type GraphPermissionsClientOptions = GraphHttpOptions;

/** Graph's call permission endpoints. */
export class GraphPermissionsClient {
  readonly #http: GraphHttp;

  /** Creates a client; nothing is sent until a method is called. */
  constructor(o: GraphPermissionsClientOptions) {
    this.#http = new GraphHttp(o);
  }

  /** Sends a call permission request once; resolves with the request's wamid. */
  async sendPermissionRequest(
    p: { phoneNumberId: string; user: string; content: PermissionRequestContent },
  ): Promise<{ messageId: string }> {
    const body = permissionRequestBody(p.user, p.content);
    // Refused here rather than by Meta: a malformed body must not cost a request.
    const schema = p.content.kind === "interactive"
      ? InteractivePermissionRequestSchema
      : TemplatePermissionRequestSchema;
    const valid = schema.safeParse(body);
    if (!valid.success) throw new RangeError(z.prettifyError(valid.error));
    const url = `${this.#http.baseUrl}/${encodeURIComponent(p.phoneNumberId)}/messages`;
    const res = await this.#request(url, { method: "POST", body: JSON.stringify(body) });
    if (res.kind === "unknown") throw new GraphPermissionUnknownOutcome(res.reason);
    if (res.kind === "error") throw res.error;
    const sent = SendMessageAnswerSchema.safeParse(res.body);
    if (!sent.success) throw new GraphPermissionUnknownOutcome("200 without messages[0].id");
    return { messageId: sent.data.messages[0]!.id };
  }

  /** Reads the pair's permission and limits as Meta sees them. */
  async getCallPermissions(
    p: { phoneNumberId: string; user: string },
  ): Promise<CallPermissionsAnswer> {
    const param = userKeyKind(p.user) === "wa_id" ? "user_wa_id" : "recipient";
    const url = `${this.#http.baseUrl}/${encodeURIComponent(p.phoneNumberId)}/call_permissions?` +
      new URLSearchParams({ [param]: p.user });
    for (let attempt = 1;; attempt++) {
      const res = await this.#request(url, { method: "GET" });
      const retryable = res.kind === "unknown" ||
        (res.kind === "error" && (res.error.httpStatus === 429 || res.error.httpStatus >= 500));
      if (res.kind === "ok") {
        const parsed = CallPermissionsAnswerSchema.safeParse(res.body);
        if (parsed.success) return parsed.data;
        throw new GraphPermissionUnknownOutcome(
          `unexpected call_permissions answer: ${z.prettifyError(parsed.error)}`,
        );
      }
      if (!retryable || attempt > this.#http.retries) {
        throw res.kind === "error" ? res.error : new GraphPermissionUnknownOutcome(res.reason);
      }
      await new Promise((r) => setTimeout(r, this.#http.retryDelayMs * 2 ** (attempt - 1)));
    }
  }

  async #request(
    url: string,
    init: { method: string; body?: string },
  ): Promise<
    | { kind: "ok"; body: unknown }
    | { kind: "error"; error: GraphPermissionError }
    | { kind: "unknown"; reason: string }
  > {
    const sent = await this.#http.exchange(url, init);
    if (sent.kind === "timeout") {
      return { kind: "unknown", reason: `timed out after ${this.#http.timeoutMs} ms` };
    }
    if (sent.kind === "failed") {
      const e = sent.error;
      return {
        kind: "unknown",
        reason: this.#http.redact(e instanceof Error ? e.message : String(e)),
      };
    }
    const { res, json } = sent;
    if (res.ok) return { kind: "ok", body: json };
    const envelope = GraphErrorEnvelopeSchema.safeParse(json);
    // A 5xx or an answer without Meta's envelope (a proxy page) may follow a send that took effect.
    if (res.status >= 500 || !envelope.success) {
      return { kind: "unknown", reason: `HTTP ${res.status}` };
    }
    const e = envelope.data.error;
    return {
      kind: "error",
      error: new GraphPermissionError({
        httpStatus: res.status,
        code: e.code,
        message: this.#http.redact(e.message),
        subcode: e.error_subcode,
        details: e.error_data?.details === undefined
          ? undefined
          : this.#http.redact(e.error_data.details),
        fbtraceId: e.fbtrace_id,
      }),
    };
  }
}
