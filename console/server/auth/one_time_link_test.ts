import assert from "node:assert/strict";
import { LINK_TTL_MS, OneTimeLinks } from "./one_time_link.ts";

Deno.test("one-time links: each works once, within 15 minutes, and only as issued", async () => {
  let now = new Date("2026-12-07T08:00:00Z");
  const links = new OneTimeLinks(() => now);
  const a = await links.issue();
  const b = await links.issue();
  assert.notEqual(a, b);
  assert.match(a, /^[0-9a-f]{64}$/);
  assert.equal(await links.redeem(a), true);
  assert.equal(await links.redeem(a), false, "reused");
  assert.equal(await links.redeem(`${b}0`), false, "altered");
  now = new Date(now.getTime() + LINK_TTL_MS - 1);
  assert.equal(await links.redeem(b), true, "just inside 15 min");
  const c = await links.issue();
  now = new Date(now.getTime() + LINK_TTL_MS);
  assert.equal(await links.redeem(c), false, "expired");
  assert.equal(LINK_TTL_MS, 15 * 60_000);
});
