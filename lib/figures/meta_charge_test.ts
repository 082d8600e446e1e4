import assert from "node:assert/strict";
import {
  DEFAULT_META_CALL_PRICING,
  MetaCallPricingError,
  metaCharge,
  parseMetaCallPricing,
} from "./meta_charge.ts";

const PRICING = parseMetaCallPricing(
  '{"perMinuteUsd":{"1":0.01,"44":0.03,"447":0.05},"otherPerMinuteUsd":0.1}',
);

Deno.test("meta charge: user-initiated calls are free", () => {
  const c = metaCharge("user_initiated", 600, "447700900000", PRICING);
  assert.deepEqual([c.usd, c.pulses], [0, 0]);
});

Deno.test("meta charge: business-initiated calls pay every started 6-second pulse", () => {
  // Meta's example: 56 s is 9.33 pulses, counted as 10.
  const c = metaCharge("business_initiated", 56, "+14155550100", PRICING);
  assert.deepEqual([c.pulses, c.countryCode, c.usd], [10, "1", 0.01]);
  assert.equal(metaCharge("business_initiated", 60, "14155550100", PRICING).pulses, 10);
  assert.equal(metaCharge("business_initiated", 60.2, "14155550100", PRICING).pulses, 11);
  assert.equal(metaCharge("business_initiated", 0, "14155550100", PRICING).usd, 0);
});

Deno.test("meta charge: the longest calling code wins, else the fallback rate", () => {
  assert.equal(metaCharge("business_initiated", 60, "447700900000", PRICING).usd, 0.05);
  assert.equal(metaCharge("business_initiated", 60, "442070000000", PRICING).usd, 0.03);
  const other = metaCharge("business_initiated", 60, "5511900000000", PRICING);
  assert.deepEqual([other.countryCode, other.usd], [null, 0.1]);
});

Deno.test("meta charge: the default table charges nothing (no citable rates)", () => {
  assert.equal(
    metaCharge("business_initiated", 600, "447700900000", DEFAULT_META_CALL_PRICING).usd,
    0,
  );
});

Deno.test("meta charge: a bad META_CALL_PRICING names the field", () => {
  assert.throws(
    () => parseMetaCallPricing('{"perMinuteUsd":{"+44":0.03}}'),
    (e: Error) => e instanceof MetaCallPricingError && /perMinuteUsd\.\+44/.test(e.message),
  );
  assert.throws(
    () => parseMetaCallPricing('{"otherPerMinuteUsd":"x"}'),
    /META_CALL_PRICING: otherPerMinuteUsd/,
  );
});
