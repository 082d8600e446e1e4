/**
 * Per-number agent settings through the real bridge, its agent on the fake
 * OpenAI: a saved change shapes the next call's session and never the call
 * in progress; a store that is down or slow leaves calls on the
 * environment's defaults, answered; outside hours the caller hears the
 * notice and the call ends as `outside_hours`.
 */
import assert from "node:assert/strict";
import { openStore } from "../../store/open.ts";
import type { Store } from "../../store/store.ts";
import type { AgentSettings } from "../../lib/agent_settings/schema.ts";
import { captureLogs } from "../support/log_capture.ts";
import { startSettingsBridge } from "../support/agent_settings_bridge.ts";
import { until } from "../support/until.ts";

const PN = "106540352242922";
const OTHER_PN = "200000000000001";

type Session = {
  instructions?: string;
  audio?: { output?: { voice?: string }; input?: { turn_detection?: Record<string, unknown> } };
};

const sessionOf = (e: Record<string, unknown>) => e.session as Session;

async function save(store: Store, settings: AgentSettings, expectedVersion: number) {
  const r = await store.saveAgentSettings({
    phoneNumberId: PN,
    settings,
    expectedVersion,
    actor: { id: "user-admin", email: "admin@example.com" },
  });
  assert.ok(r.ok, "saved");
}

