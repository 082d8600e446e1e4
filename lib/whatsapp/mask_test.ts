import assert from "node:assert/strict";
import { maskPhone } from "./mask.ts";

Deno.test("maskPhone keeps the prefix and last four of a full number", () => {
  assert.equal(maskPhone("+16315553602"), "+1631•••3602");
  assert.equal(maskPhone("16315553602"), "1631•••3602");
  assert.equal(maskPhone("+44 7700 900123"), "+4477•••0123");
});

Deno.test("maskPhone never shows more than half of a short number", () => {
  assert.equal(maskPhone("5553602"), "•••02");
  assert.equal(maskPhone("+3602"), "+•••02");
  assert.equal(maskPhone("123"), "•••");
});

Deno.test("maskPhone hides input without digits", () => {
  assert.equal(maskPhone(""), "•••");
  assert.equal(maskPhone("wacid.ABGG"), "•••");
});

Deno.test("maskPhone output never contains the hidden middle digits", () => {
  const masked = maskPhone("+12345678901");
  assert.equal(masked.includes("5678"), false);
  assert.equal(masked.replace(/\D/g, "").length, 8);
});
