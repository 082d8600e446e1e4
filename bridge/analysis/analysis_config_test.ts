import assert from "node:assert/strict";
import { loadConfig } from "../config.ts";
import {
  DEFAULT_ANALYSIS_MODEL,
  DEFAULT_FIELDS_SCHEMA,
  DEFAULT_OUTCOMES,
  restBase,
} from "./analysis_config.ts";
import { strictSchemaViolations } from "./strict_schema.ts";

const BASE = { VOICE_BRIDGE_SECRET: "bridge-secret-0123456789" };

Deno.test("analysis config: defaults, and the REST base follows OPENAI_REALTIME_URL", () => {
  const a = loadConfig({ ...BASE, OPENAI_API_KEY: "sk-test" }).analysis;
  assert.equal(a.disabled, null);
  assert.equal(a.model, DEFAULT_ANALYSIS_MODEL);
  assert.deepEqual(a.outcomes, DEFAULT_OUTCOMES);
  assert.deepEqual(a.fieldsSchema, DEFAULT_FIELDS_SCHEMA);
  assert.deepEqual(strictSchemaViolations(DEFAULT_FIELDS_SCHEMA), []);
  assert.equal(a.apiUrl, "https://api.openai.com/v1");
  assert.equal(a.reasoningEffort, undefined);
  const local = loadConfig({
    ...BASE,
    OPENAI_API_KEY: "sk-test",
    OPENAI_REALTIME_URL: "ws://127.0.0.1:5555/v1/realtime",
  }).analysis;
  assert.equal(local.apiUrl, "http://127.0.0.1:5555/v1");
  const own = loadConfig({ ...BASE, OPENAI_API_URL: "https://proxy.example/openai/v1/" }).analysis;
  assert.equal(own.apiUrl, "https://proxy.example/openai/v1");
  assert.equal(restBase("wss://host.example/v1/realtime?model=x"), "https://host.example/v1");
});

Deno.test("analysis config: no key or the echo agent disables it", () => {
  assert.equal(loadConfig(BASE).analysis.disabled, "no_api_key");
  assert.equal(
    loadConfig({ ...BASE, AGENT: "echo", OPENAI_API_KEY: "sk-test" }).analysis.disabled,
    "echo_agent",
  );
});

Deno.test("analysis config: outcomes, fields and instructions from text or a file", () => {
  const fields = {
    type: "object",
    properties: { plate: { type: ["string", "null"] } },
    required: ["plate"],
    additionalProperties: false,
  };
  const files: Record<string, string> = {
    "/etc/fields.json": JSON.stringify(fields),
    "/etc/analysis.txt": "Summarise in Spanish.",
  };
  const a = loadConfig({
    ...BASE,
    ANALYSIS_OUTCOMES: " sold , no_sale,abandoned",
    ANALYSIS_FIELDS: "/etc/fields.json",
    ANALYSIS_INSTRUCTIONS: "/etc/analysis.txt",
    ANALYSIS_MODEL: "gpt-5.4-nano",
    ANALYSIS_REASONING_EFFORT: "low",
  }, (p) => files[p]).analysis;
  assert.deepEqual(a.outcomes, ["sold", "no_sale", "abandoned"]);
  assert.deepEqual(a.fieldsSchema, fields);
  assert.equal(a.instructions, "Summarise in Spanish.");
  assert.equal(a.model, "gpt-5.4-nano");
  assert.equal(a.reasoningEffort, "low");
});

Deno.test("analysis config: each error names its variable", () => {
  const bad = (vars: Record<string, string>, pattern: RegExp) =>
    assert.throws(() => loadConfig({ ...BASE, ...vars }), pattern);
  bad({ ANALYSIS_OUTCOMES: "resolved,Bad Outcome,abandoned" }, /ANALYSIS_OUTCOMES: lower-case/);
  bad({ ANALYSIS_OUTCOMES: "resolved,resolved,abandoned" }, /ANALYSIS_OUTCOMES: each outcome once/);
  bad({ ANALYSIS_OUTCOMES: "resolved,escalated" }, /ANALYSIS_OUTCOMES: must include abandoned/);
  bad({ ANALYSIS_FIELDS: "{not json" }, /ANALYSIS_FIELDS: not JSON/);
  bad(
    { ANALYSIS_FIELDS: '{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]}' },
    /ANALYSIS_FIELDS: not a strict-mode schema \(at the root: 'additionalProperties'/,
  );
  bad(
    {
      ANALYSIS_FIELDS: JSON.stringify({
        type: "object",
        properties: { a: { type: "string" }, b: { type: ["string", "null"] } },
        required: ["a"],
        additionalProperties: false,
      }),
    },
    /ANALYSIS_FIELDS: .*'required' is required .* Missing 'b'/,
  );
  bad({ ANALYSIS_FIELDS: '{"type":"array","items":{"type":"string"}}' }, /ANALYSIS_FIELDS: .*root/);
  bad({ ANALYSIS_TIMEOUT_MS: "10" }, /ANALYSIS_TIMEOUT_MS:/);
  bad({ ANALYSIS_MAX_ATTEMPTS: "0" }, /ANALYSIS_MAX_ATTEMPTS:/);
  bad({ OPENAI_API_URL: "not a url" }, /OPENAI_API_URL:/);
  bad({ ANALYSIS_REASONING_EFFORT: "LOW!" }, /ANALYSIS_REASONING_EFFORT:/);
});

Deno.test("strict schema: nested objects, arrays and $defs are held to the rules", () => {
  const object = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    type: "object",
    properties,
    required: Object.keys(properties),
    additionalProperties: false,
    ...extra,
  });
  const ok = object({
    items: { type: "array", items: object({ sku: { type: "string" } }) },
    ref: { $ref: "#/$defs/x" },
  }, { $defs: { x: object({ y: { type: "number" } }) } });
  assert.deepEqual(strictSchemaViolations(ok), []);
  const openItem = object({
    items: { type: "array", items: { type: "object", properties: {}, required: [] } },
  });
  assert.deepEqual(strictSchemaViolations(openItem).map((v) => v.path.join(".")), [
    "properties.items.items",
  ]);
  const untyped = object({ a: { description: "anything" } });
  assert.match(strictSchemaViolations(untyped)[0]!.message, /declare a type/);
  const badDef = object({}, { $defs: { x: { type: "object", properties: {} } } });
  assert.equal(strictSchemaViolations(badDef).length, 2);
});
