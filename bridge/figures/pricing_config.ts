/**
 * The figures' prices from the environment, validated at start so a bad table
 * stops the bridge with the variable and field named:
 * - `PRICING`: OpenAI prices per model (`lib/figures/pricing.ts`), JSON or a
 *   path to a JSON file; its models are added to the defaults.
 * - `META_CALL_PRICING`: Meta's per-minute rates by calling code
 *   (`lib/figures/meta_charge.ts`), JSON or a path; default all zero.
 *
 * @module
 */
import { DEFAULT_PRICES, parsePriceTable, type PriceTable } from "../../lib/figures/pricing.ts";
import {
  DEFAULT_META_CALL_PRICING,
  type MetaCallPricing,
  parseMetaCallPricing,
} from "../../lib/figures/meta_charge.ts";

/** What {@linkcode settleCallFigures} prices a call with. */
export interface FiguresConfig {
  prices: PriceTable;
  metaPricing: MetaCallPricing;
}

/**
 * Reads `PRICING` and `META_CALL_PRICING` (inline JSON, or a file `readFile`
 * resolves). Throws `invalid bridge configuration:` naming the bad field.
 */
export function loadFiguresConfig(
  vars: Record<string, string | undefined>,
  readFile: (path: string) => string | undefined,
): FiguresConfig {
  const text = (value: string) => value.trimStart().startsWith("{") ? value : readFile(value);
  const read = <T>(name: string, fallback: T, parse: (json: string) => T): T => {
    const value = vars[name];
    if (value === undefined || value === "") return fallback;
    const json = text(value);
    if (json === undefined) {
      throw new Error(`invalid bridge configuration:\n  ${name}: not JSON and no such file`);
    }
    try {
      return parse(json);
    } catch (error) {
      throw new Error(`invalid bridge configuration:\n  ${(error as Error).message}`);
    }
  };
  return {
    prices: read("PRICING", DEFAULT_PRICES, (json) => parsePriceTable(json)),
    metaPricing: read("META_CALL_PRICING", DEFAULT_META_CALL_PRICING, parseMetaCallPricing),
  };
}
