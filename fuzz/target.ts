/**
 * What a fuzz target is: seeds, a generator of mutants from them, the
 * parser's contract as a check, and a printable form of an input.
 *
 * The contract of every parser the network reaches is the same in spirit:
 * return a value, or reject in the documented way (an error result, or an
 * exception the caller is known to catch), quickly. A check throws
 * {@linkcode ContractViolation} when an oracle fails; any other exception
 * escaping a check is a finding too.
 *
 * @module
 */
import type { Rng } from "./rng.ts";

/** The targets, one per parser (see `targets.ts`). */
export type TargetName =
  | "rtp"
  | "rtp-werift"
  | "rtcp"
  | "dtmf"
  | "srtp"
  | "sdp"
  | "offer"
  | "answer"
  | "webhook"
  | "webhook-route"
  | "webhook-signature"
  | "realtime"
  | "bridge-api";

/** A parser's result broke its documented contract (an oracle failed). */
export class ContractViolation extends Error {
  /** @param message What the parser did that it must not. */
  constructor(message: string) {
    super(message);
    this.name = "ContractViolation";
  }
}

/** Throws a {@linkcode ContractViolation} unless `ok`. */
export function expect(ok: boolean, message: string): asserts ok {
  if (!ok) throw new ContractViolation(message);
}

/** One generated input, ready to run. */
export interface FuzzCase {
  /** Runs the parser on the input; throws on a finding. */
  run(): void | Promise<void>;
  /** The input in printable form (base64 or JSON), for the finding report. */
  encode(): string;
}

/** A target with its seeds loaded. */
export interface LoadedTarget {
  /** How many seeds it mutates. */
  readonly seedCount: number;
  /** The input of one iteration, a pure function of `rng`'s state. */
  generate(rng: Rng): FuzzCase;
}

/** A fuzz target, as the runner sees it. */
export interface FuzzTarget {
  readonly name: TargetName;
  /** The parser under test and its contract, one line. */
  readonly about: string;
  /** Loads the seeds (reads fixtures). */
  load(): Promise<LoadedTarget>;
}

/** How to build a target whose seeds are `S` and inputs `I`. */
export interface TargetSpec<S, I> {
  name: TargetName;
  about: string;
  seeds(): Promise<readonly S[]>;
  /** A mutant of the seeds. */
  generate(rng: Rng, seeds: readonly S[]): I;
  /** Runs the parser on `input` and checks its contract. */
  check(input: I): void | Promise<void>;
  encode(input: I): string;
}

/** A {@linkcode FuzzTarget} from its spec (the input type stays inside). */
export function defineTarget<S, I>(spec: TargetSpec<S, I>): FuzzTarget {
  return {
    name: spec.name,
    about: spec.about,
    async load() {
      const seeds = await spec.seeds();
      if (seeds.length === 0) throw new Error(`fuzz target ${spec.name} has no seeds`);
      return {
        seedCount: seeds.length,
        generate(rng) {
          const input = spec.generate(rng, seeds);
          return { run: () => spec.check(input), encode: () => spec.encode(input) };
        },
      };
    },
  };
}

/**
 * A seed with 1, 2, 4 or 8 stacked mutations (AFL's "havoc"); one in 16 inputs is a
 * seed as is, which keeps the seeds themselves checked.
 */
export function havoc<T>(
  rng: Rng,
  seeds: readonly T[],
  mutate: (rng: Rng, input: T, corpus: readonly T[]) => T,
): T {
  let input = rng.pick(seeds);
  if (rng.chance(1 / 16)) return input;
  const rounds = 2 ** rng.below(4);
  for (let i = 0; i < rounds; i++) input = mutate(rng, input, seeds);
  return input;
}

/** Base64 of bytes, for reports. */
export function base64(bytes: Uint8Array): string {
  return bytes.toBase64();
}
