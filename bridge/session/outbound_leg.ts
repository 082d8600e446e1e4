/**
 * The part of a business-initiated call (issue 17) that a user-initiated one
 * does not have: the session made the offer, so it applies Meta's answer
 * from the `connect` webhook, follows Meta's statuses and bounds the ring.
 *
 * - Meta's answer is checked (`validateMetaAnswer`) and applied once; werift
 *   takes the DTLS role it implies. An unusable answer ends the call at Meta
 *   (`meta_answer_invalid`): no media could ever flow.
 * - `ACCEPTED` is the pickup
 *   (https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/business-initiated-calls):
 *   media starts once ICE and DTLS are up, and the agent speaks first.
 * - `REJECTED`: the user declined; Meta ends the call itself, so it is not told.
 * - No `ACCEPTED` within the ring bound: Meta documents no ring timeout for
 *   business-initiated calls, so we terminate at Meta and end as `no_answer`.
 *
 * @module
 */
import { type MetaAnswer, validateMetaAnswer } from "../../lib/sdp/whatsapp_business_offer.ts";
import type { TimerHandle } from "../media/frame_clock.ts";
import type { TimerSet } from "../agents/timers.ts";
import type { EventLogger } from "../log.ts";
import type { CallLogEvent, CallRecordEvent } from "./call_events.ts";
import type { SessionPeer } from "./session_deps.ts";

/** The peer of a business-initiated call: it made the offer and takes Meta's answer. */
export interface OfferingPeer extends SessionPeer {
  applyAnswer(answer: MetaAnswer): Promise<void>;
}

/** What a business-initiated call's session is made with. */
export interface OutboundRequest {
  /** The peer that made the offer sent with Graph `connect`. */
  peer: OfferingPeer;
  /** No `ACCEPTED` within this → terminate at Meta, end `no_answer`. */
  ringTimeoutMs: number;
  /** The call's own instructions, variables filled. */
  instructions?: string | undefined;
  /** The agent's first words, variables filled. */
  greeting?: string | undefined;
}

/** How the leg acts on its session. */
export interface OutboundLegHooks {
  timers: TimerSet<TimerHandle>;
  log: EventLogger<CallLogEvent>;
  record: (name: CallRecordEvent, data?: Record<string, unknown>) => void;
  /** Ends the session (once); `notifyMeta` sends Graph `terminate`. */
  end: (reason: string, notifyMeta: boolean) => void;
  /** Meta's answer is applied: ICE and DTLS may now come up. */
  answered: () => void;
  /** True once Meta said `ACCEPTED`. */
  accepted: () => boolean;
}

/** Why an answer was refused: it is not applied and the call is over. */
export class AnswerRejectedError extends Error {
  /** Creates the error from the validator's reasons. */
  constructor(readonly reasons: string[]) {
    super(`unusable SDP answer: ${reasons.join("; ")}`);
    this.name = "AnswerRejectedError";
  }
}

/** One business-initiated call's offer/answer and ring bound. */
export class OutboundLeg {
  readonly #req: OutboundRequest;
  readonly #hooks: OutboundLegHooks;
  #ringTimer: TimerHandle | undefined;
  #applying: Promise<void> | undefined;

  /** Creates the leg; nothing runs before {@linkcode start}. */
  constructor(req: OutboundRequest, hooks: OutboundLegHooks) {
    this.#req = req;
    this.#hooks = hooks;
  }

  /** Arms the ring bound. */
  start(): void {
    this.#ringTimer = this.#hooks.timers.after(this.#req.ringTimeoutMs, () => {
      if (this.#hooks.accepted()) return;
      this.#hooks.log.info("WA_OUTBOUND_NO_ANSWER", { ringTimeoutMs: this.#req.ringTimeoutMs });
      this.#hooks.record("outbound_no_answer", { ringTimeoutMs: this.#req.ringTimeoutMs });
      this.#hooks.end("no_answer", true);
    });
  }

  /** The user picked up: the ring bound no longer applies. */
  pickedUp(): void {
    this.#hooks.timers.cancel(this.#ringTimer);
  }

  /** The user declined. */
  rejected(): void {
    this.#hooks.log.info("WA_OUTBOUND_REJECTED", {});
    this.#hooks.end("rejected", false);
  }

  /**
   * Checks and applies Meta's answer; a repeat of the same webhook resolves
   * with the first application. Throws {@linkcode AnswerRejectedError} for an
   * unusable answer, after ending the call at Meta.
   */
  applyAnswer(sdp: string): Promise<void> {
    this.#applying ??= this.#apply(sdp);
    return this.#applying;
  }

  async #apply(sdp: string): Promise<void> {
    const checked = validateMetaAnswer(sdp);
    if (!checked.ok) {
      this.#hooks.log.warn("WA_OUTBOUND_ANSWER_INVALID", { reasons: checked.errors });
      this.#hooks.record("meta_answer_invalid", { reasons: checked.errors });
      this.#hooks.end("meta_answer_invalid", true);
      throw new AnswerRejectedError(checked.errors);
    }
    const { setup, setupCoerced, iceLite } = checked.answer;
    try {
      await this.#req.peer.applyAnswer(checked.answer);
    } catch (error) {
      const reasons = [`werift refused the answer: ${(error as Error).message}`];
      this.#hooks.log.warn("WA_OUTBOUND_ANSWER_INVALID", { reasons });
      this.#hooks.record("meta_answer_invalid", { reasons });
      this.#hooks.end("meta_answer_invalid", true);
      throw new AnswerRejectedError(reasons);
    }
    this.#hooks.log.info("WA_OUTBOUND_ANSWER_APPLIED", { setup, setupCoerced, iceLite });
    this.#hooks.record("meta_answer_applied", { setup, setupCoerced, iceLite });
    this.#hooks.answered();
  }
}
