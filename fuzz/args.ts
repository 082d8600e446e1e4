/**
 * The flags of `deno task fuzz`, parsed and checked.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { isTargetName, TARGETS } from "./targets.ts";
import type { TargetName } from "./target.ts";

/** What a fuzz run was asked to do. */
export interface FuzzArgs {
  targets: TargetName[];
  /** Iterations per target. */
  iterations: number;
  /** Run seed; absent to draw one. */
  seed?: number;
  /** Wall-clock budget per target, in seconds. */
  seconds: number;
  /** Longest one input may take, in ms. */
  boundMs: number;
  /** An input running this long is a hang and its worker is killed (ms). */
  hangMs: number;
  /** Findings per target before it stops. */
  maxFindings: number;
  /** List the targets and exit. */
  list: boolean;
}

/** Defaults of {@linkcode FuzzArgs}. */
export const DEFAULTS: Omit<FuzzArgs, "targets" | "list"> = {
  iterations: 100_000,
  seconds: 120,
  boundMs: 100,
  hangMs: 2_000,
  maxFindings: 10,
};

/** Usage text. */
export const USAGE = `deno task fuzz [--target NAME]... [--iterations N] [--seed S] [--seconds T]
                [--bound-ms MS] [--hang-ms MS] [--max-findings N] [--list]

  --target NAME     fuzz only NAME (repeatable or comma-separated; default all)
  --iterations N    inputs per target (default ${DEFAULTS.iterations})
  --seed S          run seed, an unsigned 32-bit integer (default random, printed)
  --seconds T       wall-clock budget per target (default ${DEFAULTS.seconds})
  --bound-ms MS     one input over MS, twice, is a "slow" finding (default ${DEFAULTS.boundMs})
  --hang-ms MS      one input over MS is a "hang": its worker is killed (default ${DEFAULTS.hangMs})
  --max-findings N  stop a target after N findings (default ${DEFAULTS.maxFindings})
  --list            print the targets and exit`;

function count(text: string | undefined, fallback: number, what: string, min = 1): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) {
    throw new RangeError(`${what} must be an integer ≥ ${min}`);
  }
  return n;
}

/** Parses `args`; throws `RangeError` naming a bad flag or value. */
export function parseFuzzArgs(args: readonly string[]): FuzzArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        target: { type: "string", multiple: true },
        iterations: { type: "string" },
        seed: { type: "string" },
        seconds: { type: "string" },
        "bound-ms": { type: "string" },
        "hang-ms": { type: "string" },
        "max-findings": { type: "string" },
        list: { type: "boolean" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new RangeError(error instanceof Error ? error.message : String(error));
  }
  const names = (values.target ?? []).flatMap((t) => t.split(",")).filter((t) => t !== "");
  const unknown = names.filter((n) => !isTargetName(n));
  if (unknown.length > 0) throw new RangeError(`unknown target ${unknown.join(", ")}`);
  const seed = values.seed === undefined ? undefined : count(values.seed, 0, "--seed", 0);
  if (seed !== undefined && seed > 0xffffffff) throw new RangeError("--seed must fit 32 bits");
  return {
    targets: names.length > 0 ? names as TargetName[] : TARGETS.map((t) => t.name),
    iterations: count(values.iterations, DEFAULTS.iterations, "--iterations"),
    ...(seed === undefined ? {} : { seed }),
    seconds: count(values.seconds, DEFAULTS.seconds, "--seconds"),
    boundMs: count(values["bound-ms"], DEFAULTS.boundMs, "--bound-ms"),
    hangMs: count(values["hang-ms"], DEFAULTS.hangMs, "--hang-ms"),
    maxFindings: count(values["max-findings"], DEFAULTS.maxFindings, "--max-findings"),
    list: values.list ?? false,
  };
}
