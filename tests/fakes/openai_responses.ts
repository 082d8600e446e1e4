/**
 * The fake OpenAI's Responses API (`POST /v1/responses`), Structured Outputs
 * only, served by {@linkcode FakeRealtimeServer} beside the Realtime socket,
 * as strict as the service where the bridge depends on it:
 *
 * - `Authorization: Bearer <key>` or 401 `invalid_api_key`.
 * - A body that is not JSON, or without `model` or `input`: 400.
 * - `text.format` `{type: "json_schema", strict: true}` whose schema breaks a
 *   strict-mode rule: 400 `invalid_json_schema`, `param: "text.format.schema"`,
 *   worded as the service words it (public reports, e.g.
 *   mavam/pi-web-providers#14). Checked here on its own, not with the bridge's
 *   checker, so a rule the bridge forgets still fails against the fake.
 * - The answer conforms to the schema, from a deterministic reading of the
 *   transcript (see {@linkcode fill}), with `usage` (about four characters a token).
 * - Told to, it fails: 429 with `retry-after`, 500, a stall, output that is not
 *   JSON, output off the schema (as a proxy ignoring strict mode), a refusal,
 *   or `incomplete`.
 *
 * @module
 */

/** A scripted failure of the next request. */
export type ResponsesFault =
  | { kind: "status"; status: 429 | 500 | 503; retryAfter?: string; code?: string }
  | { kind: "stall"; ms: number }
  | { kind: "malformed" }
  | { kind: "off_schema" }
  | { kind: "refusal" }
  | { kind: "incomplete" };

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Node = { [key: string]: Json };

const isNode = (v: unknown): v is Node => typeof v === "object" && v !== null && !Array.isArray(v);

function error(status: number, message: string, code: string | null, param: string | null = null) {
  const type = status === 429 ? "tokens" : status >= 500 ? "server_error" : "invalid_request_error";
  return Response.json({ error: { message, type, param, code } }, { status });
}

/** The endpoint; the realtime fake owns one and routes `/v1/responses` to it. */
export class FakeResponsesApi {
  /** Every request body received with a valid key, in order. */
  readonly requests: Record<string, unknown>[] = [];
  readonly #apiKey: () => string;
  readonly #faults: ResponsesFault[] = [];
  #ids = 0;

  /** `apiKey` is read per request, so a test rotating the server's key rotates this one. */
  constructor(apiKey: () => string) {
    this.#apiKey = apiKey;
  }

  /** Makes the next requests fail, one fault each, in order. */
  failNext(...faults: ResponsesFault[]): void {
    this.#faults.push(...faults);
  }

  /** Answers one HTTP request. */
  async handle(req: Request): Promise<Response> {
    if (req.method !== "POST") return error(405, `Invalid method ${req.method}.`, null);
    if (req.headers.get("authorization") !== `Bearer ${this.#apiKey()}`) {
      return error(
        401,
        "Incorrect API key provided: sk-wr***ey. You can find your API key at " +
          "https://platform.openai.com/account/api-keys.",
        "invalid_api_key",
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(await req.text());
    } catch {
      return error(400, "We could not parse the JSON body of your request.", null);
    }
    if (!isNode(body)) return error(400, "The body must be a JSON object.", null);
    for (const name of ["model", "input"]) {
      if (body[name] === undefined) {
        return error(
          400,
          `Missing required parameter: '${name}'.`,
          "missing_required_parameter",
          name,
        );
      }
    }
    this.requests.push(body);
    const format = isNode(body.text) && isNode(body.text.format) ? body.text.format : null;
    if (format?.type !== "json_schema") {
      return error(400, "This fake serves Structured Outputs only.", null, "text.format");
    }
    const name = typeof format.name === "string" ? format.name : "";
    if (!/^[a-zA-Z0-9_-]{1,64}$/.test(name)) {
      return error(400, "Invalid 'text.format.name'.", "invalid_value", "text.format.name");
    }
    if (format.strict === true) {
      const broken = strictViolation(format.schema, []);
      if (broken !== null) {
        return error(
          400,
          `Invalid schema for response_format '${name}': ${broken}`,
          "invalid_json_schema",
          "text.format.schema",
        );
      }
    }
    return await this.#answer(body, format.schema as Node);
  }

  async #answer(body: Node, schema: Node): Promise<Response> {
    const fault = this.#faults.shift();
    if (fault?.kind === "status") {
      const message = fault.status === 429
        ? `Rate limit reached for ${body.model} in organization org-fake on tokens per min (TPM).`
        : "The server had an error while processing your request. Sorry about that!";
      const res = error(
        fault.status,
        message,
        fault.code ?? (fault.status === 429 ? "rate_limit_exceeded" : null),
      );
      if (fault.retryAfter !== undefined) res.headers.set("retry-after", fault.retryAfter);
      return res;
    }
    if (fault?.kind === "stall") await new Promise((r) => setTimeout(r, fault.ms));
    const input = typeof body.input === "string" ? body.input : JSON.stringify(body.input);
    let value = fill(schema, "", input);
    if (fault?.kind === "off_schema" && isNode(value)) {
      value = { ...value, outcome: "not_in_the_list" };
    }
    let text = JSON.stringify(value);
    if (fault?.kind === "malformed") text = text.slice(0, Math.ceil(text.length / 2));
    const content = fault?.kind === "refusal"
      ? [{ type: "refusal", refusal: "I'm sorry, I can't help with that." }]
      : [{ type: "output_text", text, annotations: [] }];
    const reasoning = isNode(body.reasoning) && body.reasoning.effort !== "none" ? 64 : 0;
    const inputTokens = Math.ceil((String(body.instructions ?? "").length + input.length) / 4);
    const outputTokens = Math.ceil(text.length / 4) + reasoning;
    const incomplete = fault?.kind === "incomplete";
    return Response.json({
      id: `resp_fake${++this.#ids}`,
      object: "response",
      created_at: Math.floor(Date.now() / 1000),
      status: incomplete ? "incomplete" : "completed",
      incomplete_details: incomplete ? { reason: "max_output_tokens" } : null,
      error: null,
      model: body.model,
      output: [
        { id: `rs_fake${this.#ids}`, type: "reasoning", summary: [] },
        {
          id: `msg_fake${this.#ids}`,
          type: "message",
          status: "completed",
          role: "assistant",
          content,
        },
      ],
      usage: {
        input_tokens: inputTokens,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: outputTokens,
        output_tokens_details: { reasoning_tokens: reasoning },
        total_tokens: inputTokens + outputTokens,
      },
      store: body.store ?? true,
      text: body.text,
    });
  }
}

