/**
 * Stand-ins for a session's peer, agent, Meta and clock, driven by the test,
 * so session and HTTP tests run without werift or sockets.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { FRAME_SAMPLES, OpusEncoder, RTP_TICKS_PER_FRAME } from "../../lib/audio/opus.ts";
import type { Agent, AgentContext } from "../../bridge/agents/agent.ts";
import type { MediaPort } from "../../bridge/media/call_media.ts";
import type { Scheduler, TimerHandle } from "../../bridge/media/frame_clock.ts";
import type { CallTerminator, SessionPeer } from "../../bridge/session/session_deps.ts";

/** A real Meta offer (captured in production), valid for `validateWhatsAppOffer`. */
export const META_OFFER = readFileSync(
  new URL("../fixtures/sdp/meta_aiortc_offer.sdp", import.meta.url),
  "utf8",
);

/** One RTP packet as a {@linkcode MediaPort} hands it on. */
export type RtpIn = Parameters<Parameters<MediaPort["onRtp"]>[0]>[0];

interface ConnectWaiter {
  resolve: () => void;
  reject: (e: Error) => void;
  timer: TimerHandle;
}

/** A media peer the test connects, fails and feeds by hand, on the test's clock. */
export class FakePeer implements SessionPeer {
  readonly answerSdp = "v=0\r\n";
  readonly opusPayloadType = 111;
  readonly telephoneEventPayloadType = 126;
  readonly iceRechecks = 0;
  readonly srtpAuthFailures = 0;
  readonly srtpReplays = 0;
  readonly foreignSourceDrops = 0;
  sent: Array<{ seq: number; ts: number; marker: boolean }> = [];
  closed = false;
  isConnected = false;
  #listeners: Array<(s: string) => void> = [];
  #rtp: Array<(p: RtpIn) => void> = [];
  #waiters: ConnectWaiter[] = [];
  constructor(private scheduler: Scheduler) {}
  sendOpus(_p: Uint8Array, seq: number, ts: number, marker: boolean): void {
    this.sent.push({ seq, ts, marker });
  }
  onRtp(listener: (p: RtpIn) => void): void {
    this.#rtp.push(listener);
  }
  /** A caller packet arrives. */
  deliver(packet: RtpIn): void {
    for (const l of this.#rtp) l(packet);
  }
  onState(l: (s: string) => void): void {
    this.#listeners.push(l);
  }
  /** Like the werift peer: resolves on connect, rejects on failure, close or timeout. */
  connected(timeoutMs: number): Promise<void> {
    if (this.isConnected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: ConnectWaiter = {
        resolve,
        reject,
        timer: this.scheduler.setTimeout(() => {
          this.#waiters = this.#waiters.filter((w) => w !== waiter);
          reject(new Error("timeout"));
        }, timeoutMs),
      };
      this.#waiters.push(waiter);
    });
  }
  connect(): void {
    this.isConnected = true;
    this.#settle((w) => w.resolve());
    for (const l of this.#listeners) l("connected");
  }
  fail(): void {
    for (const l of this.#listeners) l("failed");
    this.#settle((w) => w.reject(new Error("media connection failed")));
  }
  close(): Promise<void> {
    this.closed = true;
    this.#settle((w) => w.reject(new Error("media connection closed")));
    return Promise.resolve();
  }
  #settle(how: (w: ConnectWaiter) => void): void {
    for (const w of this.#waiters) {
      this.scheduler.clearTimeout(w.timer);
      how(w);
    }
    this.#waiters = [];
  }
}

/** A caller talking into a {@linkcode FakePeer}: one Opus packet per 20 ms frame. */
export class FakeCaller {
  #peer: FakePeer;
  #encoder = new OpusEncoder();
  #frame = new Int16Array(FRAME_SAMPLES);
  #seq = 0;
  #timestamp = 0;
  #sample = 0;
  constructor(peer: FakePeer) {
    this.#peer = peer;
  }
  /** Sends the next frame: a 300 Hz voice-level tone, or silence. */
  send(voice: boolean): void {
    for (let i = 0; i < FRAME_SAMPLES; i++, this.#sample++) {
      this.#frame[i] = voice ? Math.round(6000 * Math.sin(this.#sample * 2 * Math.PI / 80)) : 0;
    }
    this.#peer.deliver({
      payloadType: this.#peer.opusPayloadType,
      sequenceNumber: this.#seq,
      timestamp: this.#timestamp,
      marker: this.#seq === 0,
      payload: this.#encoder.encode(this.#frame),
    });
    this.#seq = (this.#seq + 1) & 0xffff;
    this.#timestamp = (this.#timestamp + RTP_TICKS_PER_FRAME) >>> 0;
  }
}

/** An agent that records what the session asked of it. */
export class FakeAgent implements Agent {
  ctx: AgentContext | undefined;
  calls: string[] = [];
  start(ctx: AgentContext): Promise<void> {
    this.ctx = ctx;
    return Promise.resolve();
  }
  callAccepted(): void {
    this.calls.push("accepted");
  }
  pushAudio(): void {}
  pushDtmf(): void {}
  sayGoodbye(reason: string): void {
    this.calls.push(`goodbye:${reason}`);
  }
  close(reason: string): Promise<void> {
    this.calls.push(`close:${reason}`);
    return Promise.resolve();
  }
}

/** How {@linkcode FakeTerminator} answers a call's `terminate`. */
export type TerminateOutcome = "ok" | "fail" | "hang";

/** Meta's `terminate`, answering each call as scripted (default `ok`). */
export class FakeTerminator implements CallTerminator {
  /** Every call id a terminate was sent for, in order. */
  readonly requested: string[] = [];
  /** Call ids Meta confirmed. */
  readonly confirmed: string[] = [];
  constructor(readonly outcomes: Record<string, TerminateOutcome> = {}) {}
  terminate(_phoneNumberId: string, callId: string): Promise<unknown> {
    this.requested.push(callId);
    const outcome = this.outcomes[callId] ?? "ok";
    if (outcome === "fail") return Promise.reject(new Error(`Graph terminate failed: ${callId}`));
    if (outcome === "hang") return new Promise(() => {});
    this.confirmed.push(callId);
    return Promise.resolve({ success: true });
  }
}
