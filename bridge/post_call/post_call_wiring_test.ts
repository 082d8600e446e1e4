import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import { openStore } from "../../store/open.ts";
import { generateWebhookSecret } from "../../lib/webhooks/standard_webhooks.ts";
import { callWebhookPayloadSchema } from "../../lib/webhooks/call_webhook_payload.ts";
import { configSecrets, loadConfig } from "../config.ts";
import { SessionManager } from "../session/session_manager.ts";
import { ManualScheduler } from "../media/fake_scheduler.ts";
import {
  FakeAgent,
  FakePeer,
  FakeTerminator,
  META_OFFER,
} from "../../tests/support/session_fakes.ts";
import { until } from "../../tests/support/until.ts";
import { startPostCall } from "./start_post_call.ts";
import { Receiver } from "./_test_utils.ts";

function sessionManager(onCallEnded: (callId: string) => void) {
  const scheduler = new ManualScheduler();
  return new SessionManager({
    maxSessions: 10,
    maxCpuPercent: 0,
    cpuPercent: () => 0,
    onCallEnded,
    deps: {
      createPeer: () => Promise.resolve(new FakePeer(scheduler)),
      createAgent: () => new FakeAgent(),
      terminator: new FakeTerminator({}),
      scheduler,
      mediaConnectTimeoutMs: 10_000,
      maxCallMs: 3_600_000,
      callerSilenceTimeoutMs: 0,
    },
  });
}

const request = (callId: string) => ({
  callId,
  phoneNumberId: "1234",
  from: "16315553602",
  to: "16315553601",
  sdp: META_OFFER,
});

Deno.test("post-call wiring: the session manager reports each ended call once; a throwing hook breaks nothing", async () => {
  const ended: string[] = [];
  const manager = sessionManager((callId) => {
    ended.push(callId);
    throw new Error("hook bug");
  });
  const session = await manager.create(request("wacid.hook1"));
  await Promise.all([session.end("caller_hangup", false), session.end("again", false)]);
  await session.end("third", false);
  assert.deepEqual(ended, ["wacid.hook1"]);
  assert.equal(session.state, "ended");
  assert.equal(manager.list().length, 0);
});

Deno.test("post-call wiring [pglite]: an ended call reaches a loopback receiver, signed, as call.ended then call.analyzed", async () => {
  const secret = generateWebhookSecret();
  const receiver = new Receiver(secret).up();
  const store = await openStore({ pgliteDir: "memory://" });
  try {
    await store.upsertCall({
      callId: "wacid.e2e",
      status: "completed",
      endReason: "caller_hangup",
    });
    const postCall = startPostCall({
      env: { CALL_WEBHOOK_URL: receiver.url(), CALL_WEBHOOK_SECRET: secret },
      store,
      steps: { analyseCall: () => Promise.resolve({ status: "not_analysed" }) },
      parts: {
        analysis: () => Promise.resolve({ status: "not_analysed", reason: "no OpenAI key" }),
      },
    });
    const manager = sessionManager(postCall.onCallEnded);
    const session = await manager.create(request("wacid.e2e"));
    await session.end("caller_hangup", false);
    await until(() => receiver.received.length === 2, 10_000, "both webhooks");
    const verifier = new Webhook(secret);
    const bodies = receiver.received.map((r) =>
      callWebhookPayloadSchema.parse(verifier.verify(r.body, {
        "webhook-id": r.id,
        "webhook-timestamp": String(r.timestamp),
        "webhook-signature": r.signature,
      }))
    );
    assert.deepEqual(bodies.map((b) => b.type).sort(), ["call.analyzed", "call.ended"]);
    assert.ok(bodies.every((b) => b.data.call.id === "wacid.e2e"));
    await postCall.stop(1_000);
    const rows = await store.listWebhooks("wacid.e2e");
    assert.ok(rows.every((r) => r.state === "delivered"));
  } finally {
    await receiver.down();
    await store.close();
  }
});

Deno.test("post-call wiring: no CALL_WEBHOOK_URL, no deliverer", async () => {
  const store = await openStore({ pgliteDir: "memory://" });
  try {
    const postCall = startPostCall({ env: {}, store });
    assert.equal(postCall.deliverer, undefined);
    await postCall.stop();
  } finally {
    await store.close();
  }
});

const BASE = { VOICE_BRIDGE_SECRET: "s".repeat(32) };

Deno.test("post-call config: a bad CALL_WEBHOOK_SECRET is a clear error that never shows it", () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ CALL_WEBHOOK_SECRET: "plainSecretValue123" }, /CALL_WEBHOOK_SECRET: must start with whsec_/],
    [
      { CALL_WEBHOOK_SECRET: "whsec_%%%notBase64%%%" },
      /CALL_WEBHOOK_SECRET: must be whsec_ followed by base64/,
    ],
    [
      { CALL_WEBHOOK_SECRET: "whsec_c2hvcnRTZWNyZXQ=" },
      /CALL_WEBHOOK_SECRET: must encode 24 to 64 bytes, got 11/,
    ],
    [
      { CALL_WEBHOOK_URL: "http://127.0.0.1:9/hook" },
      /CALL_WEBHOOK_SECRET: required when CALL_WEBHOOK_URL/,
    ],
    [{ CALL_WEBHOOK_URL: "ftp://example.com/x" }, /CALL_WEBHOOK_URL/],
  ];
  for (const [vars, message] of cases) {
    assert.throws(() => loadConfig({ ...BASE, ...vars }), (e: Error) => {
      assert.match(e.message, message);
      const secret = vars.CALL_WEBHOOK_SECRET;
      if (secret) assert.ok(!e.message.includes(secret.replace("whsec_", "")), "secret shown");
      return true;
    });
  }
  const secret = generateWebhookSecret();
  const config = loadConfig({
    ...BASE,
    CALL_WEBHOOK_URL: "https://crm.example/hooks/calls",
    CALL_WEBHOOK_SECRET: secret,
  });
  assert.equal(config.env.CALL_WEBHOOK_SECRET, secret);
  assert.ok(configSecrets(config, {}).includes(secret), "the log filter blanks it");
});
