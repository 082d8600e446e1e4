import assert from "node:assert/strict";
import { signMetaBody } from "../../lib/whatsapp/signature.ts";
import {
  createCoreHandler,
  type InvokeVoiceCalls,
} from "../../supabase/functions/wa-webhook-core/index.ts";
import type { SingleChangeEnvelope } from "../../supabase/functions/wa-webhook-core/route.ts";
import { MAX_WEBHOOK_BODY_BYTES } from "../../supabase/functions/_shared/body.ts";
import { type Payload, signWebhook, textMessage } from "../../simulator/meta_webhooks.ts";
import {
  newCallId,
  nowSec,
  offerFor,
  sharedStore,
  terminateFor,
  TEST_ENV,
  usernameOfferFor,
} from "./harness.ts";

const URL_BASE = "http://localhost/functions/v1/wa-webhook-core";

/** A core handler whose voice-calls invocations are captured (and can be held). */
async function coreRig(
  opts: { env?: Record<string, string>; invoke?: InvokeVoiceCalls } = {},
) {
  const store = await sharedStore();
  const invoked: SingleChangeEnvelope[] = [];
  const handler = createCoreHandler({
    env: { ...TEST_ENV, SUPABASE_URL: "http://supabase.invalid", ...opts.env },
    store: () => Promise.resolve(store),
    invokeVoiceCalls: opts.invoke ?? ((body) => {
      invoked.push(body);
      return Promise.resolve();
    }),
  });
  return { store, handler, invoked };
}

function post(body: BodyInit, headers: Record<string, string>): Request {
  return new Request(URL_BASE, { method: "POST", headers, body });
}

async function signed(payload: Payload | string): Promise<Request> {
  const w = await signWebhook(payload, TEST_ENV.WHATSAPP_APP_SECRET);
  return post(w.body, w.headers);
}

/** Receipts recorded since `since` (the store is shared by the test process). */
async function receiptsSince(since: Date) {
  const store = await sharedStore();
  return (await store.listReceipts(50)).filter((r) => r.receivedAt >= since);
}

Deno.test("GET verification: subscribe + right token → 200 with the raw challenge, else 403", async () => {
  const { handler } = await coreRig();
  const get = (q: string) => handler(new Request(`${URL_BASE}?${q}`));
  const ok = await get(
    `hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=${TEST_ENV.WHATSAPP_VERIFY_TOKEN}`,
  );
  assert.equal(ok.status, 200);
  assert.equal(await ok.text(), "1158201444");
  for (
    const q of [
      "hub.mode=subscribe&hub.challenge=1&hub.verify_token=wrong",
      `hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=${TEST_ENV.WHATSAPP_VERIFY_TOKEN}`,
      "hub.mode=subscribe&hub.challenge=1",
      "",
    ]
  ) {
    const res = await get(q);
    assert.equal(res.status, 403, q);
    await res.body?.cancel();
  }
});

Deno.test("GET without WHATSAPP_VERIFY_TOKEN configured: 500 naming it", async () => {
  const { handler } = await coreRig({ env: { WHATSAPP_VERIFY_TOKEN: "" } });
  const res = await handler(
    new Request(`${URL_BASE}?hub.mode=subscribe&hub.verify_token=&hub.challenge=1`),
  );
  assert.equal(res.status, 500);
  assert.match(await res.text(), /WHATSAPP_VERIFY_TOKEN: missing/);
});

Deno.test("POST signature: valid → 200; missing, wrong, one changed byte or re-serialised → 401", async () => {
  const { handler, invoked } = await coreRig();
  const callId = newCallId();
  const w = await signWebhook(offerFor(callId), TEST_ENV.WHATSAPP_APP_SECRET);
  const sig = w.headers["x-hub-signature-256"];
  const flipped = w.body.replace(callId, callId.slice(0, -1) + (callId.endsWith("a") ? "b" : "a"));
  const reserialised = JSON.stringify(JSON.parse(w.body), null, 1);
  const bad: [string, Request][] = [
    ["missing", post(w.body, { "content-type": "application/json" })],
    ["wrong secret", post(w.body, { "x-hub-signature-256": await signMetaBody(w.body, "other") })],
    ["malformed", post(w.body, { "x-hub-signature-256": "sha1=abc" })],
    ["one changed byte", post(flipped, { "x-hub-signature-256": sig })],
    ["re-serialised", post(reserialised, { "x-hub-signature-256": sig })],
  ];
  for (const [what, req] of bad) {
    const res = await handler(req);
    assert.equal(res.status, 401, what);
    await res.body?.cancel();
  }
  await handler.settled();
  assert.equal(invoked.length, 0);

  const res = await handler(post(w.body, w.headers));
  assert.equal(res.status, 200);
  await res.body?.cancel();
  await handler.settled();
  assert.equal(invoked.length, 1);
  assert.equal(invoked[0]!.entry[0].changes[0].field, "calls");
});

