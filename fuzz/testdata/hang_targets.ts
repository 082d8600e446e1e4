/**
 * A target registry for `watchdog_test.ts`: one target whose parser never
 * returns on some inputs, as a stuck parser would.
 *
 * @module
 */
import { defineTarget, type FuzzTarget } from "../target.ts";

/** Inputs the fake parser hangs on. */
export const HANGS_ON: readonly number[] = [3, 7];

/** Inputs 0–9; hangs on {@linkcode HANGS_ON}, throws a TypeError on 5. */
export const TARGETS: readonly FuzzTarget[] = [
  defineTarget({
    name: "rtp",
    about: "test double: hangs on some inputs",
    seeds: () => Promise.resolve([0]),
    generate: (rng) => rng.below(10),
    check(n) {
      if (n === 5) throw new TypeError("five");
      // deno-lint-ignore no-empty
      while (HANGS_ON.includes(n)) {}
    },
    encode: String,
  }),
];
