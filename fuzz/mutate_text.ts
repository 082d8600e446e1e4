/**
 * Text mutations for line formats (SDP) and JSON text: line deletion,
 * duplication, swaps and repeats, splices from other seeds, odd Unicode
 * (lone UTF-16 surrogates among it, raw and as JSON `\ud800` escapes),
 * control characters, huge and malformed numbers, and syntax tokens.
 *
 * @module
 */
import type { Rng } from "./rng.ts";

/** Largest text a mutation produces: past the 64 KiB limits SDP and bridge bodies enforce. */
export const MAX_MUTANT_CHARS = 128 * 1024;

/** The text mutations, by name. */
export type TextMutation =
  | "delete_line"
  | "duplicate_line"
  | "swap_lines"
  | "repeat_line"
  | "splice_lines"
  | "insert_unicode"
  | "replace_number"
  | "insert_token"
  | "delete_range"
  | "duplicate_range"
  | "truncate"
  | "flip_char";

/** Every {@linkcode TextMutation}, in a fixed order. */
export const TEXT_MUTATIONS: readonly TextMutation[] = [
  "delete_line",
  "duplicate_line",
  "swap_lines",
  "repeat_line",
  "splice_lines",
  "insert_unicode",
  "replace_number",
  "insert_token",
  "delete_range",
  "duplicate_range",
  "truncate",
  "flip_char",
];

/** Numbers that break parsers: signs, overflow at 2^32, 2^53 and 2^64, exponents, other radixes. */
export const INTERESTING_NUMBERS: readonly string[] = [
  "0",
  "-1",
  "-0",
  "1.5",
  "1e309",
  "-1e309",
  "4294967295",
  "4294967296",
  "9007199254740993",
  "18446744073709551616",
  "0x7f",
  "00012",
  "NaN",
  "Infinity",
  "9".repeat(400),
  "",
];

const TOKENS = [
  " ",
  "\t",
  ":",
  "/",
  "=",
  ";",
  ",",
  "\r\n",
  "\n",
  "\r",
  '"',
  "\\",
  "{",
  "}",
  "[",
  "]",
  "a=",
  "m=audio 9 UDP/TLS/RTP/SAVPF 111 126",
  "candidate:",
  "null",
  "true",
  "\\ud800",
  "\\udc00",
  "\\u0000",
];

/** A lone high (D800–DBFF) or low (DC00–DFFF) surrogate: ill-formed UTF-16. */
export function loneSurrogate(rng: Rng): string {
  return String.fromCharCode((rng.chance(0.5) ? 0xd800 : 0xdc00) + rng.below(0x400));
}

/** One odd character (or pair): surrogates alone or reversed, controls, BOM, non-characters, … */
export function oddUnicode(rng: Rng): string {
  switch (rng.below(10)) {
    case 0:
    case 1:
      return loneSurrogate(rng);
    case 2:
      return "\udc00\ud800"; // a pair in the wrong order
    case 3:
      return String.fromCharCode(rng.chance(0.9) ? rng.below(32) : 0x7f);
    case 4:
      return rng.pick(["\ufeff", "\ufffe", "\uffff", "\u2028", "\u2029", "\u202e", "\u200d"]);
    case 5:
      return rng.pick(["\u0301", "\u0661", "\uff11", "\u00a0"]); // combining, Arabic and fullwidth digits
    case 6:
      return "\u{1f600}";
    case 7:
      return String.fromCodePoint(0x10000 + rng.below(0x100000));
    default:
      return String.fromCharCode(rng.below(0xd800));
  }
}

function lines(text: string): string[] {
  return text.split("\n");
}

function insertAt(text: string, at: number, piece: string): string {
  return text.slice(0, at) + piece + text.slice(at);
}

function replaceNumber(rng: Rng, text: string): string {
  const runs = [...text.matchAll(/\d+/g)];
  const replacement = rng.pick(INTERESTING_NUMBERS);
  if (runs.length === 0) return insertAt(text, rng.below(text.length + 1), replacement);
  const run = rng.pick(runs);
  return text.slice(0, run.index) + replacement + text.slice(run.index + run[0].length);
}

function lineOp(rng: Rng, kind: TextMutation, text: string, corpus: readonly string[]): string {
  const ls = lines(text);
  const i = rng.below(ls.length);
  const j = rng.below(ls.length);
  switch (kind) {
    case "delete_line":
      ls.splice(i, 1);
      break;
    case "duplicate_line":
      ls.splice(j, 0, ls[i]!);
      break;
    case "swap_lines":
      [ls[i], ls[j]] = [ls[j]!, ls[i]!];
      break;
    case "repeat_line":
      ls.splice(i, 0, ...Array<string>(rng.smallSize(1024)).fill(ls[i]!));
      break;
    default: {
      const other = lines(rng.pick(corpus));
      const from = rng.below(other.length);
      ls.splice(i, rng.below(3), ...other.slice(from, from + rng.smallSize(8)));
    }
  }
  return ls.join("\n");
}

/** Applies one named mutation to `text`, splicing from `corpus` where the kind does. */
export function applyTextMutation(
  rng: Rng,
  kind: TextMutation,
  text: string,
  corpus: readonly string[],
): string {
  const n = text.length;
  const at = rng.below(n + 1);
  switch (kind) {
    case "insert_unicode":
      return insertAt(text, at, oddUnicode(rng));
    case "replace_number":
      return replaceNumber(rng, text);
    case "insert_token":
      return insertAt(text, at, rng.pick(TOKENS));
    case "delete_range":
      return text.slice(0, at) + text.slice(at + rng.smallSize(64));
    case "duplicate_range":
      return insertAt(text, rng.below(n + 1), text.slice(at, at + rng.smallSize(256)));
    case "truncate":
      return text.slice(0, at);
    case "flip_char": {
      if (n === 0) return text;
      const i = rng.below(n);
      const code = text.charCodeAt(i) ^ (1 << rng.below(16));
      return text.slice(0, i) + String.fromCharCode(code) + text.slice(i + 1);
    }
    default:
      return lineOp(rng, kind, text, corpus);
  }
}

/** One random mutation of `text`, capped at {@linkcode MAX_MUTANT_CHARS}. */
export function mutateText(rng: Rng, text: string, corpus: readonly string[]): string {
  const out = applyTextMutation(rng, rng.pick(TEXT_MUTATIONS), text, corpus);
  return out.length > MAX_MUTANT_CHARS ? out.slice(0, MAX_MUTANT_CHARS) : out;
}
