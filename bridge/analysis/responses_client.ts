/**
 * One Structured Outputs request to OpenAI's Responses API
 * (`POST /v1/responses` with `text.format = {type: "json_schema", strict: true}`),
 * with a deadline per attempt and retries. Never throws: every way it can go
 * wrong comes back as a reason.
 *
 * Shapes: openai/openai-node `src/resources/responses/responses.ts`
 * (`ResponseTextConfig`, `ResponseOutputMessage`, `ResponseUsage`). The
 * Responses API rather than Chat Completions because OpenAI's model pages
 * point new work there (gpt-6-luna: "use the Responses API" for tools) and
 * both support Structured Outputs for the default model.
 *
 * Retries follow openai-node's client (`shouldRetry`/`retryRequest`): 408,
 * 409, 429 and 5xx, connection errors and timeouts; `x-should-retry` overrides;
 * the wait is `retry-after-ms` or `retry-after` (seconds or a date) when under
 * a minute, else an exponential backoff with jitter. A 429 whose code is
 * `insufficient_quota` is not retried: only a billing change ends it.
 *
 * @module
 */
import { z } from "zod";
import type { AnalysisUsage } from "../../store/analysis.ts";
import type { JsonSchemaObject } from "./analysis_config.ts";

/** What to ask. */
export interface StructuredRequest {
  model: string;
  instructions: string;
  input: string;
  /** `text.format.name`: a-z, A-Z, 0-9, `_` and `-`, at most 64. */
  schemaName: string;
  schema: JsonSchemaObject;
  reasoningEffort?: string | undefined;
  /** Visible and reasoning tokens together. */
  maxOutputTokens: number;
}

/** Where and how to ask. */
export interface ClientOptions {
  apiUrl: string;
  apiKey: string;
  timeoutMs: number;
  maxAttempts: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Told before each retry, with why and how long it waits. */
  onRetry?: (info: { attempt: number; reason: string; waitMs: number }) => void;
}

/** One answer: the model's JSON text, or why there is none. */
export type StructuredAnswer =
  & { usage: AnalysisUsage | null; model: string | null }
  & ({ ok: true; text: string } | { ok: false; reason: string });

/** The answer and the requests it took. */
export type StructuredResult = StructuredAnswer & { attempts: number };

/** Longest wait a `retry-after` is honoured for; longer, the backoff applies. */
const MAX_RETRY_AFTER_MS = 60_000;
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 8_000;
const MAX_REASON = 300;

const UsageSchema = z.object({
  input_tokens: z.number().int().nonnegative(),
  input_tokens_details: z.object({ cached_tokens: z.number().int().nonnegative() }).nullish(),
  output_tokens: z.number().int().nonnegative(),
  output_tokens_details: z.object({ reasoning_tokens: z.number().int().nonnegative() }).nullish(),
});

const ContentSchema = z.union([
  z.object({ type: z.literal("output_text"), text: z.string() }),
  z.object({ type: z.literal("refusal"), refusal: z.string() }),
  z.looseObject({ type: z.string() }),
]);

const ResponseSchema = z.object({
  status: z.string().nullish(),
  model: z.string().nullish(),
  output: z.array(z.looseObject({ type: z.string(), content: z.array(ContentSchema).nullish() })),
  usage: UsageSchema.nullish(),
  incomplete_details: z.object({ reason: z.string().nullish() }).nullish(),
  error: z.object({ code: z.string().nullish(), message: z.string() }).nullish(),
});

const ErrorBody = z.object({
  error: z.object({ message: z.string().nullish(), code: z.string().nullish() }),
});

/** Sends the request, retrying what may succeed later, and returns the text or the reason. */
export async function createStructuredResponse(
  request: StructuredRequest,
  options: ClientOptions,
): Promise<StructuredResult> {
  const sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  const body = JSON.stringify(requestBody(request));
  let attempt = 0;
  for (;;) {
    attempt++;
    const outcome = await attemptOnce(body, options);
    if (outcome.kind === "done") return { ...outcome.result, attempts: attempt };
    const redacted = redact(outcome.reason, options.apiKey);
    if (!outcome.retry || attempt >= options.maxAttempts) {
      return { ok: false, reason: redacted, attempts: attempt, usage: null, model: null };
    }
    const waitMs = outcome.retryAfterMs ?? backoffMs(attempt);
    options.onRetry?.({ attempt, reason: redacted, waitMs });
    await sleep(waitMs);
  }
}

