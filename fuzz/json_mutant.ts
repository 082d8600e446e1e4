/**
 * JSON bodies as they arrive on the wire: a seed mutated as a value
 * (types, keys, nesting, lone surrogates), written out compact or
 * indented (at most {@linkcode MAX_MUTANT_CHARS}), and one time in five
 * broken further as text.
 *
 * @module
 */
import { type Json, mutateJson } from "./mutate_json.ts";
import { MAX_MUTANT_CHARS, mutateText } from "./mutate_text.ts";
import type { Rng } from "./rng.ts";
import { havoc } from "./target.ts";

/** A JSON seed: its text and its value. */
export interface JsonSeed {
  text: string;
  value: Json;
}

/** Parses each seed text once (every seed must be JSON). */
export function jsonSeeds(texts: readonly string[]): JsonSeed[] {
  return texts.map((text) => ({ text, value: JSON.parse(text) as Json }));
}

/** A mutated JSON text, from value-level and, sometimes, text-level mutations. */
export function jsonTextMutant(rng: Rng, seeds: readonly JsonSeed[]): string {
  const value = havoc(rng, seeds.map((s) => s.value), mutateJson);
  let text = JSON.stringify(value);
  // Indentation is quadratic in the depth: only for documents that stay small.
  if (rng.chance(0.25) && text.length < MAX_MUTANT_CHARS / 8) {
    const indented = JSON.stringify(value, null, 2);
    if (indented.length <= MAX_MUTANT_CHARS) text = indented;
  }
  if (text.length > MAX_MUTANT_CHARS) text = text.slice(0, MAX_MUTANT_CHARS);
  if (rng.chance(0.2)) {
    const texts = seeds.map((s) => s.text);
    for (let i = rng.between(1, 2); i > 0; i--) text = mutateText(rng, text, texts);
  }
  return text;
}
