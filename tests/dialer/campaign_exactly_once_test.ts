/**
 * Issue 17's proof: a campaign of 20 recipients over two dialers (two
 * bridges) processes each recipient exactly once per allowed attempt across
 * a restart. One dialer walks away mid-campaign as a crash would (its leases
 * lapse), a new one starts; the fake Meta counts every ring. Run on one real
 * PostgreSQL with a connection pool per dialer, and on PGlite in one process.
 */
import assert from "node:assert/strict";
import { Dialer } from "../../bridge/dialer/dialer.ts";
import { openStore } from "../../store/open.ts";
import type { Store } from "../../store/store.ts";
import { postgresAvailable, withTestDatabase } from "../support/postgres.ts";
import { type Answer, FakeMetaPlacer, grant } from "./fake_meta_placer.ts";

const PNID = "106540352242922";
const users = Array.from({ length: 20 }, (_, i) => `3460000${String(i).padStart(4, "0")}`);
/** 0,4,8…: reject; 1,5,9…: no answer; 19: no permission; the rest pick up. */
function script(user: string): Answer {
  const i = users.indexOf(user);
  return i % 4 === 0 ? "reject" : i % 4 === 1 ? "none" : "accept";
}
const expectedOutcome = (i: number) =>
  i === 19 ? "no_permission" : ["rejected", "no_answer", "answered", "answered"][i % 4];
const expectedRings = (i: number) => i === 19 ? 0 : i % 4 < 2 ? 2 : 1;

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 20_000) {
  const end = Date.now() + ms;
  while (!await ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function proof(stores: { setup: Store; a: Store; b: Store; c: Store }) {
  const { setup } = stores;
  for (const u of users.slice(0, 19)) await grant(setup, PNID, u);
  const created = await setup.createCampaign({
    phoneNumberId: PNID,
    name: "reminders",
    idempotencyKey: "k1",
    maxConcurrent: 3,
    maxAttempts: 2,
    retryDelayS: 1,
    retryOn: ["no_answer", "rejected"],
    purpose: { greeting: "Hi {{name}}, your appointment is at {{time}}." },
    recipients: users.map((u, i) => ({ user: u, variables: { name: `N${i}`, time: "10:00" } })),
  }, new Date());
  const fake = new FakeMetaPlacer(setup, script);
  const dialer = (store: Store, owner: string) =>
    new Dialer({
      store,
      placer: fake,
      owner,
      pollMs: 30,
      leaseMs: 600,
      callPollMs: 20,
      callbacks: false,
    });
  const a = dialer(stores.a, "bridge-a");
  const b = dialer(stores.b, "bridge-b");
  a.start();
  b.start();
  // Bridge A dies while it holds calls: nothing it claimed may ring again.
  await until("bridge A to hold a call", () => a.inFlight > 0);
  await a.abandon();
  const c = dialer(stores.c, "bridge-a-restarted");
  c.start();
  const id = created.campaign.id;
  await until(
    "the campaign to finish",
    async () => (await setup.getCampaign(id))?.status === "completed",
  );
  await b.stop();
  await c.stop();
  await fake.idle();

  const recipients = await setup.listCampaignRecipients(id);
  assert.deepEqual(recipients.length, 20);
  for (const [i, u] of users.entries()) {
    const r = recipients.find((x) => x.user === u)!;
    assert.deepEqual([u, r.status, r.outcome], [u, "done", expectedOutcome(i)]);
    assert.deepEqual(
      [u, fake.rings.get(u) ?? 0],
      [u, expectedRings(i)],
      "rings per allowed attempt",
    );
    assert.deepEqual([u, r.attempts], [u, Math.max(1, expectedRings(i))]);
    const attempts = await setup.listRecipientAttempts(r.id);
    assert.deepEqual(attempts.length, Math.max(1, expectedRings(i)));
    if (attempts.length === 2) {
      // The retry waited for the policy's delay.
      assert(attempts[1]!.startedAt.getTime() - attempts[0]!.endedAt!.getTime() >= 1000);
    }
  }
  assert(fake.maxLive <= 3, `at most 3 calls at once, saw ${fake.maxLive}`);
  assert(fake.maxLive >= 2, "calls did run side by side (the limit was exercised)");
  assert(b.resumed + c.resumed >= 1, "bridge A's calls were taken over from lapsed leases");
  const counts = await setup.campaignCounts(id);
  assert.deepEqual(counts.outcomes, { answered: 9, rejected: 5, no_answer: 5, no_permission: 1 });
  // The greeting's variables travel with each call.
  assert.deepEqual(
    (fake.purposes.get(users[2]!) as { variables?: unknown }).variables,
    { name: "N2", time: "10:00" },
  );
}

Deno.test("campaign of 20 over two dialers across a restart [pglite]: each recipient exactly once", async () => {
  const store = await openStore({ pgliteDir: "memory://" });
  try {
    await proof({ setup: store, a: store, b: store, c: store });
  } finally {
    await store.close();
  }
});

const missing = postgresAvailable() ? "" : " (ignored: no PostgreSQL)";
Deno.test({
  name:
    `campaign of 20 over two dialers across a restart [postgres]: each recipient exactly once${missing}`,
  ignore: missing !== "",
  fn: () =>
    withTestDatabase(async (db) => {
      const setup = await openStore({ url: db.url, migrate: true });
      const a = await openStore({ url: db.url, migrate: false });
      const b = await openStore({ url: db.url, migrate: false });
      const c = await openStore({ url: db.url, migrate: false });
      try {
        await proof({ setup, a, b, c });
      } finally {
        for (const s of [a, b, c, setup]) await s.close();
      }
    }),
});
