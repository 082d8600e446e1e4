/**
 * One WhatsApp call across a NAT lab: the relay node in the public
 * namespace, the bridge node in the bridge namespace, SDP carried between
 * them by the test over pipes (standing in for Meta's webhooks and Graph),
 * and everything both sides reported, for the case tests to judge.
 *
 * @module
 */
import assert from "node:assert/strict";
import { JsonLines, JsonWriter } from "../support/json_lines.ts";
import { startCoturn, type TlsCoturn } from "../support/coturn.ts";
import { type NatLab, spawnIn } from "../support/netns.ts";
import type { ToneSecond } from "./tone_count.ts";

/** The caller's tone (Meta relay) and the agent's (bridge). */
export const CALLER_HZ = 440;
export const AGENT_HZ = 1000;

const RELAY = new URL("./relay_node.ts", import.meta.url).pathname;
const BRIDGE = new URL("./bridge_node.ts", import.meta.url).pathname;

/** Options of {@linkcode runCall}. */
export interface CallOptions {
  /** The relay's address (one of `lab.publicAddrs`). */
  relayAddr: string;
  /** Bridge environment (PUBLIC_IP, ICE_SERVERS, ...). */
  bridgeEnv?: Record<string, string>;
  /** bridge_node's NODE_CONFIG extras (silent stretch, wait bound). */
  node?: Record<string, unknown>;
  /** How long the call runs after accept, s. */
  durationS: number;
  /** Called every second of the accepted call with seconds elapsed (for router probes). */
  everySecond?: (sec: number) => Promise<void>;
}

/** One reported line with its wall-clock time. */
type Line = Record<string, unknown> & { at?: number };

/** What both sides reported. */
export interface CallResult {
  offer: string;
  /** Wall-clock time the offer went to the bridge. */
  offerAt: number;
  answer: string | undefined;
  /** Bridge-side ms from offer to answer, connected, accepted or rejected. */
  answerMs: number | undefined;
  connectedMs: number | undefined;
  acceptedMs: number | undefined;
  rejected: { reason: string; ms: number } | undefined;
  acceptedAt: number | undefined;
  relayHeard: Array<ToneSecond & { rtp: number; at: number }>;
  agentHeard: Array<ToneSecond & { sent: number; received: number; state: string; at: number }>;
  pairs: Array<{ remote: string; type: string; local: string; at: number }>;
  dropped: Line | undefined;
  logs: Array<{ level: string; event: string; props: Record<string, unknown>; at: number }>;
  relayConnected: boolean | undefined;
  /** Everything the bridge node printed that was not JSON (crashes), for messages. */
  bridgeOther: string[];
}

/** Runs the call; the lab stays up (the caller closes it). */
export async function runCall(lab: NatLab, opts: CallOptions): Promise<CallResult> {
  const env = { OPUS_FORCE_WASM: "1" };
  const relay = lab.lab.spawn(lab.ns.public, Deno.execPath(), [
    "run",
    "-A",
    RELAY,
    opts.relayAddr,
    String(CALLER_HZ),
    String(AGENT_HZ),
  ], env);
  const bridge = lab.lab.spawn(lab.ns.bridge, Deno.execPath(), ["run", "-A", BRIDGE], {
    ...env,
    LOG_FORMAT: "json",
    ...opts.bridgeEnv,
    NODE_CONFIG: JSON.stringify({ hz: AGENT_HZ, otherHz: CALLER_HZ, ...opts.node }),
  });
  const rOut = new JsonLines<Line>(relay.child.stdout);
  const bOut = new JsonLines<Line>(bridge.child.stdout);
  const rIn = new JsonWriter(relay.child.stdin);
  const bIn = new JsonWriter(bridge.child.stdin);
  void drain(relay.child.stderr, rOut.other);
  void drain(bridge.child.stderr, bOut.other);
  await bOut.next((l) => l.ready === true, 30_000, "bridge ready");
  const offer = String((await rOut.next((l) => "offer" in l, 20_000, "relay offer")).offer);
  const offerAt = Date.now();
  await bIn.send({ offer });
  const first = await bOut.next((l) => "answer" in l || "rejected" in l, 15_000, "answer");
  if ("answer" in first) await rIn.send({ answer: first.answer });
  let acceptedAt: number | undefined;
  if ("answer" in first) {
    const end = await bOut.next((l) => "accepted" in l || "rejected" in l, 30_000, "accept");
    if ("accepted" in end) {
      acceptedAt = Date.now();
      for (let s = 0; s < opts.durationS; s++) {
        await new Promise((r) => setTimeout(r, 1000));
        await opts.everySecond?.(s);
      }
    }
  }
  await bIn.send({ end: true });
  await rIn.send({ close: true });
  await Promise.race([
    Promise.all([bOut.done, rOut.done]),
    new Promise((r) => setTimeout(r, 10_000)),
  ]);
  await Promise.all([relay.stop(), bridge.stop()]);
  return { ...collect(offer, acceptedAt, rOut, bOut), offerAt };
}

