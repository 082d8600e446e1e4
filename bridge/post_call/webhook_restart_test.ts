/**
 * The outbox across processes: a bridge that stops mid-delivery loses
 * nothing (the next one resumes once the claim's lease runs out, at most one
 * duplicate), and two bridges on one PostgreSQL never make the same attempt.
 */
import assert from "node:assert/strict";
import { openStore } from "../../store/open.ts";
import type { Store } from "../../store/store.ts";
import { generateWebhookSecret, newWebhookId } from "../../lib/webhooks/standard_webhooks.ts";
import { postgresAvailable, withTestDatabase } from "../../tests/support/postgres.ts";
import { WebhookDeliverer } from "./webhook_deliverer.ts";
import { Receiver, TestClock } from "./_test_utils.ts";
import { until } from "../../tests/support/until.ts";

const LEASE_MS = 30_000;

async function enqueue(store: Store, callId: string, at: Date): Promise<string> {
  const webhookId = newWebhookId();
  await store.enqueueWebhook({
    webhookId,
    type: "call.ended",
    callId,
    payload: { type: "call.ended", timestamp: at.toISOString(), data: { callId } },
    at,
  });
  return webhookId;
}

/** A test on a fresh database of a real PostgreSQL, skipped where there is none. */
function postgresTest(name: string, fn: (url: string) => Promise<void>): void {
  Deno.test({
    name: `webhook outbox [postgres]: ${name}`,
    ignore: !postgresAvailable(),
  }, () => withTestDatabase((db) => fn(db.url)));
}

/** Two bridges' stores on one database (the first migrates it), closed after `fn`. */
async function withTwoBridges(url: string, fn: (stores: Store[]) => Promise<void>) {
  const stores: Store[] = [];
  try {
    for (let i = 0; i < 2; i++) stores.push(await openStore({ url, migrate: i === 0 }));
    await fn(stores);
  } finally {
    for (const s of stores) await s.close();
  }
}

/**
 * Bridge A claims the message and its request hangs; A "dies" (its store is
 * closed under it); bridge B opens the same database. `reopen` gives B's store.
 */
async function restartMidDelivery(storeA: Store, reopen: () => Promise<Store>) {
  const secret = generateWebhookSecret();
  const receiver = new Receiver(secret).up();
  const clock = new TestClock();
  const options = { url: receiver.url(), secret, now: clock.now, leaseMs: LEASE_MS };
  let storeB: Store | undefined;
  try {
    const id = await enqueue(storeA, "wacid.restart", new Date(clock.ms));
    receiver.answers = ["hang", 200];
    const a = new WebhookDeliverer({ ...options, store: storeA, requestTimeoutMs: 60_000 });
    const passA = a.deliverDue();
    while (receiver.received.length === 0) await new Promise((r) => setTimeout(r, 10));
    await storeA.close(); // the process is gone: nothing of A settles the attempt

    storeB = await reopen();
    const b = new WebhookDeliverer({ ...options, store: storeB });
    clock.advance(LEASE_MS - 1);
    assert.equal(await b.deliverDue(), 0, "A's claim holds until its lease runs out");
    clock.advance(1);
    assert.equal(await b.deliverDue(), 1, "B resumes the message");
    const [r] = await storeB.listWebhooks("wacid.restart");
    assert.deepEqual([r!.state, r!.attempts, r!.lastStatus], ["delivered", 2, 200]);
    assert.deepEqual(receiver.ids(), [id, id], "nothing lost, at most a duplicate, same id");
    assert.ok(receiver.received.every((x) => x.signed));

    receiver.releaseHung(); // A's late answer finds its attempt superseded
    await passA.catch(() => {});
    const [after] = await storeB.listWebhooks("wacid.restart");
    assert.deepEqual([after!.state, after!.attempts], ["delivered", 2]);
  } finally {
    await receiver.down();
    await storeB?.close();
  }
}

