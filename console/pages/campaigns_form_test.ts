import assert from "node:assert/strict";
import { campaignBody, CampaignFormSchema, csvRecipients } from "./campaigns_form.ts";
import { newFormKey } from "./outbound_form.ts";

Deno.test("campaign CSV: BOM, quotes, + and spaces; every bad row with its line", () => {
  const ok = csvRecipients('\uFEFFphone,name,when\r\n+44 7700 900001,"Ana, Jr",10:30\r\n');
  assert.deepEqual(ok, {
    ok: true,
    recipients: [{ user: "447700900001", variables: { name: "Ana, Jr", when: "10:30" } }],
  });
  const bad = csvRecipients("user,1bad\n447700900001,x\n447700900002,y\n");
  assert.equal(bad.ok, false);
  assert.equal((bad as { errors: string[] }).errors.length, 2);
  assert.match((bad as { errors: string[] }).errors[1]!, /^line 3: column 1bad/);
  assert.deepEqual(csvRecipients("user\n"), { ok: false, errors: ["the CSV has no recipients"] });
  assert.deepEqual(csvRecipients(""), { ok: false, errors: ["the CSV is empty"] });
});

function form(fields: Record<string, unknown>) {
  return CampaignFormSchema.parse({
    key: newFormKey(),
    name: "x",
    phone_number_id: "1",
    csv: new File(["user\n447700900001\n"], "a.csv"),
    ...fields,
  });
}

Deno.test("campaign form: defaults, retry in minutes, window parts all needed", () => {
  const recipients = [{ user: "447700900001", variables: {} }];
  const plain = campaignBody(form({}), recipients);
  assert.ok(plain.ok);
  assert.equal(plain.body.window, undefined);
  assert.deepEqual(plain.body.retry, { max_attempts: 1, delay_s: 3600, on: [] });
  const half = campaignBody(form({ days: "mon", window_open: "09:00" }), recipients);
  assert.ok(!half.ok);
  assert.ok(half.errors.includes("window: give the hours (from and to)"));
  assert.ok(half.errors.includes("window: give the time zone, e.g. Europe/Madrid"));
  const full = campaignBody(
    form({
      days: ["mon", "sat"],
      window_open: "08:00",
      window_close: "12:00",
      time_zone: "Asia/Tokyo",
      retry_on: "rejected",
    }),
    recipients,
  );
  assert.ok(full.ok);
  assert.deepEqual(full.body.window?.weekly, {
    mon: [{ open: "08:00", close: "12:00" }],
    sat: [{ open: "08:00", close: "12:00" }],
  });
  assert.deepEqual(full.body.retry.on, ["rejected"]);
  assert.equal(CampaignFormSchema.safeParse({ ...form({}), max_concurrent: "0" }).success, false);
  assert.equal(CampaignFormSchema.safeParse({ ...form({}), days: ["funday"] }).success, false);
});
