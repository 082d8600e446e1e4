/**
 * How a fuzz run reads on the terminal: one line per target, then each
 * finding with the command that reproduces it.
 *
 * @module
 */
import { type Finding, reproduceCommand, type TargetReport } from "./runner.ts";

/** Longest input printed on the terminal (the findings file keeps it whole). */
const MAX_PRINTED_INPUT = 2_000;

/** `rtp   100000 iterations   43526 execs/s   0 findings   2.3 s`. */
export function formatReport(r: TargetReport): string {
  return [
    r.target.padEnd(18),
    `${r.iterations}`.padStart(9),
    "iterations",
    `${Math.round(r.execsPerSecond)}`.padStart(8),
    "execs/s",
    `${r.findings.length}`.padStart(4),
    r.findings.length === 1 ? "finding " : "findings",
    `${(r.elapsedMs / 1000).toFixed(1)} s`.padStart(8),
  ].join(" ");
}

/** A finding: what broke, how to reproduce it, the input and the top of the stack. */
export function formatFinding(f: Finding): string {
  const input = f.input === undefined
    ? []
    : [`  input: ${
      f.input.length > MAX_PRINTED_INPUT
        ? `${f.input.slice(0, MAX_PRINTED_INPUT)}… (${f.input.length} chars)`
        : f.input
    }`];
  const stack = f.stack?.split("\n").slice(1, 7).map((l) => `  ${l.trim()}`) ?? [];
  return [
    `${f.target} ${f.kind} at iteration ${f.iteration} (seed ${f.seed}): ${f.message}`,
    `  reproduce: ${reproduceCommand(f)}`,
    ...input,
    ...stack,
  ].join("\n");
}
