import assert from "node:assert/strict";
import { testOnBothBackends } from "./backends_test_utils.ts";
import { AGENT_SETTINGS_AUDIT_ACTION } from "./agent_settings.ts";

const PN = "106540352242922";

testOnBothBackends(
  "agent settings store",
  "save, read, version check and history",
  async (store) => {
    assert.equal(await store.getAgentSettings(PN), null);
    const first = await store.saveAgentSettings({
      phoneNumberId: PN,
      settings: { greeting: "Hello!", voice: "cedar" },
      expectedVersion: 0,
      actor: { id: "user-admin", email: "admin@example.com" },
    });
    assert.ok(first.ok);
    assert.equal(first.record.version, 1);
    assert.deepEqual(first.record.settings, { greeting: "Hello!", voice: "cedar" });
    assert.equal(first.record.updatedBy, "admin@example.com");

    // An editor still on version 0 (a second first save) loses, and learns the current version.
    const stale = await store.saveAgentSettings({
      phoneNumberId: PN,
      settings: { greeting: "Hi" },
      expectedVersion: 0,
      actor: { id: "user-other", email: "other@example.com" },
    });
    assert.deepEqual(stale, { ok: false, reason: "conflict", currentVersion: 1 });

    const second = await store.saveAgentSettings({
      phoneNumberId: PN,
      settings: { greeting: "Good morning!", maxCallSeconds: 300 },
      expectedVersion: 1,
      actor: { id: "user-admin", email: "admin@example.com" },
      at: new Date("2026-12-01T10:00:00Z"),
    });
    assert.ok(second.ok);
    assert.equal(second.record.version, 2);
    assert.equal(second.record.updatedAt.toISOString(), "2026-12-01T10:00:00.000Z");
    const again = await store.saveAgentSettings({
      phoneNumberId: PN,
      settings: {},
      expectedVersion: 1,
      actor: { id: "x", email: null },
    });
    assert.deepEqual(again, { ok: false, reason: "conflict", currentVersion: 2 });

    const current = await store.getAgentSettings(PN);
    assert.deepEqual(current?.settings, { greeting: "Good morning!", maxCallSeconds: 300 });
    const history = await store.listAgentSettingsHistory(PN, 10);
    assert.deepEqual(history.map((h) => [h.version, h.settings.greeting, h.changedBy]), [
      [2, "Good morning!", "admin@example.com"],
      [1, "Hello!", "admin@example.com"],
    ]);
    assert.deepEqual(
      (await store.listAgentSettingsHistory(PN, 1)).map((h) => h.version),
      [2],
    );
  },
);

testOnBothBackends(
  "agent settings store",
  "invalid settings are refused before any write",
  async (store) => {
    await assert.rejects(store.saveAgentSettings({
      phoneNumberId: PN,
      settings: { voice: "robot" } as never,
      expectedVersion: 0,
      actor: { id: "admin", email: null },
    }));
    assert.equal(await store.getAgentSettings(PN), null);
    assert.deepEqual(await store.listAgentSettingsHistory(PN, 10), []);
  },
);

testOnBothBackends(
  "agent settings store",
  "concurrent saves of one version: exactly one wins",
  async (store) => {
    const results = await Promise.all(
      ["a", "b", "c", "d"].map((who) =>
        store.saveAgentSettings({
          phoneNumberId: PN,
          settings: { greeting: `from ${who}` },
          expectedVersion: 0,
          actor: { id: who, email: null },
        })
      ),
    );
    assert.equal(results.filter((r) => r.ok).length, 1);
    assert.equal((await store.listAgentSettingsHistory(PN, 10)).length, 1);
  },
);

testOnBothBackends(
  "agent settings store",
  "lists numbers with settings and numbers calls reached",
  async (store) => {
    await store.upsertCall({ callId: "wacid.as-1", phoneNumberId: "200" });
    await store.upsertCall({ callId: "wacid.as-2", phoneNumberId: "200" });
    await store.upsertCall({ callId: "wacid.as-3", phoneNumberId: "300" });
    await store.saveAgentSettings({
      phoneNumberId: "100",
      settings: { voice: "ash" },
      expectedVersion: 0,
      actor: { id: "admin", email: null },
    });
    await store.saveAgentSettings({
      phoneNumberId: "300",
      settings: { voice: "ash" },
      expectedVersion: 0,
      actor: { id: "admin", email: null },
    });
    const numbers = await store.listAgentNumbers(50);
    assert.deepEqual(numbers.map((n) => [n.phoneNumberId, n.version]), [
      ["100", 1],
      ["200", null],
      ["300", 1],
    ]);
  },
);

testOnBothBackends(
  "agent settings store",
  "each save writes its audit entry (who, when, before, after) in its transaction",
  async (store) => {
    await store.saveAgentSettings({
      phoneNumberId: PN,
      settings: { voice: "ash" },
      expectedVersion: 0,
      actor: { id: "user-1", email: "ana@example.com" },
      at: new Date("2026-12-01T10:00:00Z"),
    });
    await store.saveAgentSettings({
      phoneNumberId: PN,
      settings: { voice: "coral" },
      expectedVersion: 1,
      actor: { id: "user-2", email: null },
    });
    const entries = await store.listAudit({ target: PN });
    assert.deepEqual(
      entries.map((e) => [e.action, e.actorId, e.actorEmail, e.before, e.after]),
      [
        [AGENT_SETTINGS_AUDIT_ACTION, "user-2", null, { voice: "ash" }, { voice: "coral" }],
        [AGENT_SETTINGS_AUDIT_ACTION, "user-1", "ana@example.com", null, { voice: "ash" }],
      ],
    );
    assert.equal(entries[1]!.occurredAt.toISOString(), "2026-12-01T10:00:00.000Z");
    // An audit entry that cannot be written (no actor id) takes the save back with it.
    await assert.rejects(store.saveAgentSettings({
      phoneNumberId: PN,
      settings: { voice: "sage" },
      expectedVersion: 2,
      actor: { id: "", email: null },
    }));
    assert.deepEqual((await store.getAgentSettings(PN))?.settings, { voice: "coral" });
    assert.equal((await store.listAgentSettingsHistory(PN, 10)).length, 2);
    assert.equal((await store.listAudit({ target: PN })).length, 2);
  },
);
