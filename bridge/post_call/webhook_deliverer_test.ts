import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import { openStore } from "../../store/open.ts";
import type { Store } from "../../store/store.ts";
import { generateWebhookSecret, newWebhookId } from "../../lib/webhooks/standard_webhooks.ts";
import { MAX_ATTEMPTS, RETRY_DELAYS_MS } from "../../lib/webhooks/retry_schedule.ts";
import { captureLogs } from "../../tests/support/log_capture.ts";
import { until } from "../../tests/support/until.ts";
import {
  retryAfterMs,
  WebhookDeliverer,
  type WebhookDelivererOptions,
} from "./webhook_deliverer.ts";
import { Receiver, TestClock } from "./_test_utils.ts";

const H = 3_600_000;

async function setup(options: Partial<WebhookDelivererOptions> = {}) {
  const secret = generateWebhookSecret();
  const receiver = new Receiver(secret);
  const store = await openStore({ pgliteDir: "memory://" });
  const clock = new TestClock();
  const deliverer = new WebhookDeliverer({
    store,
    url: receiver.url(),
    secret,
    now: clock.now,
    random: () => 0,
    requestTimeoutMs: 2_000,
    ...options,
  });
  const close = async () => {
    await deliverer.stop();
    await receiver.down();
    await store.close();
  };
  return { secret, receiver, store, clock, deliverer, close };
}

/** Enqueues a message due at the test clock's now. */
async function enqueue(t: { store: Store; clock: TestClock }, callId = "wacid.w1") {
  const { store, clock } = t;
  const at = new Date(clock.ms);
  const webhookId = newWebhookId();
  const payload = { type: "call.ended", timestamp: new Date().toISOString(), data: { callId } };
  await store.enqueueWebhook({ webhookId, type: "call.ended", callId, payload, at });
  return webhookId;
}

async function row(store: Store, callId = "wacid.w1") {
  const [r] = await store.listWebhooks(callId);
  return r!;
}

Deno.test("webhook deliverer [pglite]: a signed POST the official library verifies; 2xx delivers", async () => {
  const t = await setup();
  try {
    t.receiver.up();
    const id = await enqueue(t);
    assert.equal(await t.deliverer.deliverDue(), 1);
    const [got] = t.receiver.received;
    assert.equal(got!.id, id);
    assert.ok(got!.signed);
    // The full check, timestamp tolerance included, as a receiver would run it.
    const verified = new Webhook(t.secret).verify(got!.body, {
      "webhook-id": got!.id,
      "webhook-timestamp": String(got!.timestamp),
      "webhook-signature": got!.signature,
    });
    assert.deepEqual((verified as { data: unknown }).data, { callId: "wacid.w1" });
    const r = await row(t.store);
    assert.deepEqual([r.state, r.attempts, r.lastStatus], ["delivered", 1, 200]);
    assert.equal(r.deliveredAt?.getTime(), Math.floor(t.clock.ms));
    assert.equal(await t.deliverer.deliverDue(), 0, "a delivered message is not sent again");
  } finally {
    await t.close();
  }
});

Deno.test("webhook deliverer [pglite]: receiver down then up: retried on the schedule, same webhook-id", async () => {
  const t = await setup();
  try {
    const id = await enqueue(t);
    const start = t.clock.ms;
    assert.equal(await t.deliverer.deliverDue(), 1, "attempt 1: connection refused");
    let r = await row(t.store);
    assert.deepEqual([r.state, r.attempts, r.lastStatus], ["pending", 1, null]);
    assert.match(r.lastError ?? "", /refused|connect/i);
    assert.equal(r.nextAttemptAt.getTime() - start, 5_000, "the first retry within seconds");
    t.clock.advance(4_999);
    assert.equal(await t.deliverer.deliverDue(), 0, "not before its time");
    t.clock.advance(1);
    assert.equal(await t.deliverer.deliverDue(), 1, "attempt 2 at +5 s, still down");
    t.receiver.answers = [503, 500, 200];
    t.receiver.up();
    const delays = [RETRY_DELAYS_MS[1]!, RETRY_DELAYS_MS[2]!, RETRY_DELAYS_MS[3]!];
    for (const delay of delays) {
      t.clock.advance(delay - 1);
      assert.equal(await t.deliverer.deliverDue(), 0);
      t.clock.advance(1);
      assert.equal(await t.deliverer.deliverDue(), 1);
    }
    r = await row(t.store);
    assert.deepEqual([r.state, r.attempts, r.lastStatus], ["delivered", 5, 200]);
    assert.deepEqual(t.receiver.ids(), [id, id, id], "the same webhook-id on every retry");
    assert.ok(t.receiver.received.every((x) => x.signed));
    // Each attempt is signed at its own time: +5 min 5 s, +35 min 5 s, +2 h 35 min 5 s.
    assert.deepEqual(
      t.receiver.received.map((x) => x.timestamp - Math.floor(start / 1000)),
      [305, 2105, 9305],
    );
    assert.equal(t.receiver.received[0]!.body, t.receiver.received[2]!.body, "the same body");
  } finally {
    await t.close();
  }
});

