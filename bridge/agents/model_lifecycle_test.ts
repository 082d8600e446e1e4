import assert from "node:assert/strict";
import {
  MODEL_RETIREMENTS,
  type ModelRetirement,
  retirementOf,
  warnRetiredModels,
} from "./model_lifecycle.ts";
import { DEFAULT_REALTIME_MODEL, DEFAULT_TRANSCRIPTION_MODEL } from "./openai_config.ts";
import { captureLogs } from "../../tests/support/log_capture.ts";
import { getLogger } from "@logtape/logtape";

Deno.test("model lifecycle: the retiring models are known, the defaults are not among them", () => {
  assert.equal(retirementOf("gpt-realtime")?.shutdownDate, "2027-01-20");
  assert.equal(retirementOf("gpt-realtime-mini")?.replacement, "gpt-realtime-2.1-mini");
  assert.equal(retirementOf("gpt-4o-mini-transcribe")?.shutdownDate, "2027-02-26");
  assert.equal(retirementOf("whisper-1")?.replacement, "gpt-live-transcribe");
  assert.equal(retirementOf("gpt-4o-realtime-preview")?.shutdownDate, null);
  assert.equal(retirementOf(DEFAULT_REALTIME_MODEL), null);
  assert.equal(retirementOf(DEFAULT_TRANSCRIPTION_MODEL), null);
  assert.equal(retirementOf("gpt-realtime-2.1-mini"), null);
  // Every entry has a date or is already gone, a replacement that is not itself retiring, a source.
  for (const r of MODEL_RETIREMENTS) {
    assert.ok(r.shutdownDate === null || /^\d{4}-\d{2}-\d{2}$/.test(r.shutdownDate), r.model);
    assert.equal(retirementOf(r.replacement), null, `${r.model} → ${r.replacement}`);
    assert.match(r.source, /^https:\/\//);
  }
  const models = MODEL_RETIREMENTS.map((r) => r.model);
  assert.equal(new Set(models).size, models.length, "one row per model");
});

Deno.test("model lifecycle: a configured retiring model is warned about with its date", async () => {
  const logs = await captureLogs("test");
  try {
    const found = warnRetiredModels(getLogger(["test"]), {
      realtime: "gpt-realtime",
      transcription: "gpt-4o-mini-transcribe",
    });
    assert.deepEqual(found.map((r: ModelRetirement) => r.model), [
      "gpt-realtime",
      "gpt-4o-mini-transcribe",
    ]);
    const lines = logs.find("OPENAI_MODEL_DEPRECATED");
    assert.deepEqual(
      lines.map((l) => [l.level, l.properties.role, l.properties.model, l.properties.shutdownDate]),
      [
        ["warning", "realtime", "gpt-realtime", "2027-01-20"],
        ["warning", "transcription", "gpt-4o-mini-transcribe", "2027-02-26"],
      ],
    );
    assert.equal(lines[0]!.properties.confirmed, false);
    assert.deepEqual(
      warnRetiredModels(getLogger(["test"]), {
        realtime: DEFAULT_REALTIME_MODEL,
        transcription: DEFAULT_TRANSCRIPTION_MODEL,
      }),
      [],
    );
    assert.equal(logs.find("OPENAI_MODEL_DEPRECATED").length, 2, "nothing for current models");
  } finally {
    await logs.stop();
  }
});
