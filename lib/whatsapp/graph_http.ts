/**
 * One HTTP exchange with the Graph API, shared by the calling client
 * (`graph.ts`) and the call permission client (`graph_permissions.ts`): the
 * bearer token and JSON headers, a per-attempt timeout, the body read as
 * text and parsed as JSON when it is JSON, and Meta's error envelope. What a
 * failure means (retry, unknown outcome) stays with each client.
 *
 * @module
 */

import { z } from "zod";

/** Graph's default root, including the API version. */
export const DEFAULT_GRAPH_URL = "https://graph.facebook.com/v23.0";

/** What every Graph client is built from. */
export interface GraphHttpOptions {
  /** Graph root including the version. Default {@link DEFAULT_GRAPH_URL}. */
  baseUrl?: string | undefined;
  accessToken: string;
  /** Per-attempt timeout. Default 5000 ms. */
  timeoutMs?: number;
  /** Extra attempts where a client retries. Default 2. */
  retries?: number;
  /** First backoff delay, doubled per retry. Default 200 ms. */
  retryDelayMs?: number;
  fetch?: typeof fetch;
}

/** The settings of {@link GraphHttpOptions} with defaults applied, and one exchange with Graph. */
export class GraphHttp {
  /** Without trailing slashes. */
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly #token: string;
  readonly #fetch: typeof fetch;

  /** Applies the defaults of {@link GraphHttpOptions}. */
  constructor(o: GraphHttpOptions) {
    this.baseUrl = (o.baseUrl ?? DEFAULT_GRAPH_URL).replace(/\/+$/, "");
    this.#token = o.accessToken;
    this.timeoutMs = o.timeoutMs ?? 5000;
    this.retries = Math.max(0, o.retries ?? 2);
    this.retryDelayMs = o.retryDelayMs ?? 200;
    this.#fetch = o.fetch ?? ((input, init) => fetch(input, init));
  }

  /** Sends one request to `url` and reads the whole answer within `timeoutMs`. */
  async exchange(url: string, init: { method: string; body?: string }): Promise<GraphExchange> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    let res: Response;
    let text: string;
    try {
      res = await this.#fetch(url, {
        ...init,
        headers: { authorization: `Bearer ${this.#token}`, "content-type": "application/json" },
        signal,
      });
      text = await res.text();
    } catch (error) {
      return signal.aborted ? { kind: "timeout" } : { kind: "failed", error };
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { kind: "answer", res, text, json };
  }

  /** Meta (or a proxy) may echo the token; it must never reach errors or logs. */
  redact(text: string): string {
    return this.#token === "" ? text : text.split(this.#token).join("[redacted]");
  }
}

/** Meta's error envelope (`{ error: { message, code, … } }`). */
export const GraphErrorEnvelopeSchema = z.looseObject({
  error: z.looseObject({
    message: z.string(),
    type: z.string().optional(),
    code: z.number().int(),
    error_subcode: z.number().int().optional(),
    error_data: z.looseObject({ details: z.string().optional() }).optional(),
    fbtrace_id: z.string().optional(),
  }),
});

/**
 * How one exchange went: Graph answered (`json` is `undefined` when the body
 * is not JSON), the timeout fired, or the request failed (network, reset).
 */
export type GraphExchange =
  | { kind: "answer"; res: Response; text: string; json: unknown }
  | { kind: "timeout" }
  | { kind: "failed"; error: unknown };
