/**
 * `wa-campaigns`: create (JSON or CSV, idempotent by key), list, read,
 * recipients, pause / resume / cancel, behind the service role key.
 */
import assert from "node:assert/strict";
import { createCampaignsHandler } from "../../supabase/functions/wa-campaigns/index.ts";
import { openStore } from "../../store/open.ts";
import type { Store } from "../../store/store.ts";

const KEY = "test-service-role-key";
const PNID = "106540352242922";

async function withApi(
  fn: (
    call: (method: string, path: string, body?: unknown, key?: string) => Promise<Response>,
    store: Store,
  ) => Promise<void>,
) {
  const store = await openStore({ pgliteDir: "memory://" });
  const handler = createCampaignsHandler({
    env: { SUPABASE_SERVICE_ROLE_KEY: KEY, WHATSAPP_PHONE_NUMBER_ID: PNID },
    store: () => Promise.resolve(store),
  });
  try {
    await fn((method, path, body, key) => {
      const headers = new Headers({ authorization: `Bearer ${KEY}` });
      if (body !== undefined) headers.set("content-type", "application/json");
      if (key !== undefined) headers.set("idempotency-key", key);
      return handler(
        new Request(`http://x/functions/v1/wa-campaigns${path}`, {
          method,
          headers,
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        }),
      );
    }, store);
  } finally {
    await store.close();
  }
}

const body = {
  name: "reminders",
  window: {
    timeZone: "Europe/Madrid",
    weekly: { mon: [{ open: "09:00", close: "18:00" }], tue: [{ open: "09:00", close: "18:00" }] },
  },
  max_concurrent: 2,
  retry: { max_attempts: 3, delay_s: 600 },
  purpose: { greeting: "Hola {{name}}" },
  recipients: [{ user: "34600000001", variables: { name: "Ana" } }, { user: "34600000002" }],
};

Deno.test("wa-campaigns: create is idempotent by key; another body under the key is refused", () =>
  withApi(async (call, store) => {
    const first = await call("POST", "", body, "c-1");
    assert.equal(first.status, 201);
    const created = (await first.json()).campaign;
    assert.equal(created.status, "active");
    assert.deepEqual(created.retry, {
      max_attempts: 3,
      delay_s: 600,
      on: ["no_answer", "rejected"],
    });
    assert.deepEqual(created.counts, { queued: 2, dialing: 0, done: 0, outcomes: {} });
    const again = await call("POST", "", body, "c-1");
    assert.equal(again.status, 200);
    assert.equal(again.headers.get("idempotent-replayed"), "true");
    assert.equal((await again.json()).campaign.id, created.id);
    assert.equal((await store.listCampaignRecipients(created.id)).length, 2);
    assert.equal((await store.listCampaigns()).length, 1, "the retry created nothing");
    const other = await call("POST", "", { ...body, name: "other" }, "c-1");
    assert.equal(other.status, 422);
    assert.equal((await call("POST", "", body)).status, 400, "the key is required");
    const bad = await call(
      "POST",
      "",
      { ...body, window: { timeZone: "Mars/Base", weekly: {} } },
      "c-2",
    );
    assert.equal(bad.status, 400);
    const dup = await call("POST", "", {
      ...body,
      recipients: [body.recipients[0], body.recipients[0]],
    }, "c-3");
    assert.equal(dup.status, 400);
  }));

Deno.test("wa-campaigns: refuses a caller without the service role key", async () => {
  let opened = false;
  const handler = createCampaignsHandler({
    env: { SUPABASE_SERVICE_ROLE_KEY: KEY },
    store: () => {
      opened = true;
      return Promise.reject(new Error("not reached"));
    },
  });
  const res = await handler(
    new Request("http://x/functions/v1/wa-campaigns", {
      headers: { authorization: "Bearer nope" },
    }),
  );
  assert.equal(res.status, 401);
  await res.body?.cancel();
  assert.equal(opened, false, "refused before the store is touched");
});

Deno.test("wa-campaigns: CSV recipients carry their columns as variables", () =>
  withApi(async (call) => {
    const csv =
      'phone,name,appointment_time\n+34600000001,"Ana, María",10:00\r\n34600000002,Luis,"11:30"\n';
    const res = await call("POST", "", { name: "csv", recipients_csv: csv }, "csv-1");
    assert.equal(res.status, 201);
    const id = (await res.json()).campaign.id;
    const list = await (await call("GET", `/${id}/recipients`)).json();
    assert.deepEqual(
      list.recipients.map((r: { user: string; variables: unknown }) => [r.user, r.variables]),
      [
        ["34600000001", { name: "Ana, María", appointment_time: "10:00" }],
        ["34600000002", { name: "Luis", appointment_time: "11:30" }],
      ],
    );
    const broken = await call("POST", "", { name: "csv", recipients_csv: "name\nAna\n" }, "csv-2");
    assert.equal(broken.status, 400);
    const listing = await (await call("GET", "")).json();
    assert.deepEqual(listing.campaigns.map((c: { name: string }) => c.name), ["csv"]);
  }));

Deno.test("wa-campaigns: pause, resume and cancel; cancel ends the queued recipients", () =>
  withApi(async (call) => {
    const id = (await (await call("POST", "", body, "p-1")).json()).campaign.id;
    assert.equal((await (await call("POST", `/${id}/pause`)).json()).campaign.status, "paused");
    assert.equal((await call("POST", `/${id}/pause`)).status, 409);
    assert.equal((await (await call("POST", `/${id}/resume`)).json()).campaign.status, "active");
    const cancelled = (await (await call("POST", `/${id}/cancel`)).json()).campaign;
    assert.equal(cancelled.status, "cancelled");
    assert.deepEqual(cancelled.counts, {
      queued: 0,
      dialing: 0,
      done: 2,
      outcomes: { cancelled: 2 },
    });
    assert.equal((await call("POST", `/${id}/resume`)).status, 409);
    assert.equal((await call("GET", "/999")).status, 404);
    assert.equal((await (await call("GET", `/${id}`)).json()).campaign.status, "cancelled");
  }));
