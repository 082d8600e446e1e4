/**
 * Load benchmark: N concurrent calls (default 50, `BENCH_CALLS`) against a
 * bridge running as its own process with the echo agent, each call a fake
 * WhatsApp caller on loopback talking in 1 s tone bursts. The bridge's CPU and
 * memory are read from /proc, its per-frame figures from `/metrics`, and what
 * the callers heard is checked for gaps.
 *
 * `BENCH_DENO_FLAGS` adds flags to the bridge's `deno run` (e.g. `--cpu-prof
 * --cpu-prof-dir=/tmp/prof` to profile it under load).
 *
 * @module
 */
import type { BenchSuite, Figure } from "./figure.ts";
import { percentile } from "./figure.ts";
import { OpusEncoder } from "../lib/audio/opus.ts";
import { sine } from "../lib/audio/tone.ts";
import { WhatsAppCaller } from "../simulator/whatsapp_caller.ts";
import { startPostgres } from "../tests/support/postgres.ts";
import { BridgeClient } from "../lib/bridge_api/client.ts";
import { setPriority } from "node:os";
import { freePort } from "../tests/support/net.ts";
import { installWeriftPatches } from "../bridge/webrtc/werift_patches.ts";

const SECRET = "bench-bridge-secret-0123456789";
const CALLS = Number(Deno.env.get("BENCH_CALLS") ?? 50);
const MEASURE_MS = Number(Deno.env.get("BENCH_SECONDS") ?? 10) * 1000;
const PAGE = 4096;
/** Niceness of the load generator (this process) while it measures. */
const CALLER_NICENESS = 10;
const TICKS_PER_S = 100; // Linux USER_HZ

function procCpuTicks(pid: number): number {
  const fields = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1]!.split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

/** The bridge's scheduling, as MEDIA_REALTIME_PRIORITY left it: the pacing figure depends on it. */
function procPolicy(pid: number): string {
  const policy = Deno.readTextFileSync(`/proc/${pid}/sched`).match(/^policy\s*:\s*(\d+)/m)?.[1];
  return policy === "1" ? "SCHED_FIFO" : "normal priority";
}

function procRssBytes(pid: number): number {
  return Number(Deno.readTextFileSync(`/proc/${pid}/statm`).split(" ")[1]) * PAGE;
}

