/**
 * "Talk to your agent": a call from the browser's microphone to a number's
 * agent, through the same bridge and agent a WhatsApp caller reaches, in the
 * same order the Edge Function uses (`wa-webhook-voice-calls/connect_offer.ts`):
 * record the call → bridge `POST /sessions` (our SDP answer) → bounded wait
 * for ICE and DTLS → accept. Only Meta is missing: there is no `pre_accept`
 * or `accept` at the Graph API, and the session is flagged `testCall` so the
 * bridge never asks Meta to end it either. The call is recorded like any
 * other, marked `test_call`, and the bridge closes its record when it ends.
 *
 * The browser waits only for the answer: it must apply it before ICE can
 * complete, so the wait and the accept run after the answer is returned.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import {
  BridgeClient,
  BridgeError,
  type BridgeFailure,
  bridgeFailureReason,
} from "../../lib/bridge_api/client.ts";
import type { EventLogger } from "../../bridge/log.ts";
import { LIVE_CALL_STATUSES, type Store } from "../../store/store.ts";
import type { ConsoleUser } from "../server/context.ts";

/** What the console asks of the bridge: the Edge Function's client, minus what only Meta needs. */
export type TalkBridge = Pick<
  BridgeClient,
  "createSession" | "waitConnected" | "acceptSession" | "endSession"
>;

/** What the test calls read and write in the call store. */
export type TalkStore = Pick<
  Store,
  "recordEvent" | "upsertCall" | "transitionCall" | "getCall" | "knownBusinessNumbers"
>;

/** Prefix of every test call's id (Meta's are `wacid.…`), so no id can be mistaken for a real one. */
export const TEST_CALL_ID_PREFIX = "test-";

/** Default bound on ICE and DTLS after the answer, as the function's `WA_MEDIA_CONNECT_WAIT_MS`. */
export const DEFAULT_CONNECT_WAIT_MS = 8_000;

/** Events the console writes to a test call's record, beside the bridge's own. */
export type TalkRecordEvent = "connect" | "accepted" | "failed" | "hangup_requested";

/** Log events of `console.talk`; every line carries `callId`. */
export type TalkLogEvent =
  | "TALK_CALL_STARTED"
  | "TALK_CALL_ACCEPTED"
  | "TALK_CALL_FAILED"
  | "TALK_CALL_HANGUP";

/** Options of {@linkcode TestCalls}. */
export interface TestCallsOptions {
  store: TalkStore;
  bridge: TalkBridge;
  now: () => Date;
  /** @default DEFAULT_CONNECT_WAIT_MS */
  connectWaitMs?: number;
}

/** A test call as the browser starts it. */
export interface TestCallRequest {
  user: ConsoleUser;
  phoneNumberId: string;
  /** The browser's complete (gathered) SDP offer. */
  sdp: string;
}

/** Why a test call could not start, as the route answers it. */
export class TestCallError extends Error {
  /**
   * `callId`: the call as recorded (failed); `failure`: the bridge's reason;
   * `reasons`: why an offer was refused, when it was.
   */
  constructor(
    readonly callId: string,
    readonly failure: BridgeFailure | "bridge_error",
    readonly reasons: string[] = [],
  ) {
    super(`test call not started: ${failure}`);
    this.name = "TestCallError";
  }
}

/** Outcome of {@linkcode TestCalls.hangUp}. */
export type HangUpOutcome = "ended" | "already_ended" | "not_found";

/** What the talk page needs: start a test call, hang it up. */
export type TalkService = Pick<TestCalls, "start" | "hangUp">;

/**
 * The service over the bridge at `VOICE_BRIDGE_URL` with `VOICE_BRIDGE_SECRET`
 * (the Edge Function's two variables), or `undefined` when either is unset.
 */
export function talkFromEnv(
  store: TalkStore,
  env: Record<string, string | undefined>,
  now: () => Date = () => new Date(),
): TestCalls | undefined {
  const baseUrl = env.VOICE_BRIDGE_URL, secret = env.VOICE_BRIDGE_SECRET;
  if (!baseUrl || !secret) return undefined;
  // The connected wait has its own bound; the rest gets the function's longest wait.
  return new TestCalls({
    store,
    bridge: new BridgeClient({ baseUrl, secret, timeoutMs: 5_000 }),
    now,
  });
}

/** Starts and ends test calls; one per console process. */
export class TestCalls {
  readonly #o: TestCallsOptions;
  /** Connect-and-accept steps still running, for {@linkcode settled}. */
  readonly #pending = new Set<Promise<void>>();

  /** Creates the service; nothing is sent until a call starts. */
  constructor(options: TestCallsOptions) {
    this.#o = options;
  }

