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
import { DEFAULT_GRAPH_URL } from "./graph.ts";

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

const ErrorEnvelopeSchema = z.looseObject({
  error: z.looseObject({
    message: z.string(),
    code: z.number().int(),
    error_subcode: z.number().int().optional(),
    error_data: z.looseObject({ details: z.string().optional() }).optional(),
    fbtrace_id: z.string().optional(),
  }),
});

/** Options of {@link GraphPermissionsClient}. */
export interface GraphPermissionsClientOptions {
  /** Graph root including the version. Default {@link DEFAULT_GRAPH_URL}. */
  baseUrl?: string | undefined;
  accessToken: string;
  /** Per-attempt timeout. Default 5000 ms. */
  timeoutMs?: number;
  /** Extra attempts of the GET. Default 2. */
  retries?: number;
  /** First backoff of the GET, doubled per retry. Default 200 ms. */
  retryDelayMs?: number;
  fetch?: typeof fetch;
}

/** Graph's call permission endpoints. */
export class GraphPermissionsClient {
  readonly #baseUrl: string;
  readonly #token: string;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #retryDelayMs: number;
  readonly #fetch: typeof fetch;

  /** Creates a client; nothing is sent until a method is called. */
  constructor(o: GraphPermissionsClientOptions) {
    this.#baseUrl = (o.baseUrl ?? DEFAULT_GRAPH_URL).replace(/\/+$/, "");
    this.#token = o.accessToken;
    this.#timeoutMs = o.timeoutMs ?? 5000;
    this.#retries = Math.max(0, o.retries ?? 2);
    this.#retryDelayMs = o.retryDelayMs ?? 200;
    this.#fetch = o.fetch ?? ((input, init) => fetch(input, init));
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
    const url = `${this.#baseUrl}/${encodeURIComponent(p.phoneNumberId)}/messages`;
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
    const url = `${this.#baseUrl}/${encodeURIComponent(p.phoneNumberId)}/call_permissions?` +
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
      if (!retryable || attempt > this.#retries) {
        throw res.kind === "error" ? res.error : new GraphPermissionUnknownOutcome(res.reason);
      }
      await new Promise((r) => setTimeout(r, this.#retryDelayMs * 2 ** (attempt - 1)));
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
    const signal = AbortSignal.timeout(this.#timeoutMs);
    let res: Response;
    let text: string;
    try {
      res = await this.#fetch(url, {
        ...init,
        headers: { authorization: `Bearer ${this.#token}`, "content-type": "application/json" },
        signal,
      });
      text = await res.text();
    } catch (e) {
      if (signal.aborted) {
        return { kind: "unknown", reason: `timed out after ${this.#timeoutMs} ms` };
      }
      return { kind: "unknown", reason: this.#redact(e instanceof Error ? e.message : String(e)) };
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (res.ok) return { kind: "ok", body: json };
    const envelope = ErrorEnvelopeSchema.safeParse(json);
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
        message: this.#redact(e.message),
        subcode: e.error_subcode,
        details: e.error_data?.details === undefined
          ? undefined
          : this.#redact(e.error_data.details),
        fbtraceId: e.fbtrace_id,
      }),
    };
  }

  #redact(text: string): string {
    return this.#token === "" ? text : text.split(this.#token).join("[redacted]");
  }
}
