import assert from "node:assert/strict";
import {
  type AgentForm,
  fieldOf,
  formFromSettings,
  readPostedForm,
  settingsFromForm,
} from "./agents_form.ts";
import { type AgentSettings, NEVER_OPEN_MESSAGE } from "../../lib/agent_settings/schema.ts";

const empty = (): AgentForm => formFromSettings({});

Deno.test("agents form: empty fields are unset settings (the environment's defaults)", () => {
  assert.deepEqual(settingsFromForm(empty()), { ok: true, settings: {} });
});

Deno.test("agents form: settings → form → settings is the identity", () => {
  const settings: AgentSettings = {
    instructions: "You are Ana.",
    greeting: "Hola",
    voice: "cedar",
    model: "gpt-realtime-2.1",
    language: "es",
    tools: ["lookup"],
    turnDetection: { type: "server_vad", threshold: 0.6, silenceMs: 700 },
    recording: false,
    maxCallSeconds: 120,
    callHours: {
      timeZone: "Europe/Madrid",
      weekly: {
        mon: [{ open: "09:00", close: "13:00" }, { open: "14:00", close: "18:00" }],
        sat: [{ open: "10:00", close: "12:00" }],
      },
      holidays: ["2026-12-25", "2027-01-01"],
      outsideHoursMessage: "Closed.",
    },
  };
  assert.deepEqual(settingsFromForm(formFromSettings(settings)), { ok: true, settings });
  const semantic: AgentSettings = { turnDetection: { type: "semantic_vad", eagerness: "low" } };
  assert.deepEqual(settingsFromForm(formFromSettings(semantic)), { ok: true, settings: semantic });
});

Deno.test("agents form: each bad field gets its own error", () => {
  const f = empty();
  f.voice = "robot";
  f.td_type = "server_vad";
  f.td_threshold = "2";
  f.max_call_seconds = "abc";
  f.tz = "Mars/Base";
  f.hours_tue = "9-17";
  f.holidays = "2026-02-30";
  const r = settingsFromForm(f);
  assert.ok(!r.ok);
  assert.deepEqual(Object.keys(r.errors).sort(), [
    "holidays",
    "hours_tue",
    "max_call_seconds",
    "td_threshold",
    "tz",
    "voice",
  ]);
  // Hours with no time zone point at the time zone.
  const g = empty();
  g.hours_mon = "09:00-17:00";
  const r2 = settingsFromForm(g);
  assert.ok(!r2.ok && r2.errors.tz);
  assert.equal(fieldOf(["callHours", "weekly", "fri", 0, "close"]), "hours_fri");
});

Deno.test("agents form: a posted body is read with its version; anything else is refused", () => {
  const posted = readPostedForm({ greeting: "Hi", tools: "a", expected_version: "3", _csrf: "x" });
  assert.equal(posted?.expectedVersion, 3);
  assert.deepEqual(posted?.form.tools, ["a"]);
  assert.equal(posted?.form.greeting, "Hi");
  assert.equal(readPostedForm({ greeting: "Hi" }), undefined, "no version");
  assert.equal(readPostedForm({ expected_version: "-1" }), undefined);
});

Deno.test("agents form: call hours that never open point at the weekdays; none at all is fine", () => {
  // A time zone alone used to save hours that end every call as outside_hours.
  const tzOnly = empty();
  tzOnly.tz = "Europe/Paris";
  assert.deepEqual(settingsFromForm(tzOnly), { ok: false, errors: { weekly: NEVER_OPEN_MESSAGE } });
  const holidayOnly = empty();
  holidayOnly.tz = "UTC";
  holidayOnly.holidays = "2026-12-25";
  holidayOnly.outside_message = "Closed today";
  assert.deepEqual(settingsFromForm(holidayOnly), {
    ok: false,
    errors: { weekly: NEVER_OPEN_MESSAGE },
  });
  assert.equal(fieldOf(["callHours", "weekly"]), "weekly");
  // Every call-hours field empty: no call hours, always open.
  assert.deepEqual(settingsFromForm(empty()), { ok: true, settings: {} });
  const oneDay = empty();
  oneDay.tz = "UTC";
  oneDay.hours_sun = "10:00-12:00";
  assert.ok(settingsFromForm(oneDay).ok);
  const dup = { ...oneDay, holidays: "2026-12-25 2026-12-25" };
  assert.deepEqual(settingsFromForm(dup), {
    ok: false,
    errors: { holidays: "a date is listed twice" },
  });
});
