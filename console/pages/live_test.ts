import assert from "node:assert/strict";
import { openStore } from "../../store/open.ts";
import { LIVE_COMMAND_CHANNEL } from "../../store/live.ts";
import { startTestConsole } from "../server/test_utils.ts";
import { formatDuration } from "./live.ts";

Deno.test("live page: lists the calls in progress, caller masked; only operators get End call", async () => {
  const store = await openStore({ pgliteDir: "memory://" });
  const now = new Date("2026-12-07T10:00:00Z");
  const console = await startTestConsole({ store, now: () => now });
  try {
    await store.upsertCall({
      callId: "wacid.live1",
      status: "active",
      fromNumber: "16315553602",
      offeredAt: new Date("2026-12-07T09:58:00Z"),
      acceptedAt: new Date("2026-12-07T09:58:55Z"),
    });
    await store.upsertCall({ callId: "wacid.gone", status: "completed", fromNumber: "1999" });
    const viewer = await (await console.fetch("/live", { role: "viewer" })).text();
    assert.match(viewer, /data-call-id="wacid\.live1"/);
    assert.ok(!viewer.includes("wacid.gone"), "ended calls are not listed");
    assert.ok(viewer.includes("1631•••3602") && !viewer.includes("16315553602"));
    assert.match(viewer, /<td data-cell="duration">1:05<\/td>/);
    assert.ok(!viewer.includes("data-end-call"), "viewers cannot end calls");
    assert.match(viewer, /<script type="module" src="\/static\/live\.js">/);
    assert.match(viewer, /data-streaming="true"/, "the page streams where the console has a hub");
    const operator = await (await console.fetch("/live", { role: "operator" })).text();
    assert.ok(operator.includes("data-end-call") && operator.includes('id="end-dialog"'));
    assert.ok(operator.includes("1631•••3602") && !operator.includes("16315553602"));
  } finally {
    await console.close();
    await store.close();
  }
});

Deno.test("live page: ending a call needs an operator and the CSRF token, is audited, and reaches the bridges", async () => {
  const store = await openStore({ pgliteDir: "memory://" });
  const console = await startTestConsole({ store });
  const commands: unknown[] = [];
  const unlisten = await store.listen(LIVE_COMMAND_CHANNEL, (p) => commands.push(JSON.parse(p)));
  try {
    await store.upsertCall({ callId: "wacid.end1", status: "active" });
    await store.upsertCall({ callId: "wacid.done", status: "completed" });
    const json = { accept: "application/json" };
    const viewer = await console.fetch("/live/wacid.end1/end", {
      method: "POST",
      role: "viewer",
      headers: json,
    });
    assert.equal(viewer.status, 403);
    await viewer.body?.cancel();
    const noCsrf = await console.fetch("/live/wacid.end1/end", {
      method: "POST",
      role: "operator",
      headers: { ...json, "x-csrf-token": "wrong" },
    });
    assert.equal(noCsrf.status, 403);
    await noCsrf.body?.cancel();
    assert.deepEqual(await store.listAudit({ target: "wacid.end1" }), []);
    assert.deepEqual(commands, []);

    const ok = await console.fetch("/live/wacid.end1/end", {
      method: "POST",
      role: "operator",
      headers: json,
    });
    assert.equal(ok.status, 202);
    assert.deepEqual(await ok.json(), { sent: true, callId: "wacid.end1" });
    await store.listLiveCalls(1); // a round trip: the NOTIFY has been delivered
    assert.deepEqual(commands, [{ action: "end", callId: "wacid.end1", actor: "user-operator" }]);
    const [audit] = await store.listAudit({ target: "wacid.end1" });
    assert.equal(audit?.action, "live_call.end");
    assert.equal(audit?.actorId, "user-operator");
    assert.deepEqual(audit?.before, { status: "active" });

    const ended = await console.fetch("/live/wacid.done/end", {
      method: "POST",
      role: "operator",
      headers: json,
    });
    assert.equal(ended.status, 409);
    await ended.body?.cancel();
    const missing = await console.fetch("/live/wacid.nope/end", {
      method: "POST",
      role: "operator",
      headers: json,
    });
    assert.equal(missing.status, 404);
    await missing.body?.cancel();

    // Without JavaScript: a confirmation page whose form posts with the CSRF field.
    const confirm = await (await console.fetch("/live/wacid.end1/end", { role: "operator" }))
      .text();
    assert.match(confirm, /<form method="post" action="\/live\/wacid\.end1\/end">/);
    assert.match(confirm, /name="_csrf" value="[^"]+"/);
    const viewerConfirm = await console.fetch("/live/wacid.end1/end", { role: "viewer" });
    assert.equal(viewerConfirm.status, 403);
    await viewerConfirm.body?.cancel();
  } finally {
    await unlisten();
    await console.close();
    await store.close();
  }
});

Deno.test("live page: durations read m:ss, then h:mm:ss", () => {
  assert.equal(formatDuration(0), "0:00");
  assert.equal(formatDuration(65_400), "1:05");
  assert.equal(formatDuration(3_725_000), "1:02:05");
  assert.equal(formatDuration(-5), "0:00");
});