function collect(
  offer: string,
  acceptedAt: number | undefined,
  r: JsonLines<Line>,
  b: JsonLines<Line>,
): Omit<CallResult, "offerAt"> {
  const pick = (key: string) => b.lines.find((l) => key in l);
  const rejected = pick("rejected");
  return {
    offer,
    answer: pick("answer")?.answer as string | undefined,
    answerMs: pick("answer")?.ms as number | undefined,
    connectedMs: b.lines.find((l) => l.connected === true)?.ms as number | undefined,
    acceptedMs: pick("accepted")?.ms as number | undefined,
    rejected: rejected ? { reason: String(rejected.reason), ms: Number(rejected.ms) } : undefined,
    acceptedAt,
    relayHeard: r.lines.filter((l) => "heard" in l).map((l) => ({
      ...(l.heard as ToneSecond & { rtp: number }),
      at: l.at!,
    })),
    agentHeard: b.lines.filter((l) => "agent" in l).map((l) => ({
      ...(l.agent as ToneSecond & { sent: number; received: number; state: string }),
      at: l.at!,
    })),
    pairs: r.lines.filter((l) => "pair" in l).map((l) => ({
      ...(l.pair as { remote: string; type: string; local: string }),
      at: l.at!,
    })),
    dropped: r.lines.find((l) => "dropped" in l),
    logs: b.lines.filter((l) => "log" in l).map((l) => ({
      ...(l.log as { level: string; event: string; props: Record<string, unknown> }),
      at: l.at!,
    })),
    relayConnected: r.lines.find((l) => "connected" in l)?.connected as boolean | undefined,
    bridgeOther: b.other,
  };
}

async function drain(stream: ReadableStream<Uint8Array>, into: string[]): Promise<void> {
  const dec = new TextDecoder();
  try {
    for await (const chunk of stream) {
      for (const line of dec.decode(chunk).split("\n")) {
        if (line.trim()) into.push(line.slice(0, 500));
      }
    }
  } catch {
    // Killed.
  }
}

/** Per-window shares of the expected 50 frames/s that carried each side's tone. */
export interface ToneWindows {
  /** Share of frames with the agent's tone the caller heard, per window. */
  callerHearsAgent: number[];
  /** Share of frames with the caller's tone the agent heard, per window. */
  agentHearsCaller: number[];
}

/**
 * Shares per `windowS` window from 1 s after accept (the first second holds
 * ICE/DTLS settling and jitter-buffer fill); windows overlapping `skip`
 * (seconds after accept, e.g. a silent stretch) are left out.
 */
export function toneWindows(
  res: CallResult,
  windowS = 5,
  skip?: [number, number],
): ToneWindows {
  const t0 = res.acceptedAt!;
  const shares = (
    secs: Array<ToneSecond & { at: number }>,
    hz: number,
  ) => {
    const out: number[] = [];
    const usable = secs.filter((s) => s.at >= t0 + 1500);
    for (let w = 0; w + windowS <= usable.length; w += windowS) {
      const win = usable.slice(w, w + windowS);
      const from = (win[0]!.at - t0) / 1000 - 1;
      const to = (win.at(-1)!.at - t0) / 1000;
      if (skip && to > skip[0] && from < skip[1]) continue;
      out.push(win.reduce((n, s) => n + (s.tones[hz] ?? 0), 0) / (50 * windowS));
    }
    return out.map((x) => Math.round(x * 100) / 100);
  };
  return {
    callerHearsAgent: shares(res.relayHeard, AGENT_HZ),
    agentHearsCaller: shares(res.agentHeard, CALLER_HZ),
  };
}

