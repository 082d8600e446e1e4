/**
 * The dialer's rules on PGlite with an injected clock: the calling window in
 * its IANA time zone (DST-safe), pause / resume / cancel, the concurrency
 * limit, a lapsed placement resumed by its key (no second ring), and
 * callbacks (once, when hours open and capacity frees; never without
 * permission).
 */
import assert from "node:assert/strict";
import { Dialer } from "../../bridge/dialer/dialer.ts";
import { openStore } from "../../store/open.ts";
import type { NewCampaign } from "../../store/campaigns.ts";
import type { Store } from "../../store/store.ts";
import { type Answer, FakeMetaPlacer, grant } from "./fake_meta_placer.ts";

const PNID = "106540352242922";

async function withStore(fn: (store: Store) => Promise<void>) {
  const store = await openStore({ pgliteDir: "memory://" });
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

function campaign(users: string[], extra: Partial<NewCampaign> = {}): NewCampaign {
  return {
    phoneNumberId: PNID,
    name: "t",
    maxConcurrent: 5,
    maxAttempts: 1,
    retryDelayS: 60,
    retryOn: ["no_answer", "rejected"],
    recipients: users.map((user) => ({ user, variables: {} })),
    ...extra,
  };
}

function rig(store: Store, script: (u: string) => Answer = () => "accept") {
  let now = 0;
  const fake = new FakeMetaPlacer(store, script, { ringMs: 30, talkMs: 20 });
  let capacity = true;
  const dialer = new Dialer({
    store,
    placer: fake,
    owner: "bridge-1",
    clock: () => now,
    callPollMs: 10,
    hasCapacity: () => capacity,
  });
  return {
    fake,
    dialer,
    at(iso: string) {
      now = Date.parse(iso);
      return new Date(now);
    },
    setCapacity(v: boolean) {
      capacity = v;
    },
    /** One claim round, then every claimed call to its end. */
    async round(): Promise<number> {
      const n = await dialer.tick();
      await dialer.settled();
      return n;
    },
  };
}

const NY_WINDOW = {
  timeZone: "America/New_York",
  weekly: Object.fromEntries(
    ["mon", "tue", "wed", "thu", "fri"].map((d) => [d, [{ open: "09:00", close: "17:00" }]]),
  ),
};

Deno.test("dialer: nothing is dialed outside the window, in the window's time zone across DST", () =>
  withStore(async (store) => {
    const r = rig(store);
    await grant(store, PNID, "12125550001");
    const { campaign: c } = await store.createCampaign(
      campaign(["12125550001"], { window: NY_WINDOW }),
      r.at("2026-03-06T13:00:00Z"),
    );
    // Friday 08:30 EST (UTC-5): closed.
    r.at("2026-03-06T13:30:00Z");
    assert.equal(await r.round(), 0);
    // Saturday noon: closed all day.
    r.at("2026-03-07T17:00:00Z");
    assert.equal(await r.round(), 0);
    // Monday 08:30 EDT (UTC-4, after the 8 March change): still closed.
    r.at("2026-03-09T12:30:00Z");
    assert.equal(await r.round(), 0);
    assert.equal(r.fake.rings.size, 0);
    // Monday 09:30 EDT: open (a fixed UTC-5 would read 08:30 and wait).
    r.at("2026-03-09T13:30:00Z");
    assert.equal(await r.round(), 1);
    assert.equal(r.fake.rings.get("12125550001"), 1);
    assert.equal((await store.listCampaignRecipients(c.id))[0]!.outcome, "answered");
    assert.equal((await store.getCampaign(c.id))!.status, "completed");
  }));

Deno.test("dialer: pause stops dialing, resume continues, cancel ends the rest", () =>
  withStore(async (store) => {
    const r = rig(store);
    const users = ["34600000001", "34600000002", "34600000003"];
    for (const u of users) await grant(store, PNID, u);
    const { campaign: c } = await store.createCampaign(
      campaign(users, { maxConcurrent: 1 }),
      r.at("2026-12-01T10:00:00Z"),
    );
    await store.changeCampaignStatus(c.id, "pause", r.at("2026-12-01T10:00:01Z"));
    assert.equal(await r.round(), 0);
    await store.changeCampaignStatus(c.id, "resume", r.at("2026-12-01T10:00:02Z"));
    // One at a time: a second claim while the first call lives finds no room.
    assert.equal(await r.dialer.tick(), 1);
    assert.equal(await r.dialer.tick(), 0, "the concurrency limit holds the second back");
    await r.dialer.settled();
    await store.changeCampaignStatus(c.id, "cancel", r.at("2026-12-01T10:00:03Z"));
    assert.equal(await r.round(), 0);
    const outcomes = (await store.listCampaignRecipients(c.id)).map((x) => x.outcome);
    assert.deepEqual(outcomes, ["answered", "cancelled", "cancelled"]);
    assert.equal([...r.fake.rings.values()].reduce((a, b) => a + b, 0), 1);
  }));

Deno.test("dialer: a retry waits for the policy's delay; a recipient without permission is no_permission", () =>
  withStore(async (store) => {
    const r = rig(store, (u) => u.endsWith("1") ? "none" : "accept");
    await grant(store, PNID, "34600000001");
    const { campaign: c } = await store.createCampaign(
      campaign(["34600000001", "34600000002"], { maxAttempts: 2, retryDelayS: 600 }),
      r.at("2026-12-01T10:00:00Z"),
    );
    assert.equal(await r.round(), 2);
    // 599 s later: not yet.
    r.at("2026-12-01T10:09:59Z");
    assert.equal(await r.round(), 0);
    r.at("2026-12-01T10:10:01Z");
    assert.equal(await r.round(), 1);
    const rs = await store.listCampaignRecipients(c.id);
    assert.deepEqual(rs.map((x) => [x.outcome, x.attempts]), [["no_answer", 2], [
      "no_permission",
      1,
    ]]);
    assert.equal(r.fake.rings.get("34600000001"), 2);
    assert.equal(r.fake.rings.get("34600000002"), undefined, "never rung without permission");
  }));

Deno.test("dialer: a placement whose dialer died is resumed by its key and rings nothing new", () =>
  withStore(async (store) => {
    const r = rig(store);
    await grant(store, PNID, "34600000009");
    const t0 = r.at("2026-12-01T10:00:00Z");
    const { campaign: c } = await store.createCampaign(campaign(["34600000009"]), t0);
    // A dialer claims and places, then dies before it records the call id.
    const [claimed] = await store.claimRecipients(c.id, {
      owner: "dead",
      now: t0,
      leaseMs: 1000,
      max: 5,
    });
    await r.fake.place({
      phoneNumberId: PNID,
      user: "34600000009",
      idempotencyKey: claimed!.idempotencyKey,
      bizOpaqueCallbackData: "x",
    });
    r.at("2026-12-01T10:00:00.500Z");
    assert.equal(await r.round(), 0, "the lease still holds");
    r.at("2026-12-01T10:00:02Z");
    assert.equal(await r.round(), 1);
    assert.equal(r.dialer.resumed, 1);
    assert.equal(r.fake.replays, 1);
    assert.equal(r.fake.rings.get("34600000009"), 1);
    const [rec] = await store.listCampaignRecipients(c.id);
    assert.deepEqual([rec!.outcome, rec!.attempts], ["answered", 1]);
  }));

async function missedCall(
  store: Store,
  callId: string,
  user: string,
  at: Date,
  outsideHours = false,
) {
  await store.upsertCall({
    callId,
    status: "completed",
    direction: "user_initiated",
    fromNumber: user,
    phoneNumberId: PNID,
    acceptedAt: outsideHours ? at : null,
    endedAt: at,
    endReason: outsideHours ? "outside_hours" : "meta_completed",
  });
}

Deno.test("dialer: a REJECTED that Meta delivers after its terminate still counts as rejected", () =>
  withStore(async (store) => {
    const users = ["12125550091", "12125550092"];
    for (const u of users) await grant(store, PNID, u);
    const fake = new FakeMetaPlacer(
      store,
      (u) => u === users[0] ? "reject_late" : "none",
      { ringMs: 150, talkMs: 20 },
    );
    const dialer = new Dialer({
      store,
      placer: fake,
      owner: "bridge-1",
      callPollMs: 20,
      rejectSettleMs: 1_000,
    });
    const { campaign: c } = await store.createCampaign(campaign(users), new Date());
    await dialer.tick();
    await dialer.settled();
    const outcomes = new Map(
      (await store.listCampaignRecipients(c.id)).map((r) => [r.user, r.outcome]),
    );
    assert.equal(outcomes.get(users[0]!), "rejected");
    assert.equal(outcomes.get(users[1]!), "no_answer");
    await fake.idle();
  }));

Deno.test("callbacks: a missed caller with permission is called back once, when hours open and capacity frees", () =>
  withStore(async (store) => {
    const r = rig(store);
    const hours = {
      timeZone: "Europe/Madrid",
      weekly: { tue: [{ open: "09:00", close: "18:00" }] },
    };
    const saved = await store.saveAgentSettings({
      phoneNumberId: PNID,
      settings: { callHours: hours },
      expectedVersion: 0,
      actor: { id: "t", email: null },
    });
    assert.ok(saved.ok);
    // Tuesday 1 Dec 2026, 07:00 Madrid (06:00 UTC): closed. Two missed calls from one caller,
    // one outside-hours call, one caller without permission.
    const t = r.at("2026-12-01T06:00:00Z");
    await missedCall(store, "wacid.m1", "34611111111", t);
    await missedCall(store, "wacid.m2", "34611111111", new Date(t.getTime() + 1000));
    await missedCall(store, "wacid.m3", "34622222222", t, true);
    await missedCall(store, "wacid.m4", "34633333333", t);
    await grant(store, PNID, "34611111111");
    await grant(store, PNID, "34622222222");
    assert.equal(await r.round(), 0, "closed: queued, not dialed");
    // 09:30 Madrid but the bridge is full: still waiting.
    r.at("2026-12-01T08:30:00Z");
    r.setCapacity(false);
    assert.equal(await r.round(), 0);
    r.setCapacity(true);
    assert.equal(await r.round(), 2);
    assert.equal(await r.round(), 0, "once");
    r.at("2026-12-01T09:30:00Z");
    assert.equal(await r.round(), 0, "still once, later");
    assert.deepEqual(Object.fromEntries(r.fake.rings), { "34611111111": 1, "34622222222": 1 });
    const [list] = (await store.listCampaigns()).filter((c) => c.kind === "callbacks");
    const rs = await store.listCampaignRecipients(list!.id);
    assert.deepEqual(
      rs.map((x) => [x.user, x.originReason, x.outcome]).sort(),
      [["34611111111", "missed", "answered"], ["34622222222", "outside_hours", "answered"]],
    );
    const purpose = r.fake.purposes.get("34611111111") as { greeting?: string };
    assert.match(purpose.greeting ?? "", /called us earlier/);
  }));