Deno.test("webhook deliverer [pglite]: 410 Gone stops that message for good", async () => {
  const t = await setup();
  try {
    t.receiver.answers = [410];
    t.receiver.up();
    await enqueue(t);
    assert.equal(await t.deliverer.deliverDue(), 1);
    const r = await row(t.store);
    assert.deepEqual([r.state, r.lastStatus], ["gone", 410]);
    t.clock.advance(100 * H);
    assert.equal(await t.deliverer.deliverDue(), 0);
    assert.equal(t.receiver.received.length, 1);
  } finally {
    await t.close();
  }
});

Deno.test("webhook deliverer [pglite]: after the whole schedule (over 24 h) the message is marked failed", async () => {
  const logs = await captureLogs();
  const t = await setup();
  try {
    t.receiver.answers = [500];
    t.receiver.up();
    await enqueue(t);
    const first = t.clock.ms;
    for (let i = 0; i < MAX_ATTEMPTS + 3; i++) {
      const r = await row(t.store);
      if (r.state !== "pending") break;
      t.clock.ms = Math.max(t.clock.ms, r.nextAttemptAt.getTime());
      await t.deliverer.deliverDue();
    }
    const r = await row(t.store);
    assert.deepEqual([r.state, r.attempts, r.lastStatus], ["failed", MAX_ATTEMPTS, 500]);
    assert.equal(t.receiver.received.length, MAX_ATTEMPTS);
    assert.ok(r.lastAttemptAt!.getTime() - first >= 24 * H, "retried for at least 24 hours");
    assert.equal(logs.find("CALL_WEBHOOK_RETRY").length, MAX_ATTEMPTS - 1);
    const [failed] = logs.find("CALL_WEBHOOK_FAILED");
    assert.equal(failed?.properties.callId, "wacid.w1");
    assert.equal(failed?.level, "error");
  } finally {
    await t.close();
    await logs.stop();
  }
});

Deno.test("webhook deliverer [pglite]: a receiver that never answers is cut at the timeout and retried", async () => {
  const t = await setup({ requestTimeoutMs: 150 });
  try {
    t.receiver.answers = ["hang"];
    t.receiver.up();
    await enqueue(t);
    const started = performance.now();
    await t.deliverer.deliverDue();
    assert.ok(performance.now() - started < 2_000);
    const r = await row(t.store);
    assert.deepEqual([r.state, r.lastStatus, r.lastError], [
      "pending",
      null,
      "timed out after 150 ms",
    ]);
  } finally {
    await t.close();
  }
});

Deno.test("webhook deliverer [pglite]: at most `concurrency` requests at once", async () => {
  const t = await setup({ concurrency: 3 });
  try {
    let inFlight = 0, peak = 0;
    const slow: typeof fetch = async (input, init) => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, 20));
      inFlight--;
      return await fetch(input, init);
    };
    const deliverer = new WebhookDeliverer({
      store: t.store,
      url: t.receiver.url(),
      secret: t.secret,
      concurrency: 3,
      fetch: slow,
    });
    t.receiver.up();
    for (let i = 0; i < 10; i++) await enqueue(t, `wacid.c${i}`);
    assert.equal(await deliverer.deliverDue(), 10);
    assert.equal(peak, 3);
    assert.equal(t.receiver.received.length, 10);
  } finally {
    await t.close();
  }
});

Deno.test("webhook deliverer [pglite]: started, it resumes what was pending and sends new ones when woken", async () => {
  const t = await setup({ now: Date.now, pollMs: 60_000 });
  try {
    t.receiver.up();
    const earlier = await enqueue(t, "wacid.before-restart");
    t.deliverer.start();
    await until(() => t.receiver.received.length === 1, 3_000, "the pending message");
    assert.equal(t.receiver.received[0]!.id, earlier);
    const later = await enqueue(t, "wacid.after");
    t.deliverer.wake(); // the runner's onEnqueued: no wait for the (long) poll
    await until(() => t.receiver.received.length === 2, 3_000, "the new message");
    assert.equal(t.receiver.received[1]!.id, later);
    await t.deliverer.stop();
  } finally {
    await t.close();
  }
});

