/**
 * A test agent for real bridges: it speaks a steady tone once the call is
 * accepted and keeps every frame and digit it hears, so a test can check
 * audio and DTMF cross the media path both ways.
 *
 * @module
 */
import type { Agent, AgentContext } from "../../bridge/agents/agent.ts";
import { sine } from "../../lib/audio/tone.ts";

/** Speaks `hz` for `seconds` on accept; records the caller's frames and digits. */
export class ToneAgent implements Agent {
  readonly heard: Int16Array[] = [];
  readonly digits: string[] = [];
  acceptedAt: number | undefined;
  #ctx: AgentContext | undefined;

  /** A tone of `hz` at 24 kHz, `seconds` long. */
  constructor(readonly hz: number, readonly seconds: number) {}

  /** Keeps the context. */
  start(ctx: AgentContext): Promise<void> {
    this.#ctx = ctx;
    return Promise.resolve();
  }

  /** Queues the tone. */
  callAccepted(): void {
    this.acceptedAt = performance.now();
    this.#ctx?.audio.enqueue(sine(this.hz, 24000, 24000 * this.seconds, 8000), "tone");
  }

  /** Keeps a copy of the frame. */
  pushAudio(frame: Int16Array): void {
    this.heard.push(frame.slice());
  }

  /** Keeps the digit. */
  pushDtmf(digit: string): void {
    this.digits.push(digit);
  }

  /** Nothing to say. */
  sayGoodbye(): void {}

  /** Nothing to release. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
