import assert from "node:assert/strict";
import { maskPhone, maskPhonesInText, maskUserId } from "./mask.ts";

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

Deno.test("maskUserId keeps the country prefix, two leading and two trailing characters", () => {
  assert.equal(maskUserId("BR.1502576394655843"), "BR.15•••43");
  assert.equal(maskUserId("US.13491208655302741918"), "US.13•••18");
  assert.equal(maskUserId("US.ENT.11815799212886844830"), "US.ENT.11•••30");
});

Deno.test("maskUserId never shows more than half of a short or unprefixed id", () => {
  assert.equal(maskUserId("BR.12345"), "BR.•••45");
  assert.equal(maskUserId("BR.123"), "BR.•••");
  assert.equal(maskUserId("1502576394655843"), "15•••43");
  assert.equal(maskUserId(""), "•••");
});

Deno.test("maskUserId output never contains the hidden middle of the id", () => {
  const id = "BR.1502576394655843";
  const masked = maskUserId(id);
  assert.equal(masked.includes("0257639465"), false);
  assert.equal(masked.replace(/[^0-9]/g, "").length, 4);
});

Deno.test("maskPhonesInText masks numbers read out in text, not times, prices or short ids", () => {
  assert.equal(
    maskPhonesInText("Call me on +44 7700 900123 or 0161-496-0000 after 10:30."),
    "Call me on +4477•••0123 or 0161•••0000 after 10:30.",
  );
  assert.equal(
    maskPhonesInText("Order 4417 cost 129.99, ref 12 34."),
    "Order 4417 cost 129.99, ref 12 34.",
  );
  assert.equal(maskPhonesInText("my number is 16315553602"), "my number is 1631•••3602");
});
