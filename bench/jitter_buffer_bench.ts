/**
 * Jitter buffer cost per packet: one push and one pop per 20 ms Opus packet,
 * with every 8th pair of packets swapped in arrival.
 *
 * @module
 */
import { type BenchSuite, type Figure, timePerCallNs } from "./figure.ts";
import { JitterBuffer } from "../lib/rtp/jitter_buffer.ts";

/** Push + pop per packet on an endless, slightly reordered stream. */
export const suite: BenchSuite = {
  name: "jitter buffer (lib/rtp/jitter_buffer.ts)",
  run(): Promise<Figure[]> {
    const jb = new JitterBuffer({ clockRate: 48000, frameTicks: 960, minDelayMs: 40 });
    const payload = new Uint8Array(80);
    let i = 0;
    const ns = timePerCallNs(() => {
      // Packet k arrives at 20·k ms, except that every 8th pair arrives swapped.
      const k = i % 16 === 8 ? i + 1 : i % 16 === 9 ? i - 1 : i;
      jb.push({ sequenceNumber: k & 0xffff, timestamp: (k * 960) >>> 0, payload }, i * 20);
      const frame = jb.pop(i * 20 + 10);
      i++;
      return frame;
    });
    const { lost, late, reordered } = jb.stats;
    if (lost + late > 0 || reordered === 0) {
      throw new Error(`bench stream: lost ${lost}, late ${late}, reordered ${reordered}`);
    }
    return Promise.resolve([
      {
        name: "jitter buffer push + pop (20 ms Opus, 1/8 reordered)",
        value: ns / 1000,
        unit: "µs/packet",
        op: "<=",
        target: 1,
      },
    ]);
  },
};
