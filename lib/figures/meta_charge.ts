/**
 * Meta's charge for a call: user-initiated calls are free; business-initiated
 * calls are billed "in six-second pulses" by the country code of the number
 * called, "fractional pulses as one pulse" (a 56 s call is 10 pulses), per
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/pricing/
 * (updated Mar 30, 2026).
 *
 * Meta publishes the rates only as downloadable rate cards (per minute, by
 * market and monthly volume tier), which could not be retrieved here, so the
 * default table is empty: every business-initiated call costs 0 until
 * `META_CALL_PRICING` gives the rates of your tier. Volume tiers are not
 * modelled: give the rate of the tier you are in.
 *
 * @module
 */
import { z } from "zod";
import { describeIssue, roundUsd } from "./pricing.ts";

/** Seconds per billed pulse. */
export const PULSE_SECONDS = 6;

/** USD per minute by country calling code (digits, e.g. `"44"`, `"1"`), plus a fallback. */
export const metaCallPricingSchema = z.strictObject({
  perMinuteUsd: z.record(
    z.string().regex(/^[1-9][0-9]{0,3}$/, "a country calling code, digits only"),
    z.number().finite().nonnegative(),
  ).default({}),
  /** Rate for a number no code matches (Meta's "Other" market). @default 0 */
  otherPerMinuteUsd: z.number().finite().nonnegative().default(0),
});

/** Meta's calling rates. */
export type MetaCallPricing = z.infer<typeof metaCallPricingSchema>;

/** No rates known: every call costs 0 (see the module doc). */
export const DEFAULT_META_CALL_PRICING: MetaCallPricing = {
  perMinuteUsd: {},
  otherPerMinuteUsd: 0,
};

/** A bad `META_CALL_PRICING`; the message names the field. */
export class MetaCallPricingError extends Error {
  override name = "MetaCallPricingError";
}

/** Parses `META_CALL_PRICING` JSON text. */
export function parseMetaCallPricing(text: string): MetaCallPricing {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new MetaCallPricingError(`META_CALL_PRICING is not JSON: ${(error as Error).message}`);
  }
  const parsed = metaCallPricingSchema.safeParse(json);
  if (!parsed.success) {
    throw new MetaCallPricingError(`META_CALL_PRICING: ${describeIssue(parsed.error)}`);
  }
  return parsed.data;
}

/** Meta's charge for one call, as stored. */
export interface MetaCharge {
  direction: "user_initiated" | "business_initiated" | "unknown";
  /** accept → end, seconds. */
  billedSeconds: number;
  pulses: number;
  /** The calling code whose rate applied; `null` for the fallback or a free call. */
  countryCode: string | null;
  perMinuteUsd: number;
  usd: number;
}

/** The longest calling code in `pricing` that `number` (E.164 digits, `+` optional) starts with. */
export function matchCountryCode(number: string, pricing: MetaCallPricing): string | null {
  const digits = number.replace(/^\+/, "");
  let best: string | null = null;
  for (const code of Object.keys(pricing.perMinuteUsd)) {
    if (digits.startsWith(code) && (best === null || code.length > best.length)) best = code;
  }
  return best;
}

/**
 * The charge: zero unless business-initiated; then every started pulse of
 * `seconds` at a tenth of the callee's per-minute rate.
 */
export function metaCharge(
  direction: string | null,
  seconds: number,
  calleeNumber: string | null,
  pricing: MetaCallPricing,
): MetaCharge {
  const billedSeconds = Math.max(0, seconds);
  if (direction !== "business_initiated") {
    return {
      direction: direction === "user_initiated" ? direction : "unknown",
      billedSeconds,
      pulses: 0,
      countryCode: null,
      perMinuteUsd: 0,
      usd: 0,
    };
  }
  // A float duration like 12.000000001 s must not become 3 pulses.
  const pulses = Math.ceil(Math.round(billedSeconds * 1000) / 1000 / PULSE_SECONDS);
  const countryCode = calleeNumber === null ? null : matchCountryCode(calleeNumber, pricing);
  const perMinuteUsd = countryCode === null
    ? pricing.otherPerMinuteUsd
    : pricing.perMinuteUsd[countryCode]!;
  return {
    direction,
    billedSeconds,
    pulses,
    countryCode,
    perMinuteUsd,
    usd: roundUsd(pulses * perMinuteUsd * PULSE_SECONDS / 60),
  };
}