Deno.test("bodies over 1 MiB → 413, by Content-Length and while streaming", async () => {
  const { handler, invoked } = await coreRig();
  const big = new Uint8Array(MAX_WEBHOOK_BODY_BYTES + 1).fill(0x20);
  const declared = await handler(
    post(big, { "x-hub-signature-256": await signMetaBody(big, TEST_ENV.WHATSAPP_APP_SECRET) }),
  );
  assert.equal(declared.status, 413);
  await declared.body?.cancel();

  // No Content-Length (a stream): the limit is enforced while reading.
  let pulled = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled++;
      controller.enqueue(new Uint8Array(64 * 1024).fill(0x20));
      if (pulled > 64) controller.close(); // 4 MiB at most
    },
  });
  const streamed = await handler(
    post(stream, { "x-hub-signature-256": "sha256=" + "0".repeat(64) }),
  );
  assert.equal(streamed.status, 413);
  await streamed.body?.cancel();
  assert.ok(pulled <= 18, `read ${pulled} chunks past the limit`);

  // Exactly at the limit is fine (and then judged by its signature).
  const atLimit = new Uint8Array(MAX_WEBHOOK_BODY_BYTES).fill(0x20);
  const ok = await handler(post(atLimit, {
    "x-hub-signature-256": await signMetaBody(atLimit, TEST_ENV.WHATSAPP_APP_SECRET),
  }));
  assert.equal(ok.status, 200);
  await ok.body?.cancel();
  await handler.settled();
  assert.equal(invoked.length, 0);
});

Deno.test("signed but unparseable or unknown payloads: 200 and a receipt with the reason", async () => {
  const { handler, invoked } = await coreRig();
  const since = new Date();
  const bodies: (Payload | string)[] = [
    "{not json",
    { hello: "world" },
    {
      object: "whatsapp_business_account",
      entry: [{ id: "1", changes: [{ field: "account_update", value: { event: "x" } }] }],
    },
    {
      object: "whatsapp_business_account",
      entry: [{ id: "1", changes: [{ field: "calls", value: { calls: [{ id: "x" }] } }] }],
    },
  ];
  for (const body of bodies) {
    const res = await handler(await signed(body));
    assert.equal(res.status, 200);
    await res.body?.cancel();
  }
  await handler.settled();
  assert.equal(invoked.length, 0);
  const receipts = await receiptsSince(since);
  const reasons = receipts.map((r) => r.reason.split(":")[0]).sort();
  assert.deepEqual(reasons, [
    "invalid_calls_change",
    "invalid_envelope",
    "invalid_json",
    "unhandled_field",
  ]);
  assert.equal(receipts.find((r) => r.reason === "invalid_json")?.raw, "{not json");
  assert.equal(receipts.find((r) => r.reason === "unhandled_field")?.field, "account_update");
});

Deno.test("a username caller's connect (no number) reaches voice-calls, no receipt", async () => {
  const { handler, invoked } = await coreRig();
  const since = new Date();
  const callId = newCallId();
  const res = await handler(await signed(usernameOfferFor(callId)));
  assert.equal(res.status, 200);
  await res.body?.cancel();
  await handler.settled();
  assert.equal(invoked.length, 1);
  assert.match(JSON.stringify(invoked[0]), new RegExp(callId.replace(".", "\\.")));
  assert.deepEqual(await receiptsSince(since), []);
});

Deno.test("acknowledges while voice-calls hangs, and routes once it returns", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  const started: string[] = [];
  const { handler } = await coreRig({
    invoke: async (body) => {
      started.push(JSON.stringify(body));
      await gate;
    },
  });
  const req = await signed(offerFor(newCallId()));
  const t0 = performance.now();
  const res = await handler(req);
  const ackMs = performance.now() - t0;
  assert.equal(res.status, 200);
  await res.body?.cancel();
  // voice-calls never returns until released, so any ack proves it was not
  // awaited; the bound is loose because parallel tests share two cores (the
  // bench's webhook → pre_accept figure covers the speed).
  assert.ok(ackMs < 1000, `ack took ${ackMs.toFixed(1)} ms`);
  let settled = false;
  const done = handler.settled().then(() => settled = true);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(started.length, 1);
  assert.equal(settled, false);
  release();
  await done;
});

Deno.test("on Supabase the routing is handed to EdgeRuntime.waitUntil", async () => {
  const store = await sharedStore();
  const handed: Promise<unknown>[] = [];
  const handler = createCoreHandler({
    env: { ...TEST_ENV, SUPABASE_URL: "http://supabase.invalid" },
    store: () => Promise.resolve(store),
    invokeVoiceCalls: () => Promise.resolve(),
    runtime: { waitUntil: (p) => handed.push(p) },
  });
  const res = await handler(await signed(offerFor(newCallId())));
  await res.body?.cancel();
  assert.equal(handed.length, 1);
  await Promise.all(handed);
});