Deno.test("webhook outbox [pglite]: a bridge restarted mid-delivery resumes the message", async () => {
  const dir = await Deno.makeTempDir({ prefix: "webhook_restart_" });
  try {
    await restartMidDelivery(
      await openStore({ pgliteDir: dir }),
      () => openStore({ pgliteDir: dir }),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

postgresTest("a bridge restarted mid-delivery resumes the message", async (url) => {
  const open = () => openStore({ url, migrate: true });
  await restartMidDelivery(await open(), open);
});

postgresTest(
  "two bridges never make the same attempt",
  (url) =>
    withTwoBridges(url, async (stores) => {
      const secret = generateWebhookSecret();
      const receiver = new Receiver(secret).up();
      try {
        const ids = new Set<string>();
        for (let i = 0; i < 80; i++) ids.add(await enqueue(stores[0]!, `wacid.pg${i}`, new Date()));
        // Slow answers keep both bridges' claims overlapping.
        const slow: typeof fetch = async (input, init) => {
          await new Promise((r) => setTimeout(r, 5));
          return await fetch(input, init);
        };
        const bridges = stores.map((store) =>
          new WebhookDeliverer({ store, url: receiver.url(), secret, concurrency: 4, fetch: slow })
        );
        const made = [0, 0];
        for (let round = 0; round < 20 && receiver.received.length < ids.size; round++) {
          const counts = await Promise.all(bridges.map((b) => b.deliverDue()));
          counts.forEach((n, i) => made[i]! += n);
        }
        const got = receiver.ids();
        assert.equal(got.length, ids.size, "each message sent exactly once");
        assert.deepEqual(new Set(got), ids);
        assert.ok(made[0]! > 0 && made[1]! > 0, `both bridges delivered (${made})`);
        const rows = await Promise.all(
          [...Array(80).keys()].map((i) => stores[1]!.listWebhooks(`wacid.pg${i}`)),
        );
        assert.ok(rows.flat().every((r) => r.state === "delivered" && r.attempts === 1));
      } finally {
        await receiver.down();
      }
    }),
);

postgresTest(
  "concurrent claims from two pools never share a message",
  (url) =>
    withTwoBridges(url, async (stores) => {
      const now = new Date();
      await Promise.all(
        Array.from({ length: 300 }, (_, i) => enqueue(stores[i % 2]!, `wacid.claim${i}`, now)),
      );
      // Ten claimers at once on each bridge's pool (five connections each), five rows a claim.
      const lease = new Date(now.getTime() + LEASE_MS);
      const claimed: string[] = [];
      for (let round = 0; round < 10 && claimed.length < 300; round++) {
        const batches = await Promise.all(
          Array.from({ length: 20 }, (_, i) => stores[i % 2]!.claimWebhooks(now, lease, 5)),
        );
        claimed.push(...batches.flat().map((c) => c.webhookId));
      }
      assert.equal(claimed.length, 300, "every message claimed");
      assert.equal(new Set(claimed).size, 300, "none claimed twice");
    }),
);

postgresTest("a bridge process killed (SIGKILL) mid-delivery loses nothing", async (url) => {
  const secret = generateWebhookSecret();
  const receiver = new Receiver(secret).up();
  const store = await openStore({ url, migrate: true });
  let child: Deno.ChildProcess | undefined;
  try {
    const id = await enqueue(store, "wacid.killed", new Date());
    receiver.answers = ["hang", 200];
    const leaseMs = 1_500;
    child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("./_deliverer_child_test_utils.ts", import.meta.url).pathname,
        url,
        receiver.url(),
        String(leaseMs),
      ],
      env: { CALL_WEBHOOK_SECRET: secret },
      stdout: "null",
      stderr: "null",
    }).spawn();
    await until(() => receiver.received.length === 1, 30_000, "the child's first attempt");
    child.kill("SIGKILL");
    await child.status;
    child = undefined;
    const restarted = new WebhookDeliverer({ store, url: receiver.url(), secret, pollMs: 100 });
    restarted.start();
    await until(() => receiver.received.length === 2, leaseMs + 5_000, "the restarted bridge");
    await restarted.stop();
    const [r] = await store.listWebhooks("wacid.killed");
    assert.deepEqual([r!.state, r!.attempts], ["delivered", 2]);
    assert.deepEqual(receiver.ids(), [id, id]);
  } finally {
    child?.kill("SIGKILL");
    await child?.status;
    await receiver.down();
    await store.close();
  }
});
