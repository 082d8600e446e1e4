import assert from "node:assert/strict";
import { testOnBothBackends } from "./backends_test_utils.ts";
import type { NewCampaign } from "./campaigns.ts";

const T0 = new Date("2026-12-01T10:00:00Z");
const at = (s: number) => new Date(T0.getTime() + s * 1000);

function campaign(n: number, extra: Partial<NewCampaign> = {}): NewCampaign {
  return {
    phoneNumberId: "1065",
    name: "c",
    idempotencyKey: "key-1",
    requestHash: "h1",
    maxConcurrent: 3,
    maxAttempts: 2,
    retryDelayS: 60,
    retryOn: ["no_answer"],
    recipients: Array.from(
      { length: n },
      (_, i) => ({ user: `3460000000${i}`, variables: { i: `${i}` } }),
    ),
    ...extra,
  };
}

testOnBothBackends(
  "campaigns",
  "create is idempotent by key; recipients and variables kept",
  async (store) => {
    const a = await store.createCampaign(campaign(4), T0);
    const b = await store.createCampaign(campaign(4, { name: "other" }), T0);
    assert.equal(a.kind, "created");
    assert.deepEqual([b.kind, b.campaign.id, b.campaign.name], ["existing", a.campaign.id, "c"]);
    const rs = await store.listCampaignRecipients(a.campaign.id);
    assert.deepEqual(rs.map((r) => r.variables.i), ["0", "1", "2", "3"]);
    assert.deepEqual(await store.campaignCounts(a.campaign.id), {
      queued: 4,
      dialing: 0,
      done: 0,
      outcomes: {},
    });
  },
);

testOnBothBackends(
  "campaigns",
  "concurrent claimers never exceed the limit nor share a recipient",
  async (store) => {
    const { campaign: c } = await store.createCampaign(campaign(10), T0);
    const claims = await Promise.all(
      ["a", "b", "c", "d"].map((owner) =>
        store.claimRecipients(c.id, { owner, now: T0, leaseMs: 30_000, max: 10 })
      ),
    );
    const ids = claims.flat().map((x) => x.recipient.id);
    assert.equal(ids.length, 3, "max_concurrent 3 across every claimer");
    assert.equal(new Set(ids).size, 3);
    // The limit is counted in the database: a later claim finds no room either.
    assert.deepEqual(
      await store.claimRecipients(c.id, { owner: "e", now: at(1), leaseMs: 30_000, max: 10 }),
      [],
    );
  },
);

testOnBothBackends(
  "campaigns",
  "a lapsed lease is resumed at the same placement; the old owner cannot finish",
  async (store) => {
    const { campaign: c } = await store.createCampaign(campaign(1), T0);
    const [first] = await store.claimRecipients(c.id, {
      owner: "a",
      now: T0,
      leaseMs: 10_000,
      max: 5,
    });
    assert.equal(first!.resumed, false);
    assert.deepEqual(
      await store.claimRecipients(c.id, { owner: "b", now: at(5), leaseMs: 10_000, max: 5 }),
      [],
    );
    const [again] = await store.claimRecipients(c.id, {
      owner: "b",
      now: at(11),
      leaseMs: 10_000,
      max: 5,
    });
    assert.equal(again!.resumed, true);
    assert.equal(
      again!.idempotencyKey,
      first!.idempotencyKey,
      "same key: the first call is replayed",
    );
    assert.equal(again!.recipient.attempts, 1);
    assert.equal(await store.finishAttempt(first!.recipient.id, "a", "answered", at(12)), false);
    assert.equal(await store.finishAttempt(first!.recipient.id, "b", "no_answer", at(12)), true);
    // Retried after the delay with a new placement key; the second no_answer is final.
    assert.deepEqual(
      await store.claimRecipients(c.id, { owner: "b", now: at(71), leaseMs: 10_000, max: 5 }),
      [],
    );
    const [retry] = await store.claimRecipients(c.id, {
      owner: "b",
      now: at(72),
      leaseMs: 10_000,
      max: 5,
    });
    assert.notEqual(retry!.idempotencyKey, first!.idempotencyKey);
    assert.equal(retry!.recipient.attempts, 2);
    await store.finishAttempt(retry!.recipient.id, "b", "no_answer", at(80));
    const [r] = await store.listCampaignRecipients(c.id);
    assert.deepEqual([r!.status, r!.outcome, r!.attempts], ["done", "no_answer", 2]);
    assert.equal((await store.getCampaign(c.id))!.status, "completed");
    assert.equal((await store.listRecipientAttempts(r!.id)).length, 2);
  },
);

testOnBothBackends(
  "campaigns",
  "a release gives the attempt back; pause hides the campaign from dialers",
  async (store) => {
    const { campaign: c } = await store.createCampaign(campaign(1), T0);
    const [x] = await store.claimRecipients(c.id, { owner: "a", now: T0, leaseMs: 10_000, max: 5 });
    await store.releaseRecipient(x!.recipient.id, "a", at(30), "bridge_unavailable");
    assert.deepEqual((await store.listDialableCampaigns(at(29))).map((k) => k.id), []);
    assert.deepEqual((await store.listDialableCampaigns(at(30))).map((k) => k.id), [c.id]);
    await store.changeCampaignStatus(c.id, "pause", at(30));
    assert.deepEqual(await store.listDialableCampaigns(at(31)), []);
    assert.deepEqual(
      await store.claimRecipients(c.id, { owner: "a", now: at(31), leaseMs: 10_000, max: 5 }),
      [],
    );
    await store.changeCampaignStatus(c.id, "resume", at(32));
    const [y] = await store.claimRecipients(c.id, {
      owner: "a",
      now: at(33),
      leaseMs: 10_000,
      max: 5,
    });
    assert.equal(y!.recipient.attempts, 1, "the released placement did not use an attempt");
  },
);

testOnBothBackends(
  "callbacks",
  "one callback per missed call; the list is per number",
  async (store) => {
    const input = {
      phoneNumberId: "1065",
      user: "34611111111",
      originCallId: "wacid.m1",
      reason: "missed",
    };
    assert.equal(await store.enqueueCallback(input, T0), true);
    assert.equal(await store.enqueueCallback(input, T0), false);
    await store.upsertCall({
      callId: "wacid.m2",
      status: "completed",
      direction: "user_initiated",
      fromNumber: "34611111111",
      phoneNumberId: "1065",
      endedAt: T0,
    });
    // A queued callback for the caller already covers the newer missed call.
    assert.deepEqual(await store.listCallbackCandidates(at(-60)), []);
    const lists = (await store.listCampaigns()).filter((c) => c.kind === "callbacks");
    assert.equal(lists.length, 1);
    assert.equal((await store.listCampaignRecipients(lists[0]!.id)).length, 1);
  },
);
