import assert from "node:assert/strict";
import { z } from "zod";
import { parseJson, readJsonBody } from "../../supabase/functions/_shared/json_body.ts";
import { MAX_WEBHOOK_BODY_BYTES } from "../../supabase/functions/_shared/body.ts";
import { createVoiceCallsHandler } from "../../supabase/functions/wa-webhook-voice-calls/index.ts";
import { closedPort, newCallId, offerFor, TEST_ENV } from "./harness.ts";

const Schema = z.object({ callId: z.string(), status: z.enum(["RINGING", "ACCEPTED"]) });

const post = (body: BodyInit, headers: Record<string, string> = {}) =>
  new Request("http://localhost/", { method: "POST", body, headers });

Deno.test("parseJson: the value, `not_json`, or issues naming paths, never the values", () => {
  assert.deepEqual(parseJson('{"callId":"a","status":"RINGING"}', Schema), {
    ok: true,
    data: { callId: "a", status: "RINGING" },
  });
  assert.deepEqual(parseJson("{not json", Schema), { ok: false, reason: "not_json" });
  const bad = parseJson('{"callId":7,"status":"hunter2-token"}', Schema);
  assert.ok(!bad.ok && bad.reason === "invalid");
  assert.deepEqual(bad.json, { callId: 7, status: "hunter2-token" });
  assert.deepEqual(bad.issues.map((i) => i.split(":")[0]), ["callId", "status"]);
  assert.doesNotMatch(bad.issues.join("\n"), /hunter2/);
  const root = parseJson("[]", Schema);
  assert.ok(!root.ok && root.reason === "invalid" && root.issues[0]!.startsWith("(root):"));
});

Deno.test("readJsonBody: 413 past the limit, 400 not JSON, 400 naming fields", async () => {
  const answer = async (req: Request, maxBytes?: number) => {
    const r = await readJsonBody(req, Schema, maxBytes);
    assert.ok(!r.ok);
    return [r.response.status, await r.response.json()];
  };
  assert.deepEqual(await answer(post("x".repeat(100)), 64), [413, { error: "body too large" }]);
  assert.deepEqual(await answer(post("{not json")), [400, { error: "body is not JSON" }]);
  const [status, body] = await answer(post('{"callId":"a"}'));
  assert.equal(status, 400);
  assert.equal(body.error, "invalid body");
  assert.match(body.issues[0], /^status: /);
  assert.deepEqual(await readJsonBody(post('{"callId":"a","status":"ACCEPTED"}'), Schema), {
    ok: true,
    data: { callId: "a", status: "ACCEPTED" },
  });
});

Deno.test("voice-calls reads its body the same way: oversized 413, not JSON 400, fields named", async () => {
  const handler = createVoiceCallsHandler({
    env: { ...TEST_ENV, VOICE_BRIDGE_URL: `http://127.0.0.1:${closedPort()}` },
    store: () => Promise.reject(new Error("a refused body never reaches the store")),
  });
  const auth = { authorization: `Bearer ${TEST_ENV.SUPABASE_SERVICE_ROLE_KEY}` };
  const answer = async (body: string) => {
    const res = await handler(post(body, auth));
    return [res.status, await res.json()];
  };
  const huge = { ...offerFor(newCallId()), padding: "x".repeat(MAX_WEBHOOK_BODY_BYTES) };
  assert.deepEqual(await answer(JSON.stringify(huge)), [413, { error: "body too large" }]);
  assert.deepEqual(await answer("{not json"), [400, { error: "body is not JSON" }]);
  const [status, body] = await answer(JSON.stringify({ object: "whatsapp_business_account" }));
  assert.deepEqual([status, body.error, body.issues[0]?.split(":")[0]], [
    400,
    "invalid body",
    "entry",
  ]);
});