Deno.test("each change is routed on its own: calls invoked, other fields kept", async () => {
  const { handler, invoked } = await coreRig();
  const since = new Date();
  const a = newCallId();
  const b = newCallId();
  const first = offerFor(a) as { entry: [{ id: string; changes: unknown[] }] };
  const second = terminateFor(b) as { entry: [{ changes: unknown[] }] };
  first.entry[0].changes.push(second.entry[0].changes[0], { field: "templates", value: {} });
  const res = await handler(await signed(first));
  await res.body?.cancel();
  await handler.settled();
  assert.equal(invoked.length, 2);
  const ids = invoked.map((e) =>
    (e.entry[0].changes[0].value as { calls: { id: string }[] }).calls[0]!.id
  );
  assert.deepEqual(ids, [a, b]);
  // Forwarded exactly as received: strings stay strings (no zod transforms applied).
  const call = (invoked[0]!.entry[0].changes[0].value as { calls: { timestamp: unknown }[] })
    .calls[0]!;
  assert.equal(typeof call.timestamp, "string");
  assert.deepEqual((await receiptsSince(since)).map((r) => r.field), ["templates"]);
});

Deno.test("voice-calls failure: the change is kept as a receipt", async () => {
  const since = new Date();
  const { handler } = await coreRig({ invoke: () => Promise.reject(new Error("HTTP 500")) });
  const callId = newCallId();
  const res = await handler(await signed(offerFor(callId)));
  await res.body?.cancel();
  await handler.settled();
  const [receipt] = await receiptsSince(since);
  assert.match(receipt?.reason ?? "", /^voice_calls_failed: Error: HTTP 500/);
  assert.equal(receipt?.field, "calls");
  assert.match(JSON.stringify(receipt?.payload), new RegExp(callId.replace(".", "\\.")));
});

Deno.test("messages go to WA_MESSAGES_FORWARD_URL with the original bytes and signature", async () => {
  const got: { body: string; signature: string | null }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    got.push({ body: await req.text(), signature: req.headers.get("x-hub-signature-256") });
    return new Response("ok");
  });
  try {
    const { handler, invoked } = await coreRig({
      env: { WA_MESSAGES_FORWARD_URL: `http://127.0.0.1:${server.addr.port}/webhook` },
    });
    // Odd spacing: a re-serialised forward would break the bot's own signature check.
    const raw = JSON.stringify(
      textMessage({ user: "16315553602", messageId: "wamid.1", timestamp: nowSec(), text: "hi" }),
      null,
      3,
    );
    const w = await signWebhook(raw, TEST_ENV.WHATSAPP_APP_SECRET);
    const res = await handler(post(w.body, w.headers));
    await res.body?.cancel();
    await handler.settled();
    assert.deepEqual(got, [{ body: raw, signature: w.headers["x-hub-signature-256"] }]);
    assert.equal(invoked.length, 0);
  } finally {
    await server.shutdown();
  }
});

Deno.test("messages without a forward URL are recorded", async () => {
  const since = new Date();
  const { handler } = await coreRig();
  const msg = textMessage({
    user: "16315553602",
    messageId: "wamid.2",
    timestamp: nowSec(),
    text: "hi",
  });
  const res = await handler(await signed(msg));
  await res.body?.cancel();
  await handler.settled();
  const receipts = await receiptsSince(since);
  assert.deepEqual(receipts.map((r) => [r.reason, r.field]), [[
    "messages_not_forwarded",
    "messages",
  ]]);
});

Deno.test("POST with variables missing: 500 naming them, never a value; other methods 405", async () => {
  const store = await sharedStore();
  const handler = createCoreHandler({
    env: { WHATSAPP_APP_SECRET: "app-secret-value", WHATSAPP_GRAPH_URL: "not a url" },
    store: () => Promise.resolve(store),
  });
  const res = await handler(await signed(offerFor(newCallId())));
  assert.equal(res.status, 500);
  const text = await res.text();
  assert.match(text, /WHATSAPP_GRAPH_URL: invalid value/);
  assert.doesNotMatch(text, /app-secret-value|not a url/);

  const ok = createCoreHandler({
    env: { WHATSAPP_APP_SECRET: "x" },
    store: () => Promise.resolve(store),
  });
  const missing = await ok(await signed(offerFor(newCallId())));
  assert.equal(missing.status, 500);
  const body = await missing.json();
  assert.deepEqual(body.problems, ["SUPABASE_URL: missing", "SUPABASE_SERVICE_ROLE_KEY: missing"]);

  const put = await ok(new Request(URL_BASE, { method: "PUT" }));
  assert.equal(put.status, 405);
  await put.body?.cancel();
});