/** The first strict-mode rule `node` breaks, in the service's words, or null. */
function strictViolation(node: unknown, context: (string | number)[]): string | null {
  const where = `In context=(${context.map((c) => `'${c}'`).join(", ")}${
    context.length === 1 ? "," : ""
  })`;
  if (!isNode(node)) return `${where}, schema must be a JSON Schema object.`;
  if (context.length === 0 && node.type !== "object") {
    return `schema must be a JSON Schema of 'type: "object"', got 'type: "${String(node.type)}"'.`;
  }
  const types = Array.isArray(node.type) ? node.type : [node.type];
  if (types.includes("object")) {
    if (node.additionalProperties !== false) {
      return `${where}, 'additionalProperties' is required to be supplied and to be false.`;
    }
    const props = isNode(node.properties) ? node.properties : {};
    const required = Array.isArray(node.required) ? node.required : null;
    const missing = Object.keys(props).find((k) => !required?.includes(k));
    if (required === null || missing !== undefined) {
      return `${where}, 'required' is required to be supplied and to be an array including ` +
        `every key in properties.${missing === undefined ? "" : ` Missing '${missing}'.`}`;
    }
    for (const [key, child] of Object.entries(props)) {
      const found = strictViolation(child, [...context, "properties", key]);
      if (found !== null) return found;
    }
  }
  if (node.items !== undefined) return strictViolation(node.items, [...context, "items"]);
  return null;
}

/**
 * A value conforming to `schema`, read from the transcript `input`
 * deterministically, so tests know what to expect:
 * - a string enum: the first value whose first `_`-separated word the
 *   transcript contains (`callback_requested` ← "callback"), else the first;
 * - a property `summary`: `Caller said: <the first caller line>`;
 * - any other string property `a_b`: the word after "b is" in the transcript
 *   (`order_number` ← "my number is AB-12"), else null where null is allowed, else "";
 * - numbers 0, booleans false, arrays empty (null first where allowed), objects filled.
 */
export function fill(schema: Node, key: string, input: string): Json {
  const types = (Array.isArray(schema.type) ? schema.type : [schema.type]) as Json[];
  const nullable = types.includes("null");
  const lower = input.toLowerCase();
  if (Array.isArray(schema.enum)) {
    const values = schema.enum.filter((v): v is string => typeof v === "string");
    return values.find((v) => lower.includes(v.split("_")[0]!)) ?? values[0] ?? null;
  }
  if (types.includes("object") && isNode(schema.properties)) {
    return Object.fromEntries(
      Object.entries(schema.properties).map(([k, s]) => [k, isNode(s) ? fill(s, k, input) : null]),
    );
  }
  if (types.includes("string")) {
    if (key === "summary") {
      const first = /Caller: (.*)/.exec(input)?.[1] ?? "";
      return `Caller said: ${first}`;
    }
    const word = key.split("_").at(-1) ?? key;
    const match = new RegExp(`\\b${word} is ([\\w-]+)`, "i").exec(input)?.[1];
    return match ?? (nullable ? null : "");
  }
  if (nullable) return null;
  if (types.includes("integer") || types.includes("number")) return 0;
  if (types.includes("boolean")) return false;
  if (types.includes("array")) return [];
  return null;
}
