/**
 * Stand-ins for a session's peer and agent, driven by the test's clock, so
 * session and HTTP tests run without werift or sockets.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import type { Agent, AgentContext } from "../../bridge/agents/agent.ts";
import type { ManualScheduler } from "../../bridge/media/fake_scheduler.ts";
import type { SessionPeer } from "../../bridge/session/call_session.ts";

/** A real Meta offer (captured in production), valid for `validateWhatsAppOffer`. */
export const META_OFFER = readFileSync(
  new URL("../fixtures/sdp/meta_aiortc_offer.sdp", import.meta.url),
  "utf8",
);

/** A media peer the test connects by hand, on the test's clock. */
export class FakePeer implements SessionPeer {
  readonly answerSdp = "v=0\r\n";
  readonly opusPayloadType = 111;
  readonly telephoneEventPayloadType = 126;
  readonly iceRechecks = 0;
  readonly srtpAuthFailures = 0;
  sent: Array<{ seq: number; ts: number; marker: boolean }> = [];
  closed = false;
  #listeners: Array<(s: string) => void> = [];
  #waiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  constructor(private scheduler: ManualScheduler) {}
  sendOpus(_p: Uint8Array, seq: number, ts: number, marker: boolean): void {
    this.sent.push({ seq, ts, marker });
  }
  onRtp(): void {}
  onState(l: (s: string) => void): void {
    this.#listeners.push(l);
  }
  isConnected = false;
  connected(timeoutMs: number): Promise<void> {
    if (this.isConnected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      this.scheduler.setTimeout(() => reject(new Error("timeout")), timeoutMs);
    });
  }
  connect(): void {
    this.isConnected = true;
    for (const w of this.#waiters) w.resolve();
    for (const l of this.#listeners) l("connected");
  }
  fail(): void {
    for (const l of this.#listeners) l("failed");
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
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