/** Asserts a call of at least `minS` s carried tones both ways in every window, no drop. */
export function assertTonesBothWays(
  res: CallResult,
  minS: number,
  opts: { minShare?: number; skip?: [number, number] } = {},
): ToneWindows {
  const why = res.bridgeOther.slice(-5).join(" | ");
  assert.equal(res.rejected, undefined, `call rejected: ${JSON.stringify(res.rejected)} ${why}`);
  assert.ok(res.acceptedAt, `never accepted ${why}`);
  assert.equal(
    res.dropped,
    undefined,
    `the relay dropped the call: ${JSON.stringify(res.dropped)}`,
  );
  const w = toneWindows(res, 5, opts.skip);
  const min = opts.minShare ?? 0.8;
  const heardFor = res.relayHeard.filter((s) => s.at > res.acceptedAt!).length;
  assert.ok(heardFor >= minS, `relay reported ${heardFor} s of the call, wanted ${minS}`);
  // Whole 5 s windows after the first 1.5 s, less those a skipped stretch overlaps.
  const skipped = opts.skip ? opts.skip[1] - opts.skip[0] + 5 : 0;
  const windows = Math.floor((minS - 2 - skipped) / 5);
  for (const shares of [w.agentHearsCaller, w.callerHearsAgent]) {
    assert.ok(shares.length >= windows, `${windows} windows wanted: ${JSON.stringify(w)}`);
  }
  for (const [side, shares] of Object.entries(w) as Array<[string, number[]]>) {
    assert.ok(shares.every((s) => s >= min), `${side} below ${min}: ${JSON.stringify(w)}`);
  }
  return w;
}

/** The answer's `a=candidate` lines as [address, port, type]. */
export function answerCandidates(sdp: string): Array<[string, string, string]> {
  return sdp.split("\r\n").filter((l) => l.startsWith("a=candidate:")).map((l) => {
    const f = l.split(" ");
    return [f[4]!, f[5]!, f[7]!];
  });
}

/** What {@linkcode minuteCall} returns: the call, its tone windows and the answer's candidates. */
export interface MinuteCall {
  res: CallResult;
  windows: ToneWindows;
  cands: Array<[string, string, string]>;
}

/**
 * A 62 s call from the relay on `lab.publicAddrs[0]` that must carry tones
 * both ways for 60 s ({@linkcode assertTonesBothWays}); `bridgeEnv` as in
 * {@linkcode CallOptions}.
 */
export async function minuteCall(
  lab: NatLab,
  bridgeEnv: Record<string, string> = {},
): Promise<MinuteCall> {
  const res = await runCall(lab, { relayAddr: lab.publicAddrs[0]!, durationS: 62, bridgeEnv });
  const windows = assertTonesBothWays(res, 60);
  return { res, windows, cands: answerCandidates(res.answer!) };
}

/** Prints a case's figures as one JSON line: timings, then what the case adds. */
export function reportCase(name: string, res: CallResult, extra: Record<string, unknown>): void {
  console.log(JSON.stringify({
    case: name,
    answerMs: res.answerMs,
    connectedMs: res.connectedMs,
    acceptedMs: res.acceptedMs,
    ...extra,
  }));
}

/**
 * A real coturn on `addr` in the lab's public namespace for the TURN cases:
 * TCP on 3478, TLS on 5349 (a throwaway CA, for ICE_TURN_CA_FILE), relays on
 * 49300-49400. Stop it before the lab closes: `lab.close()` ends the process
 * but leaves the certificate directory.
 */
export function labCoturn(lab: NatLab, addr: string): Promise<TlsCoturn> {
  return startCoturn({
    listen: [addr],
    port: 3478,
    tls: { port: 5349 },
    relayPorts: [49300, 49400],
    spawn: spawnIn(lab.lab, lab.ns.public),
  });
}