Deno.test("webhook deliverer: secrets and the URL's path never reach the logs", async () => {
  const logs = await captureLogs();
  const t = await setup({ requestTimeoutMs: 150 });
  try {
    const token = "tok3nInThePathAbc123";
    for (const answers of [[200], [500], ["hang" as const], [410]]) {
      const deliverer = new WebhookDeliverer({
        store: t.store,
        url: t.receiver.url(`/hooks/${token}?key=${token}`),
        secret: t.secret,
        requestTimeoutMs: 150,
      });
      t.receiver.answers = answers;
      if (answers[0] === 200) t.receiver.up();
      await enqueue(t, `wacid.log-${answers[0]}`);
      await deliverer.deliverDue();
      t.receiver.releaseHung();
    }
    // And once with the receiver down: fetch's own error text quotes the URL.
    await t.receiver.down();
    const down = new WebhookDeliverer({
      store: t.store,
      url: t.receiver.url(`/hooks/${token}`),
      secret: t.secret,
    });
    await enqueue(t, "wacid.log-down");
    await down.deliverDue();
    const text = JSON.stringify(logs.records.map((r) => [r.message, r.properties]));
    for (const event of ["DELIVERED", "RETRY", "GONE"]) assert.match(text, new RegExp(event));
    assert.ok(!text.includes(t.secret), "the whsec_ secret");
    assert.ok(!text.includes(t.secret.slice("whsec_".length)), "its key");
    assert.ok(!text.includes(token), "the URL's token");
    assert.match(text, new RegExp(`"target":"http://127.0.0.1:${t.receiver.port}"`));
    const rows = await Promise.all(["down", "500"].map((s) => row(t.store, `wacid.log-${s}`)));
    assert.ok(rows.every((r) => !(r.lastError ?? "").includes(token)), "nor the stored error");
  } finally {
    await t.close();
    await logs.stop();
  }
});

Deno.test("webhook deliverer: a malformed secret fails at construction, without showing it", () => {
  const secret = "whsec_tooShort";
  assert.throws(
    () => new WebhookDeliverer({ store: {} as Store, url: "http://127.0.0.1:1/", secret }),
    (e: Error) => /webhook secret must/.test(e.message) && !e.message.includes("tooShort"),
  );
});

Deno.test("webhook deliverer: Retry-After in seconds or as a date", () => {
  const now = Date.parse("2026-12-07T10:00:00Z");
  assert.equal(retryAfterMs("120", now), 120_000);
  assert.equal(retryAfterMs("Mon, 07 Dec 2026 10:10:00 GMT", now), 600_000);
  assert.equal(retryAfterMs("soon", now), 0);
  assert.equal(retryAfterMs(null, now), 0);
});

Deno.test("webhook deliverer [pglite]: while a secret is rotated, receivers holding the new or the old one both verify", async () => {
  const [next, old, stranger] = [0, 1, 2].map(() => generateWebhookSecret()) as [
    string,
    string,
    string,
  ];
  const t = await setup({ secret: `${next} ${old}` });
  try {
    t.receiver.up();
    await enqueue(t);
    assert.equal(await t.deliverer.deliverDue(), 1);
    const got = t.receiver.received[0]!;
    const headers = {
      "webhook-id": got.id,
      "webhook-timestamp": String(got.timestamp),
      "webhook-signature": got.signature,
    };
    assert.equal(got.signature.split(" ").length, 2);
    for (const secret of [next, old]) new Webhook(secret).verify(got.body, headers);
    assert.throws(() => new Webhook(stranger).verify(got.body, headers));
  } finally {
    await t.close();
  }
});

Deno.test("webhook deliverer: a malformed secret among several is refused at start, naming its place only", async () => {
  const store = await openStore({ pgliteDir: "memory://" });
  try {
    const bad = "whsec_not-base64!";
    assert.throws(
      () =>
        new WebhookDeliverer({
          store,
          url: "http://127.0.0.1:9/x",
          secret: `${generateWebhookSecret()} ${bad}`,
        }),
      (e: Error) => e.message.includes("secret 2") && !e.message.includes(bad),
    );
  } finally {
    await store.close();
  }
});
