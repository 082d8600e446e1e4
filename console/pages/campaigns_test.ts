/**
 * The Campaigns pages over a real console and store: CSV upload with every
 * bad row named, size limit, window and retry fields, double submit,
 * progress as the dialers record outcomes, pause / resume / cancel, and
 * viewers' masking.
 */
import assert from "node:assert/strict";
import { openStore } from "../../store/open.ts";
import type { Store } from "../../store/store.ts";
import { maskPhone } from "../../lib/whatsapp/mask.ts";
import { startTestConsole, type TestConsole } from "../server/test_utils.ts";
import { MAX_CSV_BYTES } from "./campaigns_form.ts";

const PN = "106540352242922";
const A = "447700900001";
const B = "447700900002";
const NOW = new Date("2026-12-07T10:00:00Z");

async function withConsole(fn: (tc: TestConsole, store: Store) => Promise<void>): Promise<void> {
  const store = await openStore({ pgliteDir: "memory://" });
  const tc = await startTestConsole({ store, now: () => NOW });
  try {
    await fn(tc, store);
  } finally {
    await tc.close();
    await store.close();
  }
}

const KEY = "console-0b7a8c9d-1e2f-4a5b-8c6d-7e8f9a0b1c2d";

function campaignForm(csv: string, fields: Record<string, string | string[]> = {}): FormData {
  const form = new FormData();
  const all: Record<string, string | string[]> = {
    key: KEY,
    name: "December reminders",
    phone_number_id: PN,
    max_concurrent: "2",
    max_attempts: "3",
    retry_delay_min: "30",
    retry_on: ["no_answer"],
    greeting: "Hello {{name}}, about {{appointment_time}}.",
    ...fields,
  };
  for (const [k, v] of Object.entries(all)) for (const one of [v].flat()) form.append(k, one);
  form.append("csv", new File([csv], "list.csv", { type: "text/csv" }));
  return form;
}

const create = (tc: TestConsole, form: FormData, role: "operator" | "viewer" = "operator") =>
  tc.fetch("/campaigns", { method: "POST", body: form, role, redirect: "manual" });

const GOOD_CSV =
  `user,name,appointment_time\r\n${A},Zelda,10:30\r\n"+44 7700 900002","Bo, Jr",11:00\r\n`;

Deno.test("campaigns: a CSV upload creates one campaign, even sent twice", async () => {
  await withConsole(async (tc, store) => {
    const first = await create(tc, campaignForm(GOOD_CSV));
    assert.equal(first.status, 303);
    const location = first.headers.get("location") ?? "";
    assert.match(location, /^\/campaigns\/\d+\?created=created$/);
    const again = await create(tc, campaignForm(GOOD_CSV));
    assert.equal(
      again.headers.get("location"),
      location.replace("created=created", "created=existing"),
    );
    const campaigns = await store.listCampaigns();
    assert.equal(campaigns.length, 1);
    const c = campaigns[0]!;
    assert.equal(c.maxConcurrent, 2);
    assert.equal(c.maxAttempts, 3);
    assert.equal(c.retryDelayS, 1800);
    assert.deepEqual(c.retryOn, ["no_answer"]);
    assert.equal(c.window, null);
    const recipients = await store.listCampaignRecipients(c.id);
    assert.deepEqual(recipients.map((r) => [r.user, r.variables.name]), [[A, "Zelda"], [
      B,
      "Bo, Jr",
    ]]);
    const page = await (await tc.fetch(location, { role: "operator" })).text();
    assert.match(page, /Campaign created/);
    assert.ok(page.includes(A) && page.includes("name=Zelda"));
    const audit = await store.listAudit({ action: "campaign.create" });
    assert.equal(audit.length, 1, "created once, audited once");
  });
});

Deno.test("campaigns: every bad row is named and nothing is created", async () => {
  await withConsole(async (tc, store) => {
    const csv = `phone,name\n${A},Ana\n12,Bo\n${A},Again\nnot-a-number,Cy\n`;
    const res = await create(tc, campaignForm(csv));
    assert.equal(res.status, 422);
    const page = await res.text();
    assert.match(page, /line 3: user must be the WhatsApp number/);
    assert.match(page, /line 4: the same number as line 2/);
    assert.match(page, /line 5: user must be the WhatsApp number/);
    assert.match(page, /value="December reminders"/, "the form keeps what was typed");
    const noUser = await create(tc, campaignForm(`name\nAna\n`));
    assert.match(await noUser.text(), /line 1: the header needs a user \(or phone\) column/);
    assert.equal((await store.listCampaigns()).length, 0);
  });
});

