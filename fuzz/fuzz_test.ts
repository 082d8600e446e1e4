/**
 * CI's short fuzz pass: every target, a fixed seed and a fixed number of
 * inputs, each target in a watched worker so a hanging parser fails the
 * test instead of stalling it. Any finding fails, printed with the command
 * that reproduces it. Also checks that the seeds are what the targets
 * assume.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  GenericNack,
  PictureLossIndication,
  ReceiverEstimatedMaxBitrate,
  RtcpPacketConverter,
  RtcpRrPacket,
  RtcpSourceDescriptionPacket,
  RtcpSrPacket,
  TransportWideCC,
} from "werift";
import { parseServerEvent, serverEventSchema } from "../lib/realtime/server_events.ts";
import { realtimeServerEvents, rtcpPackets } from "./corpus.ts";
import { formatFinding } from "./report.ts";
import { TARGETS } from "./targets.ts";
import type { TargetName } from "./target.ts";
import { runWatched } from "./watchdog.ts";

const SEED = 20_260_413;

/** Inputs per target: the JSON targets run zod on every input and are slower. */
const ITERATIONS: Partial<Record<TargetName, number>> = {
  webhook: 500,
  "webhook-route": 800,
  realtime: 500,
  "bridge-api": 500,
};

for (const target of TARGETS) {
  Deno.test(`fuzz ${target.name}: a short pass finds nothing`, async () => {
    const report = await runWatched(target, {
      seed: SEED,
      iterations: ITERATIONS[target.name] ?? 1000,
      budgetMs: 60_000,
      boundMs: 250, // CI machines are shared; a real problem takes far longer
      hangMs: 3_000,
      maxFindings: 3,
    });
    assert.equal(report.findings.length, 0, report.findings.map(formatFinding).join("\n\n"));
    assert.ok(report.iterations > 0);
  });
}

const RTCP_KINDS: [string, abstract new (...args: never[]) => unknown][] = [
  ["sr", RtcpSrPacket],
  ["rr", RtcpRrPacket],
  ["sdes", RtcpSourceDescriptionPacket],
  ["nack", GenericNack],
  ["twcc", TransportWideCC],
  ["pli", PictureLossIndication],
  ["remb", ReceiverEstimatedMaxBitrate],
];

function rtcpKind(packet: object): string {
  const inner = "feedback" in packet ? packet.feedback : packet;
  return RTCP_KINDS.find(([, type]) => inner instanceof type)?.[0] ?? "other";
}

Deno.test("fuzz seeds: each RTCP seed parses to the packet types written beside it", async () => {
  const seeds = await rtcpPackets();
  assert.deepEqual(
    new Set(seeds.flatMap((s) => s.kinds)),
    new Set(RTCP_KINDS.map(([kind]) => kind)),
  );
  for (const { bytes, kinds } of seeds) {
    assert.deepEqual(RtcpPacketConverter.deSerialize(Buffer.from(bytes)).map(rtcpKind), kinds);
  }
});

Deno.test("fuzz seeds: the Realtime seeds parse, and cover every server event type", async () => {
  const seen = new Set<string>();
  for (const line of await realtimeServerEvents()) {
    const r = parseServerEvent(line);
    assert.ok(r.ok, line);
    seen.add(r.event.type);
  }
  for (const option of serverEventSchema.options) {
    assert.ok(seen.has(option.shape.type.value), `no seed of ${option.shape.type.value}`);
  }
  assert.ok(seen.has("unknown"), "no seed of an unknown type");
});
