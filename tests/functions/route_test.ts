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
