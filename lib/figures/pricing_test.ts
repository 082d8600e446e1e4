import assert from "node:assert/strict";
import { DEFAULT_PRICES, modelCost, parsePriceTable, PricingError } from "./pricing.ts";
import { emptyUsage } from "../realtime/usage.ts";
import { sampleIncrement } from "../realtime/_usage_sample.ts";

/** Equal to the billionth of a dollar the table rounds to. */
function near(actual: number, expected: number): void {
  assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} ≠ ${expected}`);
}

Deno.test("pricing: cached input is a subset of input, billed at the cached rate", () => {
  // 313 text in (256 cached), 476 audio in (384 cached), 9 text out, 23 audio out.
  const cost = modelCost(sampleIncrement("gpt-realtime-2.1"), DEFAULT_PRICES);
  near(cost.textInUsd, (313 - 256) * 4 / 1e6);
  near(cost.textCachedInUsd, 256 * 0.4 / 1e6);
  near(cost.audioInUsd, (476 - 384) * 32 / 1e6);
  near(cost.audioCachedInUsd, 384 * 0.4 / 1e6);
  near(cost.textOutUsd, 9 * 24 / 1e6);
  near(cost.audioOutUsd, 23 * 64 / 1e6);
  const sum = 57 * 4 + 256 * 0.4 + 92 * 32 + 384 * 0.4 + 9 * 24 + 23 * 64;
  near(cost.totalUsd, sum / 1e6);
  assert.deepEqual(cost.unpriced, []);
});

Deno.test("pricing: a minute of audio a per-minute model transcribed costs its rate", () => {
  const usage = { ...emptyUsage("gpt-live-transcribe"), requests: 3, audioSeconds: 90 };
  const cost = modelCost(usage, DEFAULT_PRICES);
  near(cost.transcriptionUsd, 0.0255);
  near(cost.totalUsd, 0.0255);
});

Deno.test("pricing: usage without a price is reported unpriced, never guessed", () => {
  const tokens = { ...emptyUsage("gpt-live-transcribe"), inputAudioTokens: 100 };
  assert.deepEqual(modelCost(tokens, DEFAULT_PRICES).unpriced, ["audioInPerMTok"]);
  const unknown = { ...emptyUsage("some-model"), outputAudioTokens: 5, audioSeconds: 1 };
  const cost = modelCost(unknown, DEFAULT_PRICES);
  assert.deepEqual(cost.unpriced, ["audioOutPerMTok", "audioPerMinute"]);
  near(cost.totalUsd, 0);
});

Deno.test("pricing: PRICING adds and overrides models over the defaults", () => {
  const table = parsePriceTable(
    '{"models":{"gpt-realtime-2.1":{"audioOutPerMTok":10},"my-asr":{"audioPerMinute":0.01}}}',
  );
  assert.deepEqual(table.models["gpt-realtime-2.1"], { audioOutPerMTok: 10 });
  assert.equal(table.models["my-asr"]?.audioPerMinute, 0.01);
  assert.equal(table.models["gpt-live-transcribe"]?.audioPerMinute, 0.017);
});

Deno.test("pricing: a bad PRICING names the field", () => {
  assert.throws(
    () => parsePriceTable('{"models":{"m":{"audioOutPerMTok":-1}}}'),
    (e: Error) => e instanceof PricingError && /models\.m\.audioOutPerMTok/.test(e.message),
  );
  assert.throws(
    () => parsePriceTable('{"models":{"m":{"audioOutPerMtok":1}}}'),
    (e: Error) => e instanceof PricingError && /audioOutPerMtok/.test(e.message),
  );
  assert.throws(() => parsePriceTable("{"), /PRICING is not JSON/);
});
