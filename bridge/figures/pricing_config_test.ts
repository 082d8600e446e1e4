import assert from "node:assert/strict";
import { loadFiguresConfig } from "./pricing_config.ts";
import { loadConfig } from "../config.ts";
import { DEFAULT_REALTIME_MODEL, DEFAULT_TRANSCRIPTION_MODEL } from "../agents/openai_config.ts";

const noFile = () => undefined;
/** A secret long enough for the bridge's own check. */
const SECRET = "s".repeat(32);

Deno.test("figures config: the bridge's default models are priced by default", () => {
  const { prices, metaPricing } = loadFiguresConfig({}, noFile);
  const realtime = prices.models[DEFAULT_REALTIME_MODEL];
  for (
    const k of [
      "textInPerMTok",
      "textCachedInPerMTok",
      "textOutPerMTok",
      "audioInPerMTok",
      "audioCachedInPerMTok",
      "audioOutPerMTok",
    ] as const
  ) assert.ok((realtime?.[k] ?? 0) > 0, `${DEFAULT_REALTIME_MODEL}.${k}`);
  assert.ok((prices.models[DEFAULT_TRANSCRIPTION_MODEL]?.audioPerMinute ?? 0) > 0);
  assert.deepEqual(metaPricing, { perMinuteUsd: {}, otherPerMinuteUsd: 0 });
});

Deno.test("figures config: PRICING and META_CALL_PRICING as JSON or as a file", () => {
  const files: Record<string, string> = {
    "/etc/prices.json": '{"models":{"gpt-realtime-2.1":{"audioOutPerMTok":1}}}',
  };
  const cfg = loadFiguresConfig({
    PRICING: "/etc/prices.json",
    META_CALL_PRICING: '{"perMinuteUsd":{"44":0.05}}',
  }, (p) => files[p]);
  assert.deepEqual(cfg.prices.models["gpt-realtime-2.1"], { audioOutPerMTok: 1 });
  assert.equal(cfg.metaPricing.perMinuteUsd["44"], 0.05);
});

Deno.test("figures config: a bad table stops the bridge, naming variable and field", () => {
  assert.throws(
    () =>
      loadConfig({
        VOICE_BRIDGE_SECRET: SECRET,
        PRICING: '{"models":{"gpt-realtime-2.1":{"audioOutPerMTok":"64"}}}',
      }),
    /invalid bridge configuration:\n {2}PRICING: models\.gpt-realtime-2\.1\.audioOutPerMTok/,
  );
  assert.throws(
    () =>
      loadConfig({ VOICE_BRIDGE_SECRET: SECRET, META_CALL_PRICING: '{"perMinuteUsd":{"44":-1}}' }),
    /META_CALL_PRICING: perMinuteUsd\.44/,
  );
  assert.throws(
    () => loadFiguresConfig({ PRICING: "/missing.json" }, noFile),
    /PRICING: not JSON and no such file/,
  );
});
