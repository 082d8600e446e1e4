import assert from "node:assert/strict";
import { DEFAULTS, parseFuzzArgs } from "./args.ts";
import { TARGETS } from "./targets.ts";

Deno.test("fuzz args: defaults fuzz every target with no seed chosen", () => {
  const args = parseFuzzArgs([]);
  assert.deepEqual(args.targets, TARGETS.map((t) => t.name));
  assert.equal(args.iterations, DEFAULTS.iterations);
  assert.equal(args.seconds, DEFAULTS.seconds);
  assert.equal(args.seed, undefined);
  assert.equal(args.list, false);
});

Deno.test("fuzz args: the reproduce command's flags, and repeated or comma-separated targets", () => {
  const args = parseFuzzArgs(["--target", "rtp", "--seed", "123", "--iterations", "1"]);
  assert.deepEqual(args.targets, ["rtp"]);
  assert.equal(args.seed, 123);
  assert.equal(args.iterations, 1);
  const many = parseFuzzArgs(["--target", "sdp,offer", "--target", "srtp", "--seconds", "5"]);
  assert.deepEqual(many.targets, ["sdp", "offer", "srtp"]);
  assert.equal(many.seconds, 5);
  assert.equal(parseFuzzArgs(["--seed", "0"]).seed, 0);
  assert.equal(parseFuzzArgs(["--seed", "4294967295"]).seed, 0xffffffff);
  const bounds = parseFuzzArgs(["--bound-ms", "20", "--hang-ms", "900", "--max-findings", "1"]);
  assert.deepEqual([bounds.boundMs, bounds.hangMs, bounds.maxFindings], [20, 900, 1]);
});

Deno.test("fuzz args: unknown targets, flags and bad numbers are refused", () => {
  for (
    const bad of [
      ["--target", "nope"],
      ["--iterations", "0"],
      ["--iterations", "1.5"],
      ["--iterations", "ten"],
      ["--seed", "-1"],
      ["--seed", "4294967296"],
      ["--seconds", "0"],
      ["--frobnicate"],
      ["positional"],
    ]
  ) {
    assert.throws(() => parseFuzzArgs(bad), RangeError, bad.join(" "));
  }
});
