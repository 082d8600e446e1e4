/**
 * Recording's cost on the media path: the same load, N calls (default 50,
 * `BENCH_CALLS`) of the real CallMedia on one shared 20 ms clock, run in
 * alternating windows with recording off and on (off, on, on, off) in this
 * one process, so drift over the run hits both alike. Each call receives a
 * caller packet and sends an agent packet every tick (the agent talks 1 s of
 * every 2, as the echo agent does); with recording on, every payload also
 * goes to the call's raw file in a temporary RECORDINGS_DIR.
 *
 * The ratio is of the media path alone (no SRTP, no sockets, no agent), so
 * it overstates recording's share of the whole bridge's CPU: a stricter test
 * of the issue's "at most +10 % CPU per call". It counts rendering each
 * call's file after the call too (spread over the call's length). Storage is
 * the rendered stereo file's size per call minute.
 *
 * @module
 */
import type { BenchSuite, Figure } from "./figure.ts";
import { OpusEncoder } from "../lib/audio/opus.ts";
import { sine } from "../lib/audio/tone.ts";
import { type CallMedia, newMediaHistograms } from "../bridge/media/call_media.ts";
import { scriptedCallMedia } from "../bridge/media/scripted_caller.ts";
import { SharedFrameClock } from "../bridge/media/frame_clock.ts";
import { OutboundPlayer } from "../bridge/media/outbound_player.ts";
import { finishRecording, startRecording } from "../bridge/recording/recordings.ts";
import { requestRealtimePriority } from "../bridge/realtime_priority.ts";
import { percentile } from "./figure.ts";

const CALLS = Number(Deno.env.get("BENCH_CALLS") ?? 50);
const WINDOW_MS = Number(Deno.env.get("BENCH_RECORDING_WINDOW_S") ?? 20) * 1000;
const TICKS_PER_S = 100; // Linux USER_HZ
/** Off/on window pairs. */
const ROUNDS = Number(Deno.env.get("BENCH_RECORDING_ROUNDS") ?? 2);

function cpuMs(): number {
  const fields = Deno.readTextFileSync("/proc/self/stat").split(") ")[1]!.split(" ");
  return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_S) * 1000;
}

/** Talks for a second, silent for a second, pre-encoded once. */
function callerVoice(): (i: number) => Uint8Array {
  const encoder = new OpusEncoder();
  const tone = sine(440, 24000, 24000, 8000);
  const packets = Array.from(
    { length: 100 },
    (_, i) => encoder.encode(i < 50 ? tone.subarray(i * 480, (i + 1) * 480) : new Int16Array(480)),
  );
  return (i) => packets[i % 100]!;
}

interface WindowResult {
  cpuMs: number;
  wallMs: number;
  pacingP99: number;
  callIds: string[];
}

async function runWindow(record: boolean, dir: string, round: number): Promise<WindowResult> {
  const clock = new SharedFrameClock();
  const histograms = newMediaHistograms();
  const voice = callerVoice();
  const agentTone = sine(1000, 24000, 24000, 8000);
  const calls: Array<{ media: CallMedia; player: OutboundPlayer; id: string }> = [];
  for (let c = 0; c < CALLS; c++) {
    const id = `wacid.bench${round}.${c}`;
    const player = new OutboundPlayer();
    const tap = record
      ? startRecording({ enabled: true, dir, announcement: undefined }, id)
      : undefined;
    const media = scriptedCallMedia({
      // A caller packet every tick.
      arrivals: (
        n,
      ) => [{ sequenceNumber: n & 0xffff, timestamp: (n * 960) >>> 0, payload: voice(n) }],
      player,
      clock,
      histograms,
      tap,
    });
    media.start();
    calls.push({ media, player, id });
  }
  // The agent talks 1 s of every 2 in each call.
  const talk = setInterval(() => {
    for (const c of calls) if (c.player.queuedMs() === 0) c.player.enqueue(agentTone, "t");
  }, 2000);
  // Settle: every call on the clock, the start-up of 50 calls out of the figures.
  await new Promise((r) => setTimeout(r, 1000));
  // Pacing over the window only: CallMedia reads the histogram through this object each frame.
  histograms.sendIntervalDeviationMs = newMediaHistograms().sendIntervalDeviationMs;
  const cpu0 = cpuMs();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, WINDOW_MS));
  const cpu = cpuMs() - cpu0;
  const wallMs = performance.now() - t0;
  clearInterval(talk);
  for (const c of calls) c.media.stop();
  return {
    cpuMs: cpu,
    wallMs,
    pacingP99: histograms.sendIntervalDeviationMs.percentile(99),
    callIds: calls.map((c) => c.id),
  };
}

