/**
 * The fuzzers' seeds, read from the project's fixtures: the RTP wire
 * fixtures, Meta's SDP offers, the webhook bodies, and the two seed files of
 * this folder (RTCP packets and Realtime server events, which have no
 * fixtures elsewhere).
 *
 * @module
 */
import { unhex } from "../tests/support/hex.ts";

const ROOT = new URL("../", import.meta.url);

/** Names of the files in `dir` (relative to the repository) ending in `ext`, sorted. */
async function filesIn(dir: string, ext: string): Promise<URL[]> {
  const base = new URL(`${dir}/`, ROOT);
  const names: string[] = [];
  for await (const entry of Deno.readDir(base)) {
    if (entry.isFile && entry.name.endsWith(ext)) names.push(entry.name);
  }
  return names.sort().map((name) => new URL(name, base));
}

/** Lines of a seed file in `fuzz/seeds/`, blank lines and `#` comments skipped. */
async function seedLines(name: string): Promise<string[]> {
  const text = await Deno.readTextFile(new URL(`fuzz/seeds/${name}`, ROOT));
  return text.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#"));
}

/** `lib/rtp/testdata/*.bin`: valid and malformed RTP packets. */
export async function rtpPackets(): Promise<Uint8Array[]> {
  return await Promise.all(
    (await filesIn("lib/rtp/testdata", ".bin")).map((u) => Deno.readFile(u)),
  );
}

/** `tests/fixtures/sdp/*.sdp`: Meta's offers, CRLF as sent. */
export async function sdpOffers(): Promise<string[]> {
  return await Promise.all(
    (await filesIn("tests/fixtures/sdp", ".sdp")).map((u) => Deno.readTextFile(u)),
  );
}

/** `tests/fixtures/webhooks/*.json`: webhook bodies as Meta posts them. */
export async function webhookBodies(): Promise<string[]> {
  return await Promise.all(
    (await filesIn("tests/fixtures/webhooks", ".json")).map((u) => Deno.readTextFile(u)),
  );
}

/** An RTCP seed: the packet and the werift packet types it holds, in order. */
export interface RtcpSeed {
  bytes: Uint8Array;
  kinds: string[];
}

/** `fuzz/seeds/rtcp.hex`: RTCP packets of every type werift parses. */
export async function rtcpPackets(): Promise<RtcpSeed[]> {
  return (await seedLines("rtcp.hex")).map((line) => {
    const [hex = "", ...kinds] = line.trim().split(/\s+/);
    return { bytes: unhex(hex), kinds };
  });
}

/** `fuzz/seeds/realtime_server_events.jsonl`: one frame per server event type the bridge reads. */
export function realtimeServerEvents(): Promise<string[]> {
  return seedLines("realtime_server_events.jsonl");
}