Deno.test("campaigns: the CSV's size is limited and the window is checked", async () => {
  await withConsole(async (tc, store) => {
    const big = `user,name\n${
      `${A},${"x".repeat(100)}\n`.repeat(Math.ceil(MAX_CSV_BYTES / 110) + 10)
    }`;
    const tooBig = await create(tc, campaignForm(big));
    assert.equal(tooBig.status, 400);
    assert.match(await tooBig.text(), /over 200000 bytes/);
    const huge = await create(tc, campaignForm("user\n" + "4".repeat(300_000)));
    assert.equal(huge.status, 413);
    await huge.body?.cancel();
    const badZone = await create(
      tc,
      campaignForm(GOOD_CSV, {
        days: ["mon", "tue"],
        window_open: "09:00",
        window_close: "17:00",
        time_zone: "Mars/Base",
      }),
    );
    assert.equal(badZone.status, 400);
    assert.match(await badZone.text(), /an IANA time zone/);
    const backwards = await create(
      tc,
      campaignForm(GOOD_CSV, {
        days: ["mon"],
        window_open: "17:00",
        window_close: "09:00",
        time_zone: "UTC",
      }),
    );
    assert.match(await backwards.text(), /must close after it opens/);
    assert.equal((await store.listCampaigns()).length, 0);
    const ok = await create(
      tc,
      campaignForm(GOOD_CSV, {
        days: ["mon", "tue"],
        window_open: "09:00",
        window_close: "17:00",
        time_zone: "Europe/Madrid",
      }),
    );
    assert.equal(ok.status, 303);
    const [c] = await store.listCampaigns();
    assert.deepEqual(c!.window?.weekly.mon, [{ open: "09:00", close: "17:00" }]);
    assert.equal(c!.window?.timeZone, "Europe/Madrid");
    const page = await (await tc.fetch(`/campaigns/${c!.id}`, { role: "viewer" })).text();
    assert.match(page, /mon 09:00–17:00; tue 09:00–17:00 \(Europe\/Madrid\)/);
  });
});

Deno.test("campaigns: progress follows the dialers; pause, resume, cancel need an operator and CSRF", async () => {
  await withConsole(async (tc, store) => {
    const res = await create(tc, campaignForm(GOOD_CSV));
    const id = Number(/\/campaigns\/(\d+)/.exec(res.headers.get("location") ?? "")![1]);
    const claimed = await store.claimRecipients(id, {
      owner: "dialer-1",
      now: NOW,
      leaseMs: 60_000,
      max: 2,
    });
    assert.equal(claimed.length, 2);
    await store.finishAttempt(claimed[0]!.recipient.id, "dialer-1", "answered", NOW);
    const list = await (await tc.fetch("/campaigns", { role: "viewer" })).text();
    // Queued 0, in progress 1, answered 1.
    assert.match(list, /<td class="num">0<\/td><td class="num">1<\/td><td class="num">1<\/td>/);
    assert.match(list, /Creating and changing campaigns needs the operator role/);
    // A dialer's error quoting the number stays masked for viewers.
    await store.releaseRecipient(
      claimed[1]!.recipient.id,
      "dialer-1",
      new Date(NOW.getTime() + 3_600_000),
      `bridge_unavailable for ${B}`,
    );
    assert.ok(
      (await tc.fetch(`/campaigns/${id}`, { role: "operator" }).then((r) => r.text()))
        .includes(`bridge_unavailable for ${B}`),
      "operators read the dialer's error whole",
    );

    const viewerPage = await (await tc.fetch(`/campaigns/${id}`, { role: "viewer" })).text();
    assert.ok(viewerPage.includes(maskPhone(A)));
    assert.ok(
      !viewerPage.includes(A) && !viewerPage.includes(B),
      "whole numbers on a viewer's page",
    );
    assert.ok(!viewerPage.includes("Zelda"), "variable values on a viewer's page");
    assert.ok(!viewerPage.includes('action="/campaigns/'), "viewers get no change buttons");
    const viewerPause = await tc.fetch(`/campaigns/${id}/pause`, {
      method: "POST",
      role: "viewer",
    });
    assert.equal(viewerPause.status, 403);
    await viewerPause.body?.cancel();
    const viewerCreate = await create(tc, campaignForm(GOOD_CSV), "viewer");
    assert.equal(viewerCreate.status, 403);
    await viewerCreate.body?.cancel();

    const noCsrf = await tc.fetch(`/campaigns/${id}/pause`, {
      method: "POST",
      role: "operator",
      headers: { "x-csrf-token": "forged" },
    });
    assert.equal(noCsrf.status, 403);
    await noCsrf.body?.cancel();
    assert.equal((await store.getCampaign(id))!.status, "active");

    const change = async (action: string) => {
      const r = await tc.fetch(`/campaigns/${id}/${action}`, {
        method: "POST",
        role: "operator",
        redirect: "manual",
      });
      await r.body?.cancel();
      return r.status;
    };
    assert.equal(await change("pause"), 303);
    assert.equal((await store.getCampaign(id))!.status, "paused");
    assert.equal(await change("pause"), 409);
    assert.equal(await change("resume"), 303);
    assert.equal(await change("cancel"), 303);
    assert.equal((await store.getCampaign(id))!.status, "cancelled");
    assert.equal(await change("resume"), 409);
    assert.equal(await change("explode"), 400);
    const audit = await store.listAudit({ target: String(id) });
    assert.deepEqual(audit.map((a) => a.action).sort(), [
      "campaign.cancel",
      "campaign.create",
      "campaign.pause",
      "campaign.resume",
    ]);
    const missing = await tc.fetch("/campaigns/999999", { role: "viewer" });
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
  });
});
