/**
 * What the inbound media checks of issue 13 cost, and what they protect.
 *
 * - Per packet: the replay window and ROC of `SrtpReceiveState` for a packet
 *   in order, and the whole fast-path receive of a 42-byte SRTP packet
 *   (source check, replay check, AES-CM authentication and decryption,
 *   delivery) on a fake werift transport, in CPU time.
 * - Under attack: 400,000 forged SRTP datagrams (random SSRC and sequence
 *   number) at a live call's media port, from another socket and then from
 *   the caller's own address, at 10,000 a second in bounded bursts while
 *   the caller talks in 20 ms frames (`tests/bridge/forged_flood.ts`). The
 *   figures are the call's frames lost and the memory the flood leaves
 *   behind: V8 heap plus external memory after GC (the RSS growth is in the
 *   name; the first flood of a process also grows V8's heap reservation).
 *
 * @module
 */
import { type BenchSuite, type Figure, timePerCallNs } from "./figure.ts";
import { SrtpReceiveState } from "../lib/srtp/srtp_receive_state.ts";
import { FakeMediaLink } from "../bridge/webrtc/media_fast_path_test_utils.ts";
import { runForgedFlood } from "../tests/bridge/forged_flood.ts";

const FLOOD = 400_000;
const SEQS = 65536;

function replayStateNs(): number {
  const state = new SrtpReceiveState();
  let seq = 0;
  return timePerCallNs(() => {
    seq = (seq + 1) & 0xffff;
    const roc = state.admit(0x1234, seq);
    state.accept(0x1234, seq, roc);
    return roc;
  }, 500);
}

/** CPU time of this thread, in ms (Linux); wall time elsewhere. */
function cpuMs(): number {
  try {
    const fields = Deno.readTextFileSync("/proc/thread-self/stat").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, 100 ticks a second
  } catch {
    return performance.now();
  }
}

/** Every sequence number once per fresh link, so each packet is new to its replay window. */
function fastPathReceiveUs(): number {
  const packets = Array.from({ length: SEQS }, (_, seq) => new FakeMediaLink().seal(seq));
  const round = () => {
    const link = new FakeMediaLink();
    for (const p of packets) link.receive(p);
    if (link.delivered.length !== SEQS) throw new Error("the fast path lost a packet");
  };
  for (let i = 0; i < 3; i++) round();
  const rounds = 16;
  const start = cpuMs();
  for (let i = 0; i < rounds; i++) round();
  return ((cpuMs() - start) * 1000) / (rounds * SEQS);
}

function floodFigures(r: Awaited<ReturnType<typeof runForgedFlood>>[number]): Figure[] {
  const from = r.source === "socket" ? "another socket" : "the caller's address";
  const rss = `${r.rssGrowthMB >= 0 ? "+" : ""}${r.rssGrowthMB.toFixed(1)} MB`;
  return [
    {
      name: `caller frames lost, 400,000 forged datagrams from ${from} ` +
        `(${r.framesLost} of ${r.framesSent})`,
      value: r.lossPercent,
      unit: "%",
      op: "<=",
      target: 1,
    },
    {
      name: `memory they leave, heap + external after GC (RSS ${rss})`,
      value: r.heapGrowthMB,
      unit: "MB",
      op: "<=",
      target: 5,
    },
  ];
}

/** Replay checks per packet, and loss and memory under each forged flood. */
export const suite: BenchSuite = {
  name: "inbound media (replay window, source check, forged flood)",
  async run(): Promise<Figure[]> {
    const figures: Figure[] = [
      {
        name: "SrtpReceiveState admit + accept, a packet in order",
        value: replayStateNs(),
        unit: "ns/packet",
        op: "<=",
        target: 100,
      },
      {
        name: "media fast path receive, 42-byte SRTP packet (checks, AES-CM, delivery), CPU",
        value: fastPathReceiveUs(),
        unit: "µs/packet",
        op: "<=",
        target: 5,
      },
    ];
    const floods = await runForgedFlood({
      count: FLOOD,
      rate: 10_000,
      sources: ["socket", "caller"],
    });
    return [...figures, ...floods.flatMap(floodFigures)];
  },
};