async function withStore(fn: (store: Store) => Promise<void>): Promise<void> {
  const store = await openStore({ pgliteDir: "memory://" });
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

Deno.test("agent settings: a change applies from the next call, never to the call in progress", async () => {
  await withStore(async (store) => {
    await save(store, {
      instructions: "You are Ana at Acme.",
      voice: "cedar",
      greeting: "Hola, soy Ana.",
      turnDetection: { type: "server_vad", threshold: 0.7, silenceMs: 900 },
      model: "gpt-realtime-2.1-mini",
    }, 0);
    const b = startSettingsBridge({ recorder: store, agentSettings: store });
    try {
      await b.call("wacid.as-first", PN);
      const first = sessionOf(
        await b.fake.waitForEvent("session.update", (_e, n) => n === 1, 5000),
      );
      assert.match(first.instructions ?? "", /You are Ana at Acme\./);
      assert.equal(first.audio?.output?.voice, "cedar");
      assert.deepEqual(
        [
          first.audio?.input?.turn_detection?.threshold,
          first.audio?.input?.turn_detection?.silence_duration_ms,
        ],
        [0.7, 900],
      );
      assert.match(b.fake.urls[0] ?? "", /model=gpt-realtime-2\.1-mini/);
      const greeting = await b.fake.waitForEvent(
        "response.create",
        (e, n) => n === 1 && JSON.stringify(e).includes("Hola, soy Ana."),
        5000,
      );
      assert.ok(greeting, "the first call greets with its greeting");

      // Changed while the first call talks.
      await save(store, {
        instructions: "You are Bob at Acme.",
        voice: "ash",
        greeting: "Hi, Bob here.",
      }, 1);
      await b.call("wacid.as-second", PN);
      const second = sessionOf(
        await b.fake.waitForEvent("session.update", (_e, n) => n === 2, 5000),
      );
      assert.match(second.instructions ?? "", /You are Bob at Acme\./);
      assert.equal(second.audio?.output?.voice, "ash");
      await b.fake.waitForEvent(
        "response.create",
        (e, n) => n === 2 && JSON.stringify(e).includes("Hi, Bob here."),
        5000,
      );
      // The first call's session was never told about Bob.
      const firstEvents = b.fake.received.filter((r) => r.connection === 1);
      assert.ok(!firstEvents.some((r) => JSON.stringify(r.event).includes("Bob")));

      // A number without settings runs on the environment's defaults.
      await b.call("wacid.as-other", OTHER_PN);
      const other = sessionOf(
        await b.fake.waitForEvent("session.update", (_e, n) => n === 3, 5000),
      );
      assert.doesNotMatch(other.instructions ?? "", /Ana|Bob/);
      assert.equal(other.audio?.output?.voice, "marin");
    } finally {
      await b.close();
    }
  });
});

Deno.test("agent settings: a store that is down or slow leaves the call on env defaults, answered", async () => {
  const logs = await captureLogs();
  const down = startSettingsBridge({
    agentSettings: { getAgentSettings: () => Promise.reject(new Error("connection refused")) },
  });
  const slow = startSettingsBridge({
    agentSettings: { getAgentSettings: () => new Promise(() => {}) },
  });
  try {
    await down.call("wacid.as-down", PN);
    const s = sessionOf(await down.fake.waitForEvent("session.update", () => true, 5000));
    assert.equal(s.audio?.output?.voice, "marin");
    await down.fake.waitForEvent("response.create", () => true, 5000);

    const started = performance.now();
    await slow.call("wacid.as-slow", PN);
    const waited = performance.now() - started;
    assert.ok(waited < 2000, `a hanging store held the call ${waited} ms`);
    await slow.fake.waitForEvent("response.create", () => true, 5000);

    const fallbacks = logs.find("AGENT_SETTINGS_FALLBACK");
    assert.deepEqual(fallbacks.map((r) => r.properties.callId).sort(), [
      "wacid.as-down",
      "wacid.as-slow",
    ]);
    assert.match(
      String(fallbacks.find((r) => r.properties.callId === "wacid.as-slow")?.properties.reason),
      /timeout/,
    );
  } finally {
    await down.close();
    await slow.close();
    await logs.stop();
  }
});

/** Yesterday, today and tomorrow (UTC dates): today's date in Madrid is among them. */
const aroundToday = [-1, 0, 1].map((d) =>
  new Date(Date.now() + d * 86_400_000).toISOString().slice(0, 10)
);

const CLOSED: AgentSettings = {
  // Hours that never open are refused, so: open one minute on Mondays, and today is a holiday.
  callHours: {
    timeZone: "Europe/Madrid",
    weekly: { mon: [{ open: "00:00", close: "00:01" }] },
    holidays: aroundToday,
    outsideHoursMessage: "Estamos cerrados.",
  },
};

Deno.test("agent settings: outside hours the model says the message, then the call ends as outside_hours", async () => {
  await withStore(async (store) => {
    await save(store, CLOSED, 0);
    const b = startSettingsBridge({ recorder: store, agentSettings: store });
    try {
      await b.call("wacid.as-closed", PN);
      const asked = await b.fake.waitForEvent("response.create", () => true, 5000);
      const instructions = String((asked.response as { instructions?: string }).instructions);
      assert.match(instructions, /word for word, and nothing else: "Estamos cerrados\."/);
      await until(() => b.bridge.manager.list().length === 0, 8000, "the call to end");
      const call = await store.getCall("wacid.as-closed");
      assert.equal(call?.endReason, "outside_hours");
      const events = await store.listEvents("wacid.as-closed");
      assert.ok(events.some((e) => e.name === "outside_hours"));
      // Only the notice was asked for: no greeting, no conversation.
      assert.equal(b.fake.receivedOf("response.create").length, 1);
    } finally {
      await b.close();
    }
  });
});

Deno.test("agent settings: outside hours with the echo agent, a tone plays, then the call ends", async () => {
  await withStore(async (store) => {
    await save(store, CLOSED, 0);
    const b = startSettingsBridge({
      recorder: store,
      agentSettings: store,
      env: { AGENT: "echo" },
    });
    try {
      const { peer } = await b.call("wacid.as-closed-echo", PN);
      await until(() => b.bridge.manager.list().length === 0, 8000, "the call to end");
      // 3 × 330 ms of tone and 200 ms of quiet: about 60 frames of 20 ms went out.
      assert.ok(peer.sent.length >= 55, `${peer.sent.length} frames sent`);
      assert.equal((await store.getCall("wacid.as-closed-echo"))?.endReason, "outside_hours");
      assert.equal(b.fake.received.length, 0, "no OpenAI session");
    } finally {
      await b.close();
    }
  });
});
