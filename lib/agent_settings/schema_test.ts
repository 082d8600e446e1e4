import assert from "node:assert/strict";
import {
  AgentSettingsSchema,
  CallHoursSchema,
  changedFields,
  isTimeZone,
  NEVER_OPEN_MESSAGE,
} from "./schema.ts";

const issues = (input: unknown) => {
  const r = AgentSettingsSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

Deno.test("agent settings: every field is optional", () => {
  assert.deepEqual(AgentSettingsSchema.parse({}), {});
});

Deno.test("agent settings: a full, valid set parses", () => {
  const full = {
    instructions: "You answer for Acme.",
    greeting: "Hello from Acme!",
    voice: "cedar",
    model: "gpt-realtime-2.1",
    language: "es",
    tools: ["lookup_order"],
    turnDetection: { type: "server_vad", threshold: 0.7, silenceMs: 800 },
    recording: false,
    maxCallSeconds: 600,
    callHours: {
      timeZone: "Europe/Madrid",
      weekly: { mon: [{ open: "09:00", close: "18:00" }] },
      holidays: ["2026-12-25"],
      outsideHoursMessage: "We are closed.",
    },
  };
  assert.deepEqual(AgentSettingsSchema.parse(full), full);
  assert.deepEqual(
    AgentSettingsSchema.parse({ turnDetection: { type: "semantic_vad", eagerness: "high" } }),
    { turnDetection: { type: "semantic_vad", eagerness: "high" } },
  );
});

Deno.test("agent settings: out-of-range and malformed values are refused with their path", () => {
  const bad = issues({
    voice: "robot",
    language: "spanish",
    maxCallSeconds: 5,
    turnDetection: { type: "server_vad", threshold: 1.5, silenceMs: 20 },
    tools: ["a", "a"],
    greeting: "   ",
  });
  for (
    const path of [
      "voice",
      "language",
      "maxCallSeconds",
      "turnDetection.threshold",
      "turnDetection.silenceMs",
      "tools",
      "greeting",
    ]
  ) {
    assert.ok(bad.some((i) => i.startsWith(`${path}:`)), `${path} in ${bad.join("; ")}`);
  }
  assert.ok(issues({ maxCallSeconds: 3601 }).length > 0);
  assert.ok(issues({ turnDetection: { type: "semantic_vad", eagerness: "eager" } }).length > 0);
  assert.ok(issues({ turnDetection: { type: "none" } }).length > 0);
});

Deno.test("call hours: time zone, times, intervals and dates are checked", () => {
  assert.equal(isTimeZone("America/New_York"), true);
  assert.equal(isTimeZone("Mars/Olympus"), false);
  const check = (hours: unknown) => CallHoursSchema.safeParse(hours).success;
  assert.equal(check({ timeZone: "Mars/Olympus", weekly: {} }), false);
  assert.equal(
    check({ timeZone: "UTC", weekly: { mon: [{ open: "9:00", close: "17:00" }] } }),
    false,
  );
  assert.equal(
    check({ timeZone: "UTC", weekly: { mon: [{ open: "17:00", close: "09:00" }] } }),
    false,
  );
  assert.equal(
    check({ timeZone: "UTC", weekly: { mon: [{ open: "09:00", close: "24:00" }] } }),
    true,
  );
  assert.equal(
    check({ timeZone: "UTC", weekly: { mon: [{ open: "09:00", close: "24:01" }] } }),
    false,
  );
  assert.equal(
    check({
      timeZone: "UTC",
      weekly: { mon: [{ open: "09:00", close: "12:00" }, { open: "11:00", close: "13:00" }] },
    }),
    false,
    "overlapping intervals",
  );
  const monday = { mon: [{ open: "09:00", close: "17:00" }] };
  assert.equal(check({ timeZone: "UTC", weekly: monday, holidays: ["2026-02-30"] }), false);
  assert.equal(check({ timeZone: "UTC", weekly: monday, holidays: ["2026-02-28"] }), true);
  assert.equal(
    check({ timeZone: "UTC", weekly: monday, outsideHoursMessage: "x".repeat(301) }),
    false,
  );
  assert.equal(
    check({ timeZone: "UTC", weekly: { mon: [{ open: "09:00", close: "09:00" }] } }),
    false,
    "an interval that closes as it opens",
  );
  assert.equal(
    check({
      timeZone: "UTC",
      weekly: { mon: [{ open: "09:00", close: "12:00" }, { open: "12:00", close: "13:00" }] },
    }),
    true,
    "back-to-back intervals do not overlap",
  );
});

Deno.test("call hours: hours that never open are refused; no call hours at all is allowed", () => {
  const weeklyIssues = (callHours: unknown) =>
    issues({ callHours }).filter((i) => i.startsWith("callHours.weekly:"));
  const never = `callHours.weekly: ${NEVER_OPEN_MESSAGE}`;
  // A time zone alone, or with holidays or a message: every call would end outside_hours.
  assert.deepEqual(weeklyIssues({ timeZone: "Europe/Paris", weekly: {} }), [never]);
  assert.deepEqual(
    weeklyIssues({ timeZone: "UTC", weekly: {}, holidays: ["2026-12-25"] }),
    [never],
  );
  assert.deepEqual(
    weeklyIssues({ timeZone: "UTC", weekly: { mon: [], sun: [] }, outsideHoursMessage: "Closed" }),
    [never],
    "days given as empty lists",
  );
  assert.deepEqual(
    weeklyIssues({ timeZone: "UTC", weekly: { sun: [{ open: "10:00", close: "11:00" }] } }),
    [],
  );
  // Unset call hours: always open.
  assert.deepEqual(issues({}), []);
  assert.deepEqual(issues({ greeting: "Hi" }), []);
});

Deno.test("call hours: holidays are unique and at most 366", () => {
  const weekly = { mon: [{ open: "09:00", close: "17:00" }] };
  const holidayIssues = (holidays: string[]) =>
    issues({ callHours: { timeZone: "UTC", weekly, holidays } });
  assert.deepEqual(holidayIssues(["2026-12-25", "2026-12-25"]), [
    "callHours.holidays: a date is listed twice",
  ]);
  const days = (n: number) =>
    Array.from(
      { length: n },
      (_, k) => new Date(Date.UTC(2026, 0, 1 + k)).toISOString().slice(0, 10),
    );
  assert.deepEqual(holidayIssues(days(366)), []);
  assert.deepEqual(holidayIssues(days(367)), ["callHours.holidays: at most 366 holidays"]);
});

Deno.test("changedFields: set, unset and changed fields, key order ignored", () => {
  assert.deepEqual(
    changedFields(
      { voice: "marin", turnDetection: { type: "server_vad", threshold: 0.5, silenceMs: 500 } },
      {
        greeting: "Hi",
        turnDetection: { silenceMs: 500, threshold: 0.5, type: "server_vad" },
      },
    ),
    ["greeting", "voice"],
  );
  assert.deepEqual(changedFields({}, {}), []);
});
