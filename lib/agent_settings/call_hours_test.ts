import assert from "node:assert/strict";
import { isOpen, localTime } from "./call_hours.ts";
import { type CallHours, CallHoursSchema } from "./schema.ts";

const every = (open: string, close: string): CallHours["weekly"] => ({
  mon: [{ open, close }],
  tue: [{ open, close }],
  wed: [{ open, close }],
  thu: [{ open, close }],
  fri: [{ open, close }],
  sat: [{ open, close }],
  sun: [{ open, close }],
});

Deno.test("isOpen: no call hours means always open", () => {
  assert.equal(isOpen(undefined, new Date("2026-12-25T03:00:00Z")), true);
});

Deno.test("isOpen: New York's opening hours follow the clocks across the March DST change", () => {
  const hours: CallHours = { timeZone: "America/New_York", weekly: every("09:00", "17:00") };
  // Saturday 7 March, EST (UTC−5): 13:30Z is 08:30 local.
  assert.equal(isOpen(hours, new Date("2026-03-07T13:30:00Z")), false);
  assert.equal(isOpen(hours, new Date("2026-03-07T14:30:00Z")), true);
  // Sunday 8 March, EDT (UTC−4) since 02:00: the same 13:30Z is 09:30 local, open.
  assert.equal(isOpen(hours, new Date("2026-03-08T13:30:00Z")), true);
  // 21:30Z is 17:30 EDT, closed (a fixed UTC−5 would say 16:30, open).
  assert.equal(isOpen(hours, new Date("2026-03-08T21:30:00Z")), false);
  assert.deepEqual(localTime("America/New_York", new Date("2026-03-08T13:30:00Z")), {
    date: "2026-03-08",
    weekday: "sun",
    minutes: 9 * 60 + 30,
  });
});

Deno.test("isOpen: Berlin's opening hours follow the clocks across the October DST change", () => {
  const hours: CallHours = { timeZone: "Europe/Berlin", weekly: every("08:00", "18:00") };
  // Saturday 24 October, CEST (UTC+2): 06:30Z is 08:30 local, open.
  assert.equal(isOpen(hours, new Date("2026-10-24T06:30:00Z")), true);
  // Sunday 25 October, CET (UTC+1) since 03:00: 06:30Z is 07:30 local, closed.
  assert.equal(isOpen(hours, new Date("2026-10-25T06:30:00Z")), false);
  assert.equal(isOpen(hours, new Date("2026-10-25T07:00:00Z")), true);
  // 16:30Z is 17:30 CET, open; 17:00Z is 18:00, closed (close excluded).
  assert.equal(isOpen(hours, new Date("2026-10-25T16:30:00Z")), true);
  assert.equal(isOpen(hours, new Date("2026-10-25T17:00:00Z")), false);
});

Deno.test("isOpen: a holiday is a local date, closed all day", () => {
  const hours: CallHours = {
    timeZone: "Europe/Madrid",
    weekly: every("00:00", "24:00"),
    holidays: ["2026-12-25"],
  };
  // 23:30Z on the 24th is already 00:30 on the 25th in Madrid.
  assert.equal(isOpen(hours, new Date("2026-12-24T23:30:00Z")), false);
  assert.equal(isOpen(hours, new Date("2026-12-24T22:30:00Z")), true);
  assert.equal(isOpen(hours, new Date("2026-12-25T22:59:00Z")), false);
  assert.equal(isOpen(hours, new Date("2026-12-25T23:00:00Z")), true, "the 26th, local");
});

Deno.test("isOpen: several intervals a day, a weekday without intervals is closed", () => {
  const hours = CallHoursSchema.parse({
    timeZone: "UTC",
    weekly: { mon: [{ open: "09:00", close: "12:00" }, { open: "13:00", close: "17:30" }] },
  });
  // 2026-12-07 is a Monday.
  assert.equal(isOpen(hours, new Date("2026-12-07T08:59:00Z")), false);
  assert.equal(isOpen(hours, new Date("2026-12-07T09:00:00Z")), true, "open is included");
  assert.equal(isOpen(hours, new Date("2026-12-07T12:00:00Z")), false, "close is excluded");
  assert.equal(isOpen(hours, new Date("2026-12-07T17:29:00Z")), true);
  assert.equal(isOpen(hours, new Date("2026-12-08T10:00:00Z")), false, "Tuesday: none");
});
