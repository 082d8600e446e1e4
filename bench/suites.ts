/**
 * Every benchmark suite, in the order `deno task bench` prints them. Each lives
 * beside the module it measures as `*_bench.ts` and exports `suite`.
 *
 * @module
 */
import type { BenchSuite } from "./figure.ts";
import { suite as g711 } from "../lib/audio/g711_bench.ts";
import { suite as resample } from "../lib/audio/resample_bench.ts";
import { suite as opus } from "../lib/audio/opus_bench.ts";
import { suite as rtp } from "../lib/rtp/packet_bench.ts";
import { suite as jitter } from "../lib/rtp/jitter_buffer_bench.ts";
import { suite as srtp } from "../lib/srtp/srtp_bench.ts";
import { suite as webhook } from "../supabase/functions/webhook_bench.ts";
import { suite as calls } from "../bridge/bridge_bench.ts";
import { suite as callSetup } from "../tests/e2e/call_setup_bench.ts";

/** Suites in print order; `bench/run.ts` runs each in a process of its own. */
export const suites: BenchSuite[] = [
  g711,
  resample,
  opus,
  rtp,
  jitter,
  srtp,
  webhook,
  callSetup,
  calls,
];
