/**
 * Every benchmark suite, in the order `deno task bench` prints them. Each lives
 * beside the module it measures as `*_bench.ts` and exports `suite`.
 *
 * @module
 */
import type { BenchSuite } from "./figure.ts";
import { suite as g711 } from "./g711_bench.ts";
import { suite as resample } from "./resample_bench.ts";
import { suite as opus } from "./opus_bench.ts";
import { suite as rtp } from "./rtp_packet_bench.ts";
import { suite as jitter } from "./jitter_buffer_bench.ts";
import { suite as srtp } from "./srtp_bench.ts";
import { suite as inboundMedia } from "./inbound_media_bench.ts";
import { suite as webhook } from "./webhook_bench.ts";
import { suite as calls } from "./calls_bench.ts";
import { suite as callSetup } from "./call_setup_bench.ts";
import { suite as recording } from "./recording_bench.ts";
import { suite as consolePages } from "./console_bench.ts";

/** Suites in print order; `bench/run.ts` runs each in a process of its own. */
export const suites: BenchSuite[] = [
  g711,
  resample,
  opus,
  rtp,
  jitter,
  srtp,
  inboundMedia,
  webhook,
  recording,
  callSetup,
  calls,
  consolePages,
];
