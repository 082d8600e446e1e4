import assert from "node:assert/strict";
import {
  applyTextMutation,
  INTERESTING_NUMBERS,
  loneSurrogate,
  MAX_MUTANT_CHARS,
  mutateText,
  TEXT_MUTATIONS,
  type TextMutation,
} from "./mutate_text.ts";
import { Rng } from "./rng.ts";

const SDP =
  "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n";
const OTHER = "v=0\r\na=ice-lite\r\na=candidate:1 1 udp 5 10.0.0.1 40000 typ host\r\n";

function apply(kind: TextMutation, seed: number, text = SDP): string {
  return applyTextMutation(new Rng(seed), kind, text, [SDP, OTHER]);
}

function lineCount(text: string): number {
  return text.split("\n").length;
}

Deno.test("mutateText: deterministic by seed", () => {
  const run = (seed: number) => {
    const rng = new Rng(seed);
    return Array.from({ length: 200 }, () => mutateText(rng, SDP, [SDP, OTHER]));
  };
  assert.deepEqual(run(5), run(5));
  assert.notDeepEqual(run(5), run(6));
});

Deno.test("line mutations delete, duplicate, swap and repeat whole lines", () => {
  for (let seed = 0; seed < 50; seed++) {
    assert.equal(lineCount(apply("delete_line", seed)), lineCount(SDP) - 1);
    assert.equal(lineCount(apply("duplicate_line", seed)), lineCount(SDP) + 1);
    const swapped = apply("swap_lines", seed);
    assert.deepEqual(swapped.split("\n").sort(), SDP.split("\n").sort());
    assert.ok(lineCount(apply("repeat_line", seed)) > lineCount(SDP));
  }
  const spliced = Array.from({ length: 50 }, (_, seed) => apply("splice_lines", seed));
  assert.ok(spliced.some((t) => t.includes("a=ice-lite") || t.includes("a=candidate")));
});

Deno.test("insert_unicode reaches lone surrogates, controls and astral characters", () => {
  const out = Array.from({ length: 400 }, (_, seed) => apply("insert_unicode", seed));
  assert.ok(out.filter((t) => !t.isWellFormed()).length > 40, "too few lone surrogates");
  assert.ok(out.some((t) => [...t].some((c) => c < " " && c !== "\r" && c !== "\n")));
  assert.ok(out.some((t) => /[\u{10000}-\u{10ffff}]/u.test(t)));
  const lone = loneSurrogate(new Rng(1));
  assert.equal(lone.length, 1);
  assert.equal(lone.isWellFormed(), false);
});

Deno.test("replace_number puts edge numbers where digits were", () => {
  const out = Array.from({ length: 200 }, (_, seed) => apply("replace_number", seed));
  for (const n of ["4294967296", "-1", "1e309", "9".repeat(400)]) {
    assert.ok(INTERESTING_NUMBERS.includes(n));
    assert.ok(out.some((t) => t.includes(n)), `never wrote ${n.slice(0, 12)}`);
  }
});

Deno.test("insert_token reaches escaped lone surrogates for JSON", () => {
  const out = Array.from({ length: 400 }, (_, seed) => apply("insert_token", seed, "{}"));
  assert.ok(out.some((t) => t.includes("\\ud800")));
});

Deno.test("every kind runs on empty text, and mutants stay under the cap", () => {
  for (const kind of TEXT_MUTATIONS) {
    for (let seed = 0; seed < 20; seed++) apply(kind, seed, "");
  }
  const big = "x\n".repeat(MAX_MUTANT_CHARS / 2);
  const rng = new Rng(9);
  for (let i = 0; i < 100; i++) assert.ok(mutateText(rng, big, [big]).length <= MAX_MUTANT_CHARS);
});
