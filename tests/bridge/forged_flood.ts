/**
 * Issue 13, item 5, as a measurement: a live loopback call whose media port
 * is flooded with forged SRTP datagrams (random SSRC and sequence number,
 * random bytes where the payload and tag go) while the caller talks in
 * 20 ms frames. It reports the frames the call lost and what the process's
 * memory grew by, after garbage collection, over the flood.
 *
 * The forgeries come either from a socket of their own (`"socket"`: the
 * bridge should drop them on the sender's address), or from the caller's
 * own socket (`"caller"`: an attacker who spoofs the caller's address, so
 * each one reaches SRTP authentication).
 *
 * It needs `--v8-flags=--expose-gc`, so tests and the bench run it as a
 * child process with {@linkcode runForgedFlood}; run directly it takes its
 * options as one JSON argument and prints a {@linkcode FloodResult} as JSON.
 *
 * @module
 */
import type { Address } from "../../bridge/webrtc/deno_udp_transport.ts";
import { LibcUdpTransport } from "../../bridge/webrtc/libc_udp_transport.ts";
import { OpusEncoder } from "../../lib/audio/opus.ts";
import { sine } from "../../lib/audio/tone.ts";
import { mulberry32 } from "../../simulator/prng.ts";
import { type TappedCall, tappedCall } from "./tapped_call.ts";

/** What to send. */
export interface FloodOptions {
  /** Forged datagrams per source. */
  count: number;
  /** Datagrams a second, sent in bursts each millisecond or so. */
  rate: number;
  /** Where the forgeries come from, one flood after the other in one call. */
  sources: Array<"socket" | "caller">;
}

/** One flood's figures. */
export interface FloodResult {
  source: "socket" | "caller";
  forged: number;
  seconds: number;
  /** Caller frames sent while the flood ran (and 300 ms after). */
  framesSent: number;
  /** Of those, frames the bridge never took from the socket, or took too late to play. */
  framesLost: number;
  lossPercent: number;
  /** V8 heap plus external (ArrayBuffer) memory, after GC, end minus start. */
  heapGrowthMB: number;
  rssGrowthMB: number;
  /** The session's `rtp` counters after the flood. */
  rtp: Record<string, number>;
}

const SETTLE_MS = 300;
/** At most this many datagrams back to back (the socket holds ~250 between two 20 ms drains). */
const MAX_BURST = 50;
const MB = 1024 * 1024;

/** A socket that sends synchronously where it can (libc), else through Deno's API. */
async function floodSocket(): Promise<
  { send(bytes: Uint8Array, to: Address): void; close(): void }
> {
  if (LibcUdpTransport.available) {
    const s = await LibcUdpTransport.init("udp4", { interfaceAddresses: { udp4: "127.0.0.1" } });
    return { send: (bytes, to) => void s.send(bytes, to), close: () => void s.close() };
  }
  const conn = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  return {
    send: (bytes, to) => void conn.send(bytes, { transport: "udp", hostname: to[0], port: to[1] }),
    close: () => conn.close(),
  };
}

function memory(call: TappedCall): { heap: number; rss: number } {
  // What the test agent and caller record is theirs, not the bridge's.
  call.agent.heard.length = 0;
  call.caller.heardRtp.length = 0;
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run with --v8-flags=--expose-gc");
  gc();
  gc();
  const m = Deno.memoryUsage();
  return { heap: m.heapUsed + m.external, rss: m.rss };
}

/** Sends `count` forged SRTP datagrams through `send` at `rate` a second; random from `seed`. */
async function sendForged(
  send: (bytes: Uint8Array) => void,
  count: number,
  rate: number,
  seed: number,
): Promise<void> {
  const rand = mulberry32(seed);
  const forged = new Uint8Array(12 + 42 + 10); // header, Opus-sized payload, tag
  const view = new DataView(forged.buffer);
  const start = performance.now();
  let sent = 0;
  while (sent < count) {
    // Bounded bursts: after a stall, catching up at once would only overflow the socket's buffer.
    const due = Math.min(
      count,
      sent + MAX_BURST,
      Math.ceil(((performance.now() - start) / 1000) * rate),
    );
    for (; sent < due; sent++) {
      for (let i = 12; i < forged.length; i += 4) view.setUint32(i, (rand() * 2 ** 32) >>> 0);
      // V=2, PT 111, random SEQ; random timestamp and SSRC.
      view.setUint32(0, 0x806f0000 | ((rand() * 65536) & 0xffff));
      view.setUint32(4, (rand() * 2 ** 32) >>> 0);
      view.setUint32(8, (rand() * 2 ** 32) >>> 0);
      send(forged);
    }
    await new Promise((r) => setTimeout(r, 1));
  }
}

async function flood(
  call: TappedCall,
  source: "socket" | "caller",
  { count, rate }: FloodOptions,
  seed: number,
): Promise<FloodResult> {
  const socket = source === "socket" ? await floodSocket() : undefined;
  const to = call.bridgeMedia;
  const send = (bytes: Uint8Array) =>
    socket ? socket.send(bytes, to) : call.caller.sendDatagram(bytes);
  // A short flood first, unmeasured: the code paths it takes get compiled outside the figures.
  await sendForged(send, Math.max(5000, count / 10), rate, ~seed);
  const memBefore = memory(call);
  const rtpBefore = await call.rtpStats();
  const sentBefore = call.caller.framesSent;
  const start = performance.now();
  await sendForged(send, count, rate, seed);
  const seconds = (performance.now() - start) / 1000;
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const framesSent = call.caller.framesSent - sentBefore;
  const rtp = await call.rtpStats();
  const memAfter = memory(call);
  socket?.close();
  const received = rtp.packetsReceived! - rtpBefore.packetsReceived!;
  const framesLost = Math.max(0, framesSent - received) + (rtp.late! - rtpBefore.late!);
  return {
    source,
    forged: count,
    seconds,
    framesSent,
    framesLost,
    lossPercent: (100 * framesLost) / framesSent,
    heapGrowthMB: (memAfter.heap - memBefore.heap) / MB,
    rssGrowthMB: (memAfter.rss - memBefore.rss) / MB,
    rtp,
  };
}

/** Places one call and floods it from each source in turn, in this process. */
export async function forgedFlood(options: FloodOptions): Promise<FloodResult[]> {
  const frame = new OpusEncoder().encode(sine(440, 24000, 480, 8000));
  const call = await tappedCall({ decode: false, opusVoice: () => frame });
  try {
    call.stopTap();
    await new Promise((r) => setTimeout(r, 1000)); // past the call's start-up allocations
    const results: FloodResult[] = [];
    // A seed per source: each flood's SSRCs are new to the bridge.
    for (const [i, source] of options.sources.entries()) {
      results.push(await flood(call, source, options, 0xf00d + i));
    }
    return results;
  } finally {
    await call.close();
  }
}

/** Runs {@linkcode forgedFlood} in a child process with `--expose-gc` and returns its results. */
export async function runForgedFlood(options: FloodOptions): Promise<FloodResult[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--v8-flags=--expose-gc",
      new URL(import.meta.url).pathname,
      JSON.stringify(options),
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`forged flood failed with exit code ${out.code}`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

if (import.meta.main) {
  const results = await forgedFlood(JSON.parse(Deno.args[0]!));
  console.log(JSON.stringify(results));
}
