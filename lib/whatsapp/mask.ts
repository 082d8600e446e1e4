/**
 * Phone numbers for logs. The database keeps numbers as received; anything
 * printed shows only enough to tell calls apart.
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
