import assert from "node:assert/strict";
import { FakeRealtimeServer } from "./openai_realtime.ts";

const OK_SCHEMA = {
  type: "object",
  properties: {
    summary: { type: "string" },
    outcome: { type: "string", enum: ["resolved", "callback_requested", "abandoned"] },
    fields: {
      type: "object",
      properties: { order_number: { type: ["string", "null"] } },
      required: ["order_number"],
      additionalProperties: false,
    },
  },
  required: ["summary", "outcome", "fields"],
  additionalProperties: false,
};

function body(schema: unknown, strict = true): Record<string, unknown> {
  return {
    model: "gpt-6-luna",
    input: "[00:00] Caller: My order number is Z-9, I need a callback.",
    text: { format: { type: "json_schema", name: "call_analysis", strict, schema } },
  };
}

async function withFake(
  fn: (post: (b: unknown, key?: string) => Promise<Response>) => Promise<void>,
) {
  const fake = FakeRealtimeServer.start({ apiKey: "sk-fake-key-123" });
  const url = fake.url.replace("ws:", "http:").replace("/realtime", "/responses");
  try {
    await fn((b, key = fake.apiKey) =>
      fetch(url, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify(b),
      })
    );
  } finally {
    await fake.close();
  }
}

Deno.test("fake responses: a wrong key gets the service's 401", async () => {
  await withFake(async (post) => {
    const res = await post(body(OK_SCHEMA), "sk-wrong");
    assert.equal(res.status, 401);
    const { error } = await res.json();
    assert.deepEqual([error.type, error.code], ["invalid_request_error", "invalid_api_key"]);
  });
});

Deno.test("fake responses: strict schemas that break a rule get 400 invalid_json_schema", async () => {
  await withFake(async (post) => {
    const open = { ...OK_SCHEMA, fields: undefined, additionalProperties: undefined };
    const missing = {
      ...OK_SCHEMA,
      properties: {
        ...OK_SCHEMA.properties,
        fields: { ...OK_SCHEMA.properties.fields, required: [] },
      },
    };
    const cases: [unknown, string][] = [
      [
        open,
        "Invalid schema for response_format 'call_analysis': In context=(), " +
        "'additionalProperties' is required to be supplied and to be false.",
      ],
      [
        missing,
        "Invalid schema for response_format 'call_analysis': In context=('properties', 'fields'), " +
        "'required' is required to be supplied and to be an array including every key in " +
        "properties. Missing 'order_number'.",
      ],
      [
        { type: "array", items: { type: "string" } },
        `Invalid schema for response_format 'call_analysis': schema must be a JSON Schema of ` +
        `'type: "object"', got 'type: "array"'.`,
      ],
    ];
    for (const [schema, message] of cases) {
      const res = await post(body(schema));
      assert.equal(res.status, 400);
      assert.deepEqual((await res.json()).error, {
        message,
        type: "invalid_request_error",
        param: "text.format.schema",
        code: "invalid_json_schema",
      });
    }
    // Without strict the service takes any schema.
    assert.equal((await post(body(open, false))).status, 200);
    const noModel = await post({ input: "x" });
    assert.equal(noModel.status, 400);
    assert.equal((await noModel.json()).error.param, "model");
  });
});

Deno.test("fake responses: the answer conforms to the schema and reports usage", async () => {
  await withFake(async (post) => {
    const res = await post(body(OK_SCHEMA));
    assert.equal(res.status, 200);
    const r = await res.json();
    assert.equal(r.object, "response");
    assert.equal(r.status, "completed");
    const message = r.output.find((o: { type: string }) => o.type === "message");
    assert.deepEqual(JSON.parse(message.content[0].text), {
      summary: "Caller said: My order number is Z-9, I need a callback.",
      outcome: "callback_requested",
      fields: { order_number: "Z-9" },
    });
    assert.ok(r.usage.input_tokens > 0 && r.usage.total_tokens > r.usage.input_tokens);
  });
});
