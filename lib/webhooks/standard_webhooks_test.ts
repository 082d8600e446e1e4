import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import {
  generateWebhookSecret,
  newWebhookId,
  parseWebhookSecret,
  signWebhook,
  webhookHeaders,
  webhookSecretProblem,
  webhookSigningKey,
} from "./standard_webhooks.ts";

// The example of the reference libraries' tests (standard-webhooks/libraries).
const SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

Deno.test("standard webhooks: signs the reference example byte for byte", async () => {
  const key = await webhookSigningKey(SPEC_SECRET);
  const sig = await signWebhook(
    key,
    "msg_p5jXN8AQM9LWM0D4loKWxJek",
    1614265330,
    '{"test": 2432232314}',
  );
  assert.equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
});

Deno.test("standard webhooks: the official library verifies our headers; a changed byte fails", async () => {
  const secret = generateWebhookSecret();
  const key = await webhookSigningKey(secret);
  const verifier = new Webhook(secret);
  const long = JSON.stringify({ text: "x".repeat(70_000) });
  for (const body of ['{"type":"call.ended","data":{"text":"ñ 日本 😀"}}', "{}", long]) {
    const id = newWebhookId();
    const headers = await webhookHeaders(key, id, new Date(), body);
    assert.equal(headers["webhook-id"], id);
    assert.match(headers["webhook-timestamp"], /^\d{10}$/);
    assert.deepEqual(verifier.verify(body, { ...headers }), JSON.parse(body));
    assert.throws(() => verifier.verify(`${body} `, { ...headers }), /No matching signature/);
    const other = new Webhook(generateWebhookSecret());
    assert.throws(() => other.verify(body, { ...headers }), /No matching signature/);
  }
});

Deno.test("standard webhooks: the timestamp is the attempt's, in whole seconds", async () => {
  const key = await webhookSigningKey(SPEC_SECRET);
  const headers = await webhookHeaders(key, "msg_1", new Date(1_700_000_000_999), "{}");
  assert.equal(headers["webhook-timestamp"], "1700000000");
  // The library refuses attempts outside its 5-minute tolerance: a replay of an old attempt.
  assert.throws(() => new Webhook(SPEC_SECRET).verify("{}", { ...headers }), /too old/);
});

Deno.test("standard webhooks: a malformed secret is refused with a message that never shows it", () => {
  const cases: [string, RegExp][] = [
    ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", /must start with whsec_/],
    ["whsec_not*base64!!not*base64!!not*base64", /base64/],
    ["whsec_c2hvcnQ=", /24 to 64 bytes, got 5/],
    [`whsec_${btoa("x".repeat(65))}`, /got 65/],
  ];
  for (const [secret, message] of cases) {
    const problem = webhookSecretProblem(secret);
    assert.match(problem ?? "", message, secret);
    assert.ok(
      !problem!.includes(secret.replace(/^whsec_/, "")),
      "the secret is not in the message",
    );
    assert.throws(() => parseWebhookSecret(secret), message);
  }
  assert.equal(webhookSecretProblem(SPEC_SECRET), undefined);
  assert.equal(parseWebhookSecret(generateWebhookSecret()).length, 32);
});

Deno.test("standard webhooks: ids are unique and never contain the '.' the signature delimits with", async () => {
  const ids = new Set(Array.from({ length: 1000 }, newWebhookId));
  assert.equal(ids.size, 1000);
  for (const id of ids) assert.match(id, /^msg_[0-9a-f]{32}$/);
  const key = await webhookSigningKey(SPEC_SECRET);
  await assert.rejects(signWebhook(key, "msg.1", 1, "{}"), /must not contain/);
});