/** The recording on/off suite. */
export const suite: BenchSuite = {
  name: `recording: ${CALLS} calls' media path, recording off vs on in one run`,
  async run(): Promise<Figure[]> {
    // As the bridge runs its media (MEDIA_REALTIME_PRIORITY): pacing is judged under SCHED_FIFO.
    const rt = requestRealtimePriority(10);
    const dir = await Deno.makeTempDir({ prefix: "recording-bench-" });
    try {
      const off: WindowResult[] = [];
      const on: WindowResult[] = [];
      // Off, on, on, off, …: a window costs more the later it runs in the process (an A/A run,
      // off against off, read +8 % for the second window), and this order cancels that drift.
      for (let round = 0; round < ROUNDS; round++) {
        for (const record of round % 2 === 0 ? [false, true] : [true, false]) {
          (record ? on : off).push(await runWindow(record, dir, round * 2 + (record ? 1 : 0)));
        }
      }
      const rate = (ws: WindowResult[]) =>
        ws.reduce((n, w) => n + w.cpuMs, 0) / ws.reduce((n, w) => n + w.wallMs, 0);
      const renderCpu0 = cpuMs();
      let bytes = 0;
      let durationMs = 0;
      for (const id of on.flatMap((w) => w.callIds)) {
        const done = await finishRecording(id, dir);
        if (done) {
          bytes += done.bytes;
          durationMs += done.durationMs;
        }
      }
      const renderCpuMs = cpuMs() - renderCpu0;
      const raw = await Deno.readDir(`${dir}/raw`)[Symbol.asyncIterator]().next();
      if (!raw.done) throw new Error("a raw file was left after finishRecording");
      const minutes = durationMs / 60000;
      // Recording's whole cost per call: the taps during the call plus rendering the file after.
      const perCallOn = rate(on) / CALLS + renderCpuMs / durationMs;
      const ratio = perCallOn / (rate(off) / CALLS);
      const pacing = (ws: WindowResult[]) => percentile(ws.map((w) => w.pacingP99), 50);
      console.log(
        `  (media path CPU: off ${(rate(off) * 100 / CALLS).toFixed(3)} %, on ${
          (rate(on) * 100 / CALLS).toFixed(3)
        } % of a core per call; pacing p99 per window off ${
          off.map((w) => w.pacingP99.toFixed(2)).join("/")
        }, on ${on.map((w) => w.pacingP99.toFixed(2)).join("/")} ms at ${
          rt.ok ? "SCHED_FIFO" : `normal priority (${rt.reason})`
        }; render ${(renderCpuMs / minutes).toFixed(1)} ms CPU per call minute)`,
      );
      return [
        {
          name: "media-path CPU per call incl. the render, recording on / off",
          value: ratio,
          unit: "×",
          op: "<=",
          target: 1.1,
        },
        {
          name: "send-interval deviation p99 (median window), recording on",
          value: pacing(on),
          unit: "ms",
          op: "<=",
          target: 5,
        },
        {
          name: "send-interval deviation p99 (median window), recording on minus off",
          value: pacing(on) - pacing(off),
          unit: "ms",
          op: "<=",
          target: 1,
        },
        {
          name: "recording storage per call minute",
          value: bytes / 1e6 / minutes,
          unit: "MB",
          op: "<=",
          target: 0.5,
        },
      ];
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
};