/** The request body; `store: false` keeps the transcript out of OpenAI's stored responses. */
export function requestBody(r: StructuredRequest): Record<string, unknown> {
  return {
    model: r.model,
    instructions: r.instructions,
    input: r.input,
    text: { format: { type: "json_schema", name: r.schemaName, strict: true, schema: r.schema } },
    store: false,
    max_output_tokens: r.maxOutputTokens,
    ...(r.reasoningEffort === undefined ? {} : { reasoning: { effort: r.reasoningEffort } }),
  };
}

type Attempt =
  | { kind: "done"; result: StructuredAnswer }
  | { kind: "error"; reason: string; retry: boolean; retryAfterMs?: number | undefined };

async function attemptOnce(body: string, options: ClientOptions): Promise<Attempt> {
  const doFetch = options.fetch ?? fetch;
  let response: Response;
  let text: string;
  try {
    response = await doFetch(`${options.apiUrl}/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${options.apiKey}`, "content-type": "application/json" },
      body,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    // The deadline covers the body too: a stalled body is a timeout like a stalled head.
    text = await response.text();
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === "TimeoutError";
    const reason = timedOut
      ? `no answer within ${options.timeoutMs} ms`
      : `connection failed: ${(error as Error).message}`;
    return { kind: "error", reason, retry: true };
  }
  if (!response.ok) return httpError(response, text);
  return { kind: "done", result: readResponse(text) };
}

function httpError(response: Response, text: string): Attempt {
  const parsed = ErrorBody.safeParse(safeJson(text));
  const code = parsed.success ? parsed.data.error.code ?? null : null;
  const message = parsed.success ? parsed.data.error.message ?? "" : text;
  const status = response.status;
  // A refused key's message quotes part of the key: the status and code say enough.
  const reason = status === 401
    ? `http 401${code ? ` ${code}` : ""}: OpenAI refused OPENAI_API_KEY`
    : `http ${status}${code ? ` ${code}` : ""}: ${message}`;
  const should = response.headers.get("x-should-retry");
  const retry = should === "true" ? true : should === "false" ? false : retriable(status, code);
  return { kind: "error", reason, retry, retryAfterMs: retryAfterMs(response.headers) };
}

function retriable(status: number, code: string | null): boolean {
  if (status === 429) return code !== "insufficient_quota";
  return status === 408 || status === 409 || status >= 500;
}

/** `retry-after-ms`, else `retry-after` in seconds or as a date, when between 0 and a minute. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const ms = Number.parseFloat(headers.get("retry-after-ms") ?? "");
  let wait = Number.isFinite(ms) ? ms : undefined;
  const after = headers.get("retry-after");
  if (wait === undefined && after !== null) {
    const seconds = Number.parseFloat(after);
    wait = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(after) - now;
  }
  if (wait === undefined || !Number.isFinite(wait)) return undefined;
  return wait >= 0 && wait < MAX_RETRY_AFTER_MS ? wait : undefined;
}

function backoffMs(attempt: number): number {
  const full = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
  return full * (1 - 0.25 * Math.random()); // up to 25 % jitter, as openai-node
}

function readResponse(text: string): StructuredAnswer {
  const parsed = ResponseSchema.safeParse(safeJson(text));
  if (!parsed.success) {
    return {
      ok: false,
      reason: "the response is not a Responses API object",
      usage: null,
      model: null,
    };
  }
  const r = parsed.data;
  const usage = r.usage ? toUsage(r.usage) : null;
  const model = r.model ?? null;
  const fail = (reason: string) => ({ ok: false as const, reason, usage, model });
  if (r.status === "failed" || r.error) return fail(`failed: ${r.error?.message ?? "no reason"}`);
  if (r.status === "incomplete") {
    return fail(`incomplete: ${r.incomplete_details?.reason ?? "no reason given"}`);
  }
  const parts = r.output.filter((o) => o.type === "message").flatMap((o) => o.content ?? []);
  const refusal = parts.find((p) => p.type === "refusal");
  if (refusal && "refusal" in refusal) return fail(`refused: ${refusal.refusal}`);
  const texts = parts.flatMap((p) => p.type === "output_text" && "text" in p ? [p.text] : []);
  if (texts.length === 0) return fail("the response holds no output_text");
  return { ok: true, text: texts.join(""), usage, model };
}

function toUsage(u: z.infer<typeof UsageSchema>): AnalysisUsage {
  return {
    inputTokens: u.input_tokens,
    inputCachedTokens: u.input_tokens_details?.cached_tokens ?? 0,
    outputTokens: u.output_tokens,
    outputReasoningTokens: u.output_tokens_details?.reasoning_tokens ?? 0,
  };
}

function redact(reason: string, apiKey: string): string {
  const short = reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON)}…` : reason;
  return apiKey.length >= 8 ? short.replaceAll(apiKey, "[REDACTED]") : short;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