async function waitForHealth(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      const res = await fetch(`${url}/healthz`);
      await res.body?.cancel();
      if (res.ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("bridge did not start");
}

/** Cumulative bucket counts of a Prometheus histogram, by upper bound. */
function buckets(metrics: string, name: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const m of metrics.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\d+)$`, "gm"))) {
    out.set(m[1] === "+Inf" ? Infinity : Number(m[1]), Number(m[2]));
  }
  if (out.size === 0) throw new Error(`metric ${name} missing`);
  return out;
}

/**
 * The q-quantile of what a histogram recorded between two scrapes, as the
 * upper bound of the bucket it falls in (so "≤ 5" is exact at that bound).
 */
function windowQuantile(before: string, after: string, name: string, q: number): number {
  const a = buckets(before, name);
  const b = buckets(after, name);
  const total = b.get(Infinity)! - a.get(Infinity)!;
  for (const [le, count] of b) if (count - a.get(le)! >= q * total) return le;
  return Infinity;
}

/** Talks for a second, listens for a second (so the echo agent answers), pre-encoded once. */
function encodedVoice(): (i: number) => Uint8Array {
  const encoder = new OpusEncoder();
  const tone = sine(440, 24000, 24000, 8000);
  const silence = new Int16Array(480);
  const packets = Array.from(
    { length: 100 },
    (_, i) => encoder.encode(i < 50 ? tone.subarray(i * 480, (i + 1) * 480) : silence),
  );
  return (i) => packets[i % 100]!;
}

/** The concurrent-calls suite. */
export const suite: BenchSuite = {
  name: `bridge: ${CALLS} concurrent calls (echo agent, loopback, call records in PostgreSQL)`,
  async run(): Promise<Figure[]> {
    // Meta's relay runs elsewhere, in native code. The callers share the
    // bridge's two cores, so they take the bridge's fast SRTP and RTP parsing
    // rather than werift's (~5x the CPU per packet).
    installWeriftPatches();
    const port = freePort();
    // Production keeps call records in PostgreSQL; PGlite (dev's embedded
    // default) runs in the bridge's own event loop and is no load-test target.
    const pg = await startPostgres();
    const db = pg ? await pg.createDatabase() : undefined;
    const url = `http://127.0.0.1:${port}`;
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        ...(Deno.env.get("BENCH_DENO_FLAGS")?.split(" ") ?? []),
        ...(Deno.env.get("BENCH_V8_FLAGS") ? [`--v8-flags=${Deno.env.get("BENCH_V8_FLAGS")}`] : []),
        new URL("../bridge/main.ts", import.meta.url).pathname,
      ],
      env: {
        VOICE_BRIDGE_SECRET: SECRET,
        BRIDGE_HOST: "127.0.0.1",
        BRIDGE_PORT: String(port),
        ICE_INCLUDE_LOOPBACK: "true",
        ICE_ALLOW_PRIVATE_CANDIDATES: "true",
        AGENT: "echo",
        // Load tests send nothing off loopback: no start-up STUN probe (BRIDGE_NETWORK).
        STUN_SERVERS: "none",
        MAX_SESSIONS: String(CALLS + 10),
        MAX_CPU_PERCENT: "100",
        ...(db
          ? { DATABASE_URL: db.url, STORE_MIGRATE: "true" }
          : { STORE_PGLITE_DIR: "memory://" }),
        LOG_LEVEL: "warning",
      },
      stdout: Deno.env.get("BENCH_STDOUT") ? "inherit" : "null",
      stderr: "inherit",
    }).spawn();
    const auth = { authorization: `Bearer ${SECRET}` };
    // Session set-up includes ICE gathering, which takes longer under this load than in production.
    const bridge = new BridgeClient({ baseUrl: url, secret: SECRET, timeoutMs: 10_000 });
    const callers: WhatsAppCaller[] = [];
    const opusVoice = encodedVoice();
    try {
      await waitForHealth(url);
      // The callers stand in for Meta's relay across the Internet; here they
      // share the bridge's two cores. Once the bridge (and PostgreSQL) run at
      // normal priority, this process yields to them, as a remote peer would.
      setPriority(CALLER_NICENESS);
      await new Promise((r) => setTimeout(r, 500));
      let rssFirst = 0;
      const setupMs: number[] = [];
      const sessionIds: string[] = [];
      let failedSetups = 0;
      // Calls arrive one after another, as they would, not all in one instant.
      for (let i = 0; i < CALLS; i++) {
        const caller = await WhatsAppCaller.create({ opusVoice, decode: false });
        const t0 = performance.now();
        const { sessionId, sdp } = await bridge.createSession({
          callId: `wacid.bench${i}`,
          phoneNumberId: "1",
          from: "1",
          to: "2",
          sdp: caller.offerSdp,
        });
        sessionIds.push(sessionId);
        await caller.applyAnswer(sdp);
        try {
          await caller.connected(10_000);
        } catch {
          // Counted, not fatal: the figure below says how many calls never connected.
          failedSetups++;
          await caller.close();
          continue;
        }
        callers.push(caller);
        setupMs.push(caller.connectedAt! - t0);
        await bridge.acceptSession(sessionId);
        // Memory is the slope after the first call: startup allocations are not per call.
        if (i === 0) {
          await new Promise((r) => setTimeout(r, 1000));
          rssFirst = procRssBytes(child.pid);
        }
      }
      await new Promise((r) => setTimeout(r, 2000)); // settle: every call streaming both ways
      const heardBefore = callers.map((c) => c.heardRtp.length);
      // Figures cover the measuring window only: call set-up (DTLS crypto) stalls are excluded.
      const metricsBefore = await (await fetch(`${url}/metrics`, { headers: auth })).text();
      const cpu0 = procCpuTicks(child.pid);
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, MEASURE_MS));
      const cpuMs = ((procCpuTicks(child.pid) - cpu0) / TICKS_PER_S) * 1000;
      const wallMs = performance.now() - t0;
      const rssLoaded = procRssBytes(child.pid);
      const metrics = await (await fetch(`${url}/metrics`, { headers: auth })).text();

      // Every packet we heard in the window should follow its predecessor with no gap.
      let gaps = 0;
      let received = 0;
      callers.forEach((c, i) => {
        const rtp = c.heardRtp.slice(heardBefore[i]);
        received += rtp.length;
        for (let k = 1; k < rtp.length; k++) {
          if (((rtp[k]!.seq - rtp[k - 1]!.seq) & 0xffff) !== 1) gaps++;
        }
      });
      const expected = callers.length * (wallMs / 20);
      const lostAtBridge = Number(metrics.match(/^bridge_rtp_packets_lost (\S+)$/m)?.[1] ?? NaN);
      for (const id of sessionIds) {
        // A call that never connected may have ended already.
        await bridge.endSession(id, "bench_over").catch(() => {});
      }
      return [
        {
          name: "calls that failed to connect",
          value: failedSetups,
          unit: "calls",
          op: "<=",
          target: 0,
        },
        {
          name: "bridge CPU per call",
          value: (cpuMs / wallMs) * 100 / callers.length,
          unit: "% of one core",
          op: "<=",
          target: 1,
        },
        {
          name: "calls per core at that rate",
          value: callers.length / (cpuMs / wallMs),
          unit: "calls",
          op: ">=",
          target: 100,
        },
        {
          name: "per-frame processing caller→agent p99",
          value: windowQuantile(metricsBefore, metrics, "bridge_inbound_frame_ms", 0.99),
          unit: "ms",
          op: "<=",
          target: 2,
        },
        {
          name: "per-frame processing agent→caller p99",
          value: windowQuantile(metricsBefore, metrics, "bridge_outbound_frame_ms", 0.99),
          unit: "ms",
          op: "<=",
          target: 2,
        },
        {
          name: `outbound pacing: send-interval deviation p99 (bridge at ${procPolicy(child.pid)})`,
          value: windowQuantile(metricsBefore, metrics, "bridge_send_interval_deviation_ms", 0.99),
          unit: "ms",
          op: "<=",
          target: 5,
        },
        {
          name: "frames lost (sequence gaps heard by callers)",
          value: gaps,
          unit: "frames",
          op: "<=",
          target: 0,
        },
        {
          name: "caller frames lost at the bridge",
          value: lostAtBridge,
          unit: "frames",
          op: "<=",
          target: 0,
        },
        {
          name: "frames heard vs sent in window",
          value: (received / expected) * 100,
          unit: "%",
          op: ">=",
          target: 99,
        },
        {
          name: "memory per call",
          value: (rssLoaded - rssFirst) / Math.max(1, callers.length - 1) / 1e6,
          unit: "MB",
          op: "<=",
          target: 3,
        },
        {
          name: "POST /sessions → DTLS connected p50",
          value: percentile(setupMs, 50),
          unit: "ms",
          op: "<=",
          target: 300,
        },
        {
          name: "POST /sessions → DTLS connected p99",
          value: percentile(setupMs, 99),
          unit: "ms",
          op: "<=",
          target: 1000,
        },
      ];
    } finally {
      try {
        setPriority(0);
      } catch {
        // Raising priority back needs privilege; bench/suites.ts runs this suite last.
      }
      await Promise.all(callers.map((c) => c.close()));
      // A profiled bridge must exit on its own to write its profile.
      child.kill(Deno.env.get("BENCH_DENO_FLAGS") ? "SIGTERM" : "SIGKILL");
      await child.status;
      await db?.drop();
      await pg?.stop();
    }
  },
};
