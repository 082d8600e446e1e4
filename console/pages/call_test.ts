/**
 * The Call page's overview over a real console: a test call says so and
 * names the console user who placed it; a caller without a number shows by
 * username, profile name or user id (masked for viewers), never as `—`.
 */
import assert from "node:assert/strict";
import { openStore } from "../../store/open.ts";
import { startTestConsole } from "../server/test_utils.ts";

const BSUID = "US.13491208655302741918";
const TEST_ID = "test-0b8e7c1a-2d4f-4e61-8a3b-9c5d7e1f2a4b";

/** The overview's `From` value. */
function from(page: string): string {
  const m = /<dt>From<\/dt>\s*<dd>([^<]*)<\/dd>/.exec(page);
  assert.ok(m, "a From row");
  return m[1]!;
}

Deno.test("call page: test call badge and note; callers without a number by name or masked id", async () => {
  const store = await openStore({ pgliteDir: "memory://" });
  const console = await startTestConsole({ store });
  try {
    const base = { direction: "user_initiated", toNumber: "15550009999" } as const;
    await store.upsertCall({
      ...base,
      callId: TEST_ID,
      fromUserId: "user-operator",
      profileName: "operator@console.test",
      testCall: true,
      status: "completed",
    });
    await store.upsertCall({
      ...base,
      callId: "wacid.named",
      fromUserId: BSUID,
      username: "ada.l",
    });
    await store.upsertCall({
      ...base,
      callId: "wacid.profile",
      fromUserId: BSUID,
      profileName: "Ada L",
    });
    await store.upsertCall({ ...base, callId: "wacid.bsuid", fromUserId: BSUID });
    await store.upsertCall({ ...base, callId: "wacid.real", fromNumber: "4915112345678" });
    const page = async (id: string, role: "viewer" | "operator") => {
      const res = await console.fetch(`/calls/${encodeURIComponent(id)}`, { role });
      assert.equal(res.status, 200, id);
      return await res.text();
    };

    const test = await page(TEST_ID, "viewer");
    assert.match(test, /<span class="badge test"[^>]*>test call<\/span>/);
    assert.match(test, /Placed from Talk to your agent/);
    assert.equal(from(test), "operator@console.test");
    const real = await page("wacid.real", "operator");
    assert.doesNotMatch(real, /badge test/, "a real call has no test badge");
    assert.equal(from(real), "4915112345678");

    assert.equal(from(await page("wacid.named", "viewer")), "ada.l");
    assert.equal(from(await page("wacid.profile", "viewer")), "Ada L");
    const masked = await page("wacid.bsuid", "viewer");
    assert.equal(from(masked), "US.13•••18");
    assert.ok(!masked.includes(BSUID), "the viewer never sees the whole id");
    assert.equal(from(await page("wacid.bsuid", "operator")), BSUID);
    assert.equal(from(await page("wacid.real", "viewer")), "4915•••5678");
  } finally {
    await console.close();
    await store.close();
  }
});

Deno.test("call page: a number the caller reads out is masked for viewers in the transcript, summary, fields and events", async () => {
  const store = await openStore({ pgliteDir: "memory://" });
  const console = await startTestConsole({ store });
  const spoken = "+44 7700 900123";
  try {
    const at = new Date("2026-12-07T10:00:00Z");
    await store.upsertCall({
      callId: "wacid.said",
      fromNumber: "4915112345678",
      status: "completed",
    });
    await store.addTranscript({
      callId: "wacid.said",
      speaker: "caller",
      text: `Call me back on ${spoken} please`,
      startedAt: at,
      endedAt: new Date(at.getTime() + 2_000),
    });
    await store.recordEvent({ callId: "wacid.said", name: "tool_call", data: { phone: spoken } });
    await store.saveAnalysis({
      callId: "wacid.said",
      status: "analysed",
      reason: null,
      summary: `Wants a callback on ${spoken}.`,
      outcome: "callback_requested",
      fields: { callback_number: spoken },
      model: "m",
      usage: null,
      attempts: 1,
    });
    const read = async (role: "viewer" | "operator") =>
      await (await console.fetch("/calls/wacid.said", { role })).text();
    const viewer = await read("viewer");
    assert.ok(!viewer.includes("900123"), "no whole number for a viewer");
    assert.ok(viewer.includes("+4477•••0123"));
    assert.ok((await read("operator")).includes(spoken), "operators read it whole");
  } finally {
    await console.close();
    await store.close();
  }
});
