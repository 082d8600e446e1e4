/**
 * Phone numbers and WhatsApp user ids for logs. The database keeps both as
 * received; anything printed shows only enough to tell calls apart.
 *
 * @module
 */

const HIDDEN = "•••";

/**
 * Masks a phone number, keeping a leading `+`, the first four digits (country
 * and area, roughly) and the last four: `+16315553602` → `+1631•••3602`.
 * Shorter numbers keep at most their last two digits, so no more than half of
 * one is shown; input without digits becomes `•••`.
 */
export function maskPhone(number: string): string {
  const digits = number.replace(/\D/g, "");
  const plus = number.trimStart().startsWith("+") ? "+" : "";
  if (digits.length >= 9) return `${plus}${digits.slice(0, 4)}${HIDDEN}${digits.slice(-4)}`;
  if (digits.length >= 4) return `${plus}${HIDDEN}${digits.slice(-2)}`;
  return HIDDEN;
}

/** Meta's BSUID prefix: a country code, optionally `ENT` for a parent id (`US.ENT.`). */
const USER_ID_PREFIX = /^(?:[A-Za-z]{1,8}\.){1,3}/;

/**
 * Masks a business-scoped user id (BSUID) the way {@linkcode maskPhone}
 * masks a number: the letters-and-dots prefix (country, `ENT`) stays, and of
 * the rest only the first two and last two characters show:
 * `BR.1502576394655843` → `BR.15•••43`, `US.ENT.11815799212886844830` →
 * `US.ENT.11•••30`. A rest shorter than eight keeps only its last two
 * (never more than half); shorter than four, nothing.
 */
export function maskUserId(id: string): string {
  const prefix = USER_ID_PREFIX.exec(id)?.[0] ?? "";
  const rest = id.slice(prefix.length);
  if (rest.length >= 8) return `${prefix}${rest.slice(0, 2)}${HIDDEN}${rest.slice(-2)}`;
  if (rest.length >= 4) return `${prefix}${HIDDEN}${rest.slice(-2)}`;
  return `${prefix}${HIDDEN}`;
}

/**
 * Phone numbers inside free text (a transcript line, a summary, an extracted
 * field), masked with {@linkcode maskPhone}: any run of 7 or more digits,
 * optionally led by `+` and broken by spaces, dots, dashes or brackets, as a
 * caller reads a number out. Shorter runs (times, prices, order numbers of a
 * few digits) are left alone.
 */
export function maskPhonesInText(text: string): string {
  return text.replace(/\+?\d[\d\s().-]{5,}\d/g, (run) => {
    const digits = run.replace(/\D/g, "").length;
    return digits >= 7 ? maskPhone(run) : run;
  });
}