  /**
   * Records the call, asks the bridge for a session and returns its SDP
   * answer; media is accepted once ICE and DTLS are up. Throws
   * {@linkcode TestCallError} when the bridge refuses (the record says why).
   */
  async start(req: TestCallRequest): Promise<{ callId: string; sdp: string }> {
    const { store, bridge } = this.#o;
    const callId = `${TEST_CALL_ID_PREFIX}${crypto.randomUUID()}`;
    const log = talkLog(callId);
    const offeredAt = this.#o.now();
    await this.#event(callId, "connect", {
      direction: "USER_INITIATED",
      testCall: true,
      userId: req.user.id,
      phoneNumberId: req.phoneNumberId,
      sdp: req.sdp,
    });
    const to = await businessNumber(store, req.phoneNumberId);
    await store.upsertCall({
      callId,
      direction: "user_initiated",
      // No WhatsApp user: the caller is the signed-in user, known by id and email.
      fromUserId: req.user.id,
      profileName: req.user.email,
      toNumber: to,
      phoneNumberId: req.phoneNumberId,
      offeredAt,
      testCall: true,
    });
    log.info("TALK_CALL_STARTED", {
      userId: req.user.id,
      phoneNumberId: req.phoneNumberId,
    });
    let session;
    try {
      session = await bridge.createSession({
        callId,
        phoneNumberId: req.phoneNumberId,
        to: to ?? req.phoneNumberId,
        sdp: req.sdp,
        caller: { userId: req.user.id, ...(req.user.email ? { name: req.user.email } : {}) },
        testCall: true,
      });
    } catch (error) {
      const failure = error instanceof BridgeError ? error.failure : "bridge_error";
      await this.#fail(callId, `bridge_${failure}`, error);
      throw new TestCallError(callId, failure, reasonsOf(error));
    }
    await store.upsertCall({ callId, bridgeSessionId: session.sessionId });
    const step = this.#connectAndAccept(callId, session.sessionId, offeredAt)
      .catch((error) => log.error("TALK_CALL_FAILED", { reason: "store", error: String(error) }))
      .finally(() => this.#pending.delete(step));
    this.#pending.add(step);
    return { callId, sdp: session.sdp };
  }

  /**
   * Hangs up a live test call (the bridge then closes its record). Only test
   * calls: a WhatsApp call is never ended from this page.
   */
  async hangUp(callId: string, user: ConsoleUser): Promise<HangUpOutcome> {
    const call = await this.#o.store.getCall(callId);
    if (call === null || !call.testCall) return "not_found";
    if (!LIVE_CALL_STATUSES.includes(call.status) || call.bridgeSessionId === null) {
      return "already_ended";
    }
    await this.#event(callId, "hangup_requested", { userId: user.id });
    talkLog(callId).info("TALK_CALL_HANGUP", { userId: user.id });
    try {
      await this.#o.bridge.endSession(call.bridgeSessionId, "hangup");
    } catch (error) {
      // Gone already (media failed, the agent hung up): its record was closed then.
      if (error instanceof BridgeError && error.failure === "not_found") return "already_ended";
      throw error;
    }
    return "ended";
  }

  /** Resolves once every connect-and-accept step started so far has finished (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  /** ICE + DTLS, then the call is accepted and media starts, as after Meta's accept. */
  async #connectAndAccept(callId: string, sessionId: string, offeredAt: Date): Promise<void> {
    const { store, bridge } = this.#o;
    let connected = false;
    try {
      const wait = await bridge.waitConnected(
        sessionId,
        this.#o.connectWaitMs ?? DEFAULT_CONNECT_WAIT_MS,
      );
      connected = wait.connected;
    } catch (error) {
      return await this.#fail(callId, "media_not_connected", error, sessionId);
    }
    if (!connected) return await this.#fail(callId, "media_not_connected", undefined, sessionId);
    const acceptedAt = this.#o.now();
    // From `offered` only: a hang-up while connecting has closed the record already.
    const acc = await store.transitionCall(callId, "accepted", { acceptedAt }, {
      from: ["offered"],
    });
    if (!acc.applied) return await this.#endSession(callId, sessionId, "call_ended_during_setup");
    try {
      await bridge.acceptSession(sessionId);
    } catch (error) {
      const reason = bridgeFailureReason(error, "bridge_accept");
      return await this.#fail(callId, reason, error, sessionId);
    }
    // The figures read set-up latency from this event, as from the function's.
    const webhookToAcceptMs = acceptedAt.getTime() - offeredAt.getTime();
    await this.#event(callId, "accepted", { sessionId, webhookToAcceptMs, testCall: true });
    talkLog(callId).info("TALK_CALL_ACCEPTED", { sessionId, webhookToAcceptMs });
  }

  /** Closes the record as failed (from a live status) and the session, if there is one. */
  async #fail(callId: string, reason: string, error: unknown, sessionId?: string): Promise<void> {
    await this.#o.store.transitionCall(callId, "failed", {
      endReason: reason,
      endedAt: this.#o.now(),
    }, { from: LIVE_CALL_STATUSES });
    await this.#event(callId, "failed", {
      reason,
      error: error === undefined ? null : String(error),
    });
    talkLog(callId).warn("TALK_CALL_FAILED", {
      reason,
      ...(error === undefined ? {} : { error: String(error) }),
    });
    if (sessionId !== undefined) await this.#endSession(callId, sessionId, reason);
  }

  async #endSession(callId: string, sessionId: string, reason: string): Promise<void> {
    await this.#o.bridge.endSession(sessionId, reason).catch((error) =>
      talkLog(callId).warn("TALK_CALL_FAILED", { reason: "end_session", error: String(error) })
    );
  }

  async #event(callId: string, name: TalkRecordEvent, data: Record<string, unknown>) {
    await this.#o.store.recordEvent({ callId, name, data, dedupeKey: `${callId}:${name}` });
  }
}

/** Bound on the numbers read to find one's display number. */
const MAX_KNOWN_NUMBERS = 200;

/** The business number of `phoneNumberId` as its latest WhatsApp call recorded it, if any. */
async function businessNumber(store: TalkStore, phoneNumberId: string): Promise<string | null> {
  const known = await store.knownBusinessNumbers(MAX_KNOWN_NUMBERS);
  return known.find((n) => n.phoneNumberId === phoneNumberId)?.displayNumber ?? null;
}

function reasonsOf(error: unknown): string[] {
  if (!(error instanceof BridgeError) || error.failure !== "offer_rejected") return [];
  // The client's message is `bridge create session: HTTP 400: unusable offer; reason; …`.
  return error.message.split("; ").slice(1).map((r) => r.slice(0, 200));
}

/** The call's logger: user ids, never emails or numbers (as `console/server/log.ts`). */
function talkLog(callId: string): EventLogger<TalkLogEvent> {
  return getLogger(["console", "talk"]).with({ callId });
}
