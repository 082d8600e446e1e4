import assert from "node:assert/strict";
import { planWebhook } from "../../supabase/functions/wa-webhook-core/route.ts";

const FIXTURES = new URL("../fixtures/webhooks/", import.meta.url);
const read = (name: string) => Deno.readTextFile(new URL(name, FIXTURES));

Deno.test("route: reference calls payloads go to voice-calls verbatim, with their call ids", async () => {
  for (
    const name of [
      "connect.json",
      "terminate.json",
      "terminate_failed.json",
      "status.json",
      "business_connect.json",
    ]
  ) {
    const text = await read(name);
    const plan = planWebhook(text);
    assert.equal(plan.receipts.length, 0, name);
    assert.equal(plan.calls.length, 1, name);
    assert.deepEqual(plan.calls[0]!.body, JSON.parse(text), name);
    assert.match(plan.calls[0]!.callIds[0]!, /^wacid\./, name);
  }
});

Deno.test("route: username users without a number and odd terminates go to voice-calls", async () => {
  const odd =
    (edit: (call: Record<string, unknown>, value: Record<string, unknown>) => void) => async () => {
      const json = JSON.parse(await read("terminate_failed.json"));
      const value = json.entry[0].changes[0].value;
      edit(value.calls[0], value);
      return JSON.stringify(json);
    };
  const cases: [string, () => Promise<string>][] = [
    ["connect_username.json", () => read("connect_username.json")],
    ["terminate_username.json", () => read("terminate_username.json")],
    ["business_connect_username.json", () => read("business_connect_username.json")],
    ["status_username.json", () => read("status_username.json")],
    ["unknown status", odd((call) => call.status = "NOT_ANSWERED")],
    ["no status", odd((call) => delete call.status)],
    [
      "errors on the call",
      odd((call, value) => {
        call.errors = value.errors;
        delete value.errors;
      }),
    ],
  ];
  for (const [name, text] of cases) {
    const plan = planWebhook(await text());
    assert.deepEqual(plan.receipts, [], name);
    assert.equal(plan.calls.length, 1, name);
  }
});

Deno.test("route: messages changes (text, call permission replies) are for the chat bot", async () => {
  for (const name of ["text_message.json", "call_permission_reply.json"]) {
    const plan = planWebhook(await read(name));
    assert.deepEqual(
      [plan.calls.length, plan.messages.length, plan.receipts.length],
      [0, 1, 0],
      name,
    );
  }
});

Deno.test("route: unknown call events and unknown fields become receipts, never throw", () => {
  const env = (changes: unknown[]) =>
    JSON.stringify({ object: "whatsapp_business_account", entry: [{ id: "1", changes }] });
  const unknownEvent = planWebhook(env([{
    field: "calls",
    value: {
      metadata: { display_phone_number: "1", phone_number_id: "2" },
      calls: [{ id: "wacid.x", event: "transfer" }],
    },
  }]));
  assert.deepEqual(unknownEvent.receipts.map((r) => r.reason), ["no_known_call_events"]);
  for (const text of ["", "null", "[]", '{"entry":"x"}', "\u0000", env([{ field: 1 }])]) {
    const plan = planWebhook(text);
    assert.equal(plan.calls.length, 0);
    assert.equal(plan.receipts.length, 1, JSON.stringify(text));
  }
});
