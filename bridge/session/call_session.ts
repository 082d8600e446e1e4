/**
 * One WhatsApp call inside the bridge, from Meta's offer to hang-up:
 *
 *   POST /sessions  → validate offer → werift answers → agent connects
 *   POST /connected → the function waits here for ICE and DTLS before Meta's accept
 *   POST /accept    → media starts (first packet now) → agent greets
 *   hang-up         → media stops → agent and peer close while Meta is told (when we hung up)
 *
 * Every way a call can end goes through `end()`, which runs once and records
 * why, so a caller is never left in silence on an open line. Every timer the
 * call sets is cleared there, and every failure on the way out is logged.
 *
 * @module
 */
import { validateWhatsAppOffer } from "../../lib/sdp/whatsapp.ts";
import type { Agent, AgentContext, CallerContext, TranscriptEntry } from "../agents/agent.ts";
import type { UsageIncrement } from "../../lib/realtime/usage.ts";
import { callLogger, type EventLogger } from "../log.ts";
import { CallMedia, type MediaStats } from "../media/call_media.ts";
import { queueAnnouncement } from "../recording/announcement.ts";
import { realScheduler, type Scheduler, type TimerHandle } from "../media/frame_clock.ts";
import { OutboundPlayer } from "../media/outbound_player.ts";
import { LatencyProbe } from "../figures/latency_probe.ts";
import { maskPhone, maskUserId } from "../../lib/whatsapp/mask.ts";
import type { CallLogEvent, CallRecordEvent, MetaCallStatus } from "./call_events.ts";
import { TimerSet } from "../agents/timers.ts";
import { armCallLimits } from "./call_limits.ts";
import type { SessionDeps, SessionPeer, SessionRequest } from "./session_deps.ts";
import { type CallRecord, LIVE_CALL_STATUSES } from "../../store/store.ts";
import { LiveTranscript } from "../live/live_transcript.ts";
import { OutboundLeg } from "./outbound_leg.ts";

/** Why a request could not become a session. */
export class OfferRejectedError extends Error {
  /** Creates the error from the validator's reasons. */
  constructor(readonly reasons: string[]) {
    super(`unusable SDP offer: ${reasons.join("; ")}`);
    this.name = "OfferRejectedError";
  }
}

/** A session's lifecycle state. */
export type SessionState = "answered" | "accepted" | "active" | "ending" | "ended";

/** How long to wait for the agent's goodbye before hanging up anyway. */
export const GOODBYE_GRACE_MS = 15_000;

const META_STATUS_EVENTS = {
  RINGING: "meta_status_ringing",
  ACCEPTED: "meta_status_accepted",
  REJECTED: "meta_status_rejected",
} as const satisfies Record<MetaCallStatus, CallRecordEvent>;

/** One call in the bridge. */
export class CallSession implements AgentContext {
  readonly id = crypto.randomUUID();
  readonly callId: string;
  readonly phoneNumberId: string;
  readonly caller: CallerContext;
  readonly audio = new OutboundPlayer();
  readonly createdAt = Date.now();
  readonly timings: Record<string, number> = {};
  state: SessionState = "answered";
  endReason: string | undefined;
  /** The last lines as they are spoken, for the console's live view (bridge/live/). */
  readonly live = new LiveTranscript();
  /** A business-initiated call's own instructions and first words (AgentContext). */
  readonly instructions: string | undefined;
  readonly greeting: string | undefined;

  #req: SessionRequest;
  #deps: SessionDeps;
  #scheduler: Scheduler;
  #peer: SessionPeer;
  #agent: Agent;
  #media: CallMedia;
  /** Turn latency and accept → first agent audio, measured on the media path. */
  #latency: LatencyProbe;
  #log: EventLogger<CallLogEvent>;
  #history: TranscriptEntry[] = [];
  #timers: TimerSet<TimerHandle>;
  /** Settles once with whether ICE and DTLS came up; the one wait on the peer. */
  #mediaUp: Promise<boolean> | undefined;
  #ended: Promise<void> | undefined;
  #endedListeners: Array<(s: CallSession) => void> = [];
  #hangupRequested = false;
  /** A business-initiated call's offer/answer and ring bound; undefined for user-initiated calls. */
  #outbound: OutboundLeg | undefined;
  /** The record as the session found it; `undefined` without a store or when the write failed. */
  #startRecord: Promise<CallRecord | undefined> = Promise.resolve(undefined);

  private constructor(req: SessionRequest, deps: SessionDeps, peer: SessionPeer, agent: Agent) {
    this.#req = req;
    this.callId = req.callId;
    this.phoneNumberId = req.phoneNumberId;
    this.caller = req.caller ?? {};
    this.#deps = deps;
    this.#scheduler = deps.scheduler ?? realScheduler;
    this.#timers = new TimerSet(this.#scheduler);
    this.#peer = peer;
    this.#agent = agent;
    this.#log = callLogger<CallLogEvent>(req.callId, "session");
    this.instructions = req.outbound?.instructions;
    this.greeting = req.outbound?.greeting;
    if (req.outbound) {
      this.#outbound = new OutboundLeg(req.outbound, {
        timers: this.#timers,
        log: this.#log,
        record: (name, data) => this.#record(name, data),
        end: (reason, notifyMeta) => void this.end(reason, notifyMeta),
        answered: () => this.#armMediaUp(),
        accepted: () => this.state !== "answered",
      });
    }
    this.#latency = new LatencyProbe({
      now: () => this.#scheduler.now(),
      player: this.audio,
      record: (name, data) => this.#write(name, data),
    });
    this.#media = new CallMedia({
      port: this.#latency.port(peer),
      sink: this.#latency.sink(agent),
      player: this.audio,
      opusPayloadType: peer.opusPayloadType,
      telephoneEventPayloadType: peer.telephoneEventPayloadType,
      scheduler: this.#scheduler,
      ...(deps.histograms ? { histograms: deps.histograms } : {}),
      ...(deps.clock ? { clock: deps.clock } : {}),
      tap: deps.recording?.start(req.callId),
      onFirstPacketSent: () => {
        this.#mark("firstPacketSent");
        this.#log.info("AI_AUDIO_SENT", { first: true, sessionId: this.id });
      },
      onNoCallerMedia: (afterMs) => {
        // Meta answers our media with its own; nothing back means a one-way path.
        this.#log.warn("WEBRTC_NO_CALLER_MEDIA", { sessionId: this.id, afterMs });
        this.#record("no_caller_media", { afterMs });
      },
      onFirstCallerAudio: () => {
        this.#mark("firstCallerAudio");
        this.#log.info("USER_AUDIO_RECEIVED", { first: true, sessionId: this.id });
      },
      onFailure: (error) => {
        this.#log.error("MEDIA_TICK_FAILED", { sessionId: this.id, error });
        void this.end("media_failed", true);
      },
    });
  }

  /**
   * Validates the offer, answers it and starts the agent. Throws
   * {@linkcode OfferRejectedError} for an offer we cannot serve, and the
   * abort reason when `gaveUp` aborted while the peer was being made.
   */
  static async create(
    req: SessionRequest,
    deps: SessionDeps,
    gaveUp?: AbortSignal,
  ): Promise<CallSession> {
    const checked = req.outbound ? undefined : validateWhatsAppOffer(req.sdp);
    if (checked && !checked.ok) throw new OfferRejectedError(checked.errors);
    // The number's settings are looked up while the peer is made (bounded, never rejects).
    const forCall = deps.forCall?.(req);
    // A business-initiated call's peer exists already: it made the offer Graph `connect` carried.
    const peer = checked
      ? await deps.createPeer(checked.offer, req.sdp, req.callId)
      : req.outbound!.peer;
    const callDeps: SessionDeps = forCall ? { ...deps, ...await forCall } : deps;
    let agent: Agent;
    try {
      agent = callDeps.createAgent(req.callId);
    } catch (error) {
      // The agent's failure is what the caller of create() hears about; a failed close adds nothing.
      await Promise.try(() => peer.close()).catch(() => {});
      throw error;
    }
    if (gaveUp?.aborted) {
      // Nobody waits for it any more: close it unseen, record nothing, tell Meta nothing.
      await Promise.allSettled([
        Promise.try(() => peer.close()),
        Promise.try(() => agent.close("orphaned")),
      ]);
      gaveUp.throwIfAborted();
    }
    const session = new CallSession(req, callDeps, peer, agent);
    session.#begin();
    return session;
  }

  /** The SDP answer for Meta. */
  get answerSdp(): string {
    return this.#peer.answerSdp;
  }

  /** Meta accepted the call: start media as soon as ICE and DTLS are up. */
  accept(): void {
    if (this.state !== "answered") return;
    this.state = "accepted";
    this.#mark("accepted");
    this.#record("bridge_accept");
    this.#activateWhenUp();
  }

  /** Starts media once ICE and DTLS are up, if Meta has accepted by then. */
  #activateWhenUp(): void {
    // A failed connect was logged and ended the call where #mediaUp was made.
    void this.#mediaUp?.then((up) => {
      if (up && this.state === "accepted") this.#activate();
    });
  }

  /**
   * Resolves true once ICE and DTLS are up, false when the call ends or
   * `timeoutMs` passes first. Meta asks for accept "after the WebRTC
   * connection is made" (user-initiated calls page,
   * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-initiated-calls).
   */
  async waitConnected(timeoutMs: number): Promise<boolean> {
    let timer: TimerHandle | undefined;
    const expired = new Promise<false>((resolve) => {
      timer = this.#scheduler.setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      const up = await Promise.race([this.#mediaUp ?? Promise.resolve(false), expired]);
      return up && this.state !== "ending" && this.state !== "ended";
    } finally {
      this.#scheduler.clearTimeout(timer);
    }
  }

  /** Ends the call once; `notifyMeta` sends Graph `terminate` (when the bridge hung up). */
  end(reason: string, notifyMeta: boolean): Promise<void> {
    this.#ended ??= this.#finish(reason, notifyMeta);
    return this.#ended;
  }

  /**
   * Meta's view of the call, passed on by the function: a status webhook or a
   * business-initiated `connect` answer, recorded against the session. A
   * business-initiated call acts on them (`outbound_leg.ts`): the answer is
   * applied, `ACCEPTED` starts media, `REJECTED` ends the call. Resolves once
   * the event is acted on; rejects with `AnswerRejectedError` for an unusable answer.
   */
  async metaEvent(
    event: { kind: "status"; status: MetaCallStatus } | { kind: "connect_answer"; sdp: string },
  ): Promise<void> {
    const name = event.kind === "status" ? META_STATUS_EVENTS[event.status] : "meta_connect_answer";
    this.#log.info("WA_CALL_META_EVENT", { sessionId: this.id, event: name });
    this.#record(name, event.kind === "status" ? { status: event.status } : {});
    const leg = this.#outbound;
    if (!leg || this.state === "ending" || this.state === "ended") return;
    if (event.kind === "connect_answer") return await leg.applyAnswer(event.sdp);
    if (event.status === "ACCEPTED") {
      leg.pickedUp();
      this.accept();
    } else if (event.status === "REJECTED") leg.rejected();
  }

  /** `business_initiated` when the session made the offer, else `user_initiated`. */
  get direction(): "user_initiated" | "business_initiated" {
    return this.#outbound ? "business_initiated" : "user_initiated";
  }

  /** Calls `listener` once the session has fully ended. */
  onEnded(listener: (s: CallSession) => void): void {
    this.#endedListeners.push(listener);
  }

  /** Media counters and timing. */
  mediaStats(): MediaStats {
    return this.#media.stats();
  }

  /** The live media path (for metrics and benchmarks). */
  get media(): CallMedia {
    return this.#media;
  }

  /** A JSON view for `GET /sessions/:id`; phone numbers masked. */
  toJSON(): Record<string, unknown> {
    return {
      sessionId: this.id,
      callId: this.callId,
      phoneNumberId: this.phoneNumberId,
      ...this.#maskedCaller(),
      to: maskPhone(this.#req.to),
      direction: this.direction,
      testCall: this.#isTest,
      state: this.state,
      endReason: this.endReason ?? null,
      createdAt: new Date(this.createdAt).toISOString(),
      timings: this.timings,
      rtp: {
        ...this.#media.stats(),
        srtpAuthFailures: this.#peer.srtpAuthFailures,
        srtpReplays: this.#peer.srtpReplays,
        foreignSourceDrops: this.#peer.foreignSourceDrops,
      },
      queuedAgentAudioMs: this.audio.queuedMs(),
    };
  }

  // AgentContext ---------------------------------------------------------

  /** @inheritdoc */
  onTranscript(entry: TranscriptEntry): void {
    this.#history.push(entry);
    this.live.line(entry);
    const recorder = this.#deps.recorder;
    if (!recorder) return;
    recorder.addTranscript({
      callId: this.callId,
      speaker: entry.speaker,
      text: entry.text,
      startedAt: new Date(entry.startedAt),
      endedAt: new Date(entry.endedAt),
      interrupted: entry.interrupted ?? false,
    }).catch((error) =>
      this.#log.error("CALL_RECORD_FAILED", { what: "transcript", error: String(error) })
    );
  }

  /** @inheritdoc */
  onTranscriptDelta(speaker: TranscriptEntry["speaker"], itemId: string, delta: string): void {
    this.live.delta(speaker, itemId, delta);
  }

  /** @inheritdoc */
  onEvent(name: string, data: Record<string, unknown> = {}): void {
    this.#log.debug("AGENT_EVENT", { name, ...data });
    this.#write(name, data);
  }

  /** @inheritdoc */
  requestHangup(reason: string): void {
    if (this.#hangupRequested) return;
    this.#hangupRequested = true;
    this.#log.info("AGENT_HANGUP_REQUESTED", { reason });
    // Let the agent finish its sentence: hang up when the queued audio has played.
    this.#timers.after(GOODBYE_GRACE_MS, () => void this.end(reason, true));
    void this.audio.idle().then(() => this.end(reason, true));
  }

  /** @inheritdoc */
  onUsage(usage: UsageIncrement): void {
    // Written as it accrues: a call that ends abruptly keeps what was reported.
    this.#deps.recorder?.addUsage?.({ callId: this.callId, ...usage })
      .catch((error) =>
        this.#log.error("CALL_RECORD_FAILED", { what: "usage", error: String(error) })
      );
  }

  /** @inheritdoc */
  onFatal(error: Error): void {
    this.#log.error("AGENT_FAILED", { error: error.message });
    void this.end(`agent_failed: ${error.message}`, true);
  }

  /** @inheritdoc */
  history(): readonly TranscriptEntry[] {
    return this.#history;
  }

  /** @inheritdoc */
  onCallerSpeechStarted(): void {
    this.#latency.tracker.speechStarted();
  }

  /** @inheritdoc */
  onCallerSpeechEnded(callerAudioMs: number): void {
    this.#latency.tracker.speechEnded(callerAudioMs);
  }

  // internals ------------------------------------------------------------

  #begin(): void {
    this.#log.info("VOICE_BRIDGE_SESSION_STARTED", {
      sessionId: this.id,
      ...this.#maskedCaller(),
      phoneNumberId: this.phoneNumberId,
      testCall: this.#isTest,
    });
    const recorder = this.#deps.recorder;
    if (recorder) {
      this.#startRecord = recorder.upsertCall({
        callId: this.callId,
        bridgeSessionId: this.id,
        ...(this.#isTest ? { testCall: true } : {}),
      })
        .catch((error) => {
          this.#log.error("CALL_RECORD_FAILED", { what: "call", error: String(error) });
          return undefined;
        });
    }
    this.#record("bridge_session_started", { sessionId: this.id });
    this.#peer.onState((s) => {
      if (s === "connected") {
        this.#mark("mediaConnected");
        this.#log.info("WEBRTC_PEER_CONNECTED", {
          sessionId: this.id,
          ms: this.timings.mediaConnected,
          iceRechecks: this.#peer.iceRechecks,
        });
      } else if (s === "failed" && this.state !== "ended") {
        this.#log.error("WEBRTC_PEER_FAILED", { sessionId: this.id });
        void this.end("media_failed", true);
      }
    });
    // A business-initiated call connects only once Meta's answer is applied; it rings until then.
    if (this.#outbound) this.#outbound.start();
    else this.#armMediaUp();
    this.#agent.start(this).then(() => {
      this.#mark("agentReady");
      this.#log.info("AGENT_READY", {
        sessionId: this.id,
        ms: this.timings.agentReady,
      });
    }, (error: Error) => {
      this.#log.error("AGENT_START_FAILED", { sessionId: this.id, error: error.message });
      void this.end(`agent_start_failed: ${error.message}`, true);
    });
  }

  /** The one wait on ICE and DTLS, bounded by `mediaConnectTimeoutMs` from now. */
  #armMediaUp(): void {
    this.#mediaUp = this.#peer.connected(this.#deps.mediaConnectTimeoutMs).then(
      () => true,
      (error: Error) => {
        if (this.state === "ending" || this.state === "ended") return false;
        this.#log.error("WEBRTC_CONNECT_TIMEOUT", { sessionId: this.id, error: error.message });
        void this.end("media_connect_timeout", true);
        return false;
      },
    );
    if (this.state === "accepted") this.#activateWhenUp();
  }

  #activate(): void {
    try {
      this.state = "active";
      this.#latency.accepted();
      // The recording notice goes out first: the agent's greeting queues behind it.
      queueAnnouncement(this.audio, this.#deps.recording?.announcement);
      this.#media.start();
      this.#agent.callAccepted();
      this.#log.info("AUDIO_BRIDGE_ACTIVE", { sessionId: this.id });
      this.#armCallLimits();
    } catch (error) {
      // Thrown in a promise callback, this would be an unhandled rejection: fatal for every call.
      this.#log.error("AUDIO_BRIDGE_START_FAILED", { sessionId: this.id, error: String(error) });
      void this.end("media_start_failed", true);
    }
  }

  #armCallLimits(): void {
    armCallLimits({
      timers: this.#timers,
      now: () => this.#scheduler.now(),
      lastVoiceAt: () => this.#media.lastVoiceAt,
      maxCallMs: this.#deps.maxCallMs,
      callerSilenceTimeoutMs: this.#deps.callerSilenceTimeoutMs,
      onLimit: (limit, detail) => {
        const event = limit === "max_duration" ? "CALL_MAX_DURATION" : "CALLER_SILENCE_TIMEOUT";
        this.#log.info(event, { sessionId: this.id, ...detail });
        this.#agent.sayGoodbye(limit);
        this.#timers.after(GOODBYE_GRACE_MS, () => void this.end(limit, true));
      },
    });
  }

  async #finish(reason: string, notifyMeta: boolean): Promise<void> {
    const talked = this.state === "active";
    this.state = "ending";
    this.endReason = reason;
    this.#mark("ended");
    this.#timers.clear();
    this.#media.stop();
    // The raw file is complete once media stopped; the post-call runner renders it.
    void this.#deps.recording?.stop(this.callId);
    // Dropping unplayed audio also releases a pending `requestHangup` wait.
    this.audio.flush();
    const stats = this.#media.stats();
    this.#log.info("VOICE_BRIDGE_SESSION_ENDED", { sessionId: this.id, reason, notifyMeta, stats });
    this.#record("bridge_session_ended", { reason, stats, timings: this.timings });
    // Meta hears at once, whatever the agent or the peer take to close.
    await Promise.all([this.#release(reason), notifyMeta ? this.#terminateAtMeta(reason) : null]);
    await this.#recordEnd(reason, notifyMeta, talked)
      .catch((error) =>
        this.#log.error("CALL_RECORD_FAILED", { what: "end", error: String(error) })
      );
    this.state = "ended";
    for (const l of this.#endedListeners) l(this);
  }

  /**
   * Closes the record when the bridge ended the call, or when the record is
   * the bridge's own (no function recorded the connect, so no `offeredAt`):
   * `completed` once media flowed, else `failed`, from a live status only.
   * A session the function ended is the function's to close.
   */
  async #recordEnd(reason: string, notifyMeta: boolean, talked: boolean): Promise<void> {
    const recorder = this.#deps.recorder;
    if (!recorder) return;
    // A start write deferred by an outage (undefined) leaves ownership unknown: close from
    // the bridge's side too; `from: LIVE` never overwrites a final status the function set.
    const start = await this.#startRecord;
    // A test call has no function and no Meta to close it: its record is always ours.
    const own = notifyMeta || this.#isTest || start === undefined || start.offeredAt === null;
    if (own && recorder.transitionCall) {
      const closed = await recorder.transitionCall(
        this.callId,
        talked ? "completed" : "failed",
        { endReason: reason, endedAt: new Date(), ...this.#testCallDuration() },
        { from: LIVE_CALL_STATUSES, keep: ["endedAt"] },
      );
      if (closed.applied) return;
    }
    // Meta's terminate webhook may be recorded first; it keeps the reason we write here.
    if (notifyMeta) await recorder.upsertCall({ callId: this.callId, endReason: reason });
  }

  async #release(reason: string): Promise<void> {
    const [agent, peer] = await Promise.allSettled([
      Promise.try(() => this.#agent.close(reason)),
      Promise.try(() => this.#peer.close()),
    ]);
    if (agent.status === "rejected") {
      this.#log.warn("AGENT_CLOSE_FAILED", { sessionId: this.id, error: String(agent.reason) });
    }
    if (peer.status === "rejected") {
      this.#log.warn("WEBRTC_PEER_CLOSE_FAILED", {
        sessionId: this.id,
        error: String(peer.reason),
      });
    }
  }

  async #terminateAtMeta(reason: string): Promise<void> {
    // Meta has no such call: a Graph terminate would only earn an error, or end a real one.
    if (this.#isTest) return;
    const terminator = this.#deps.terminator;
    if (!terminator) return;
    try {
      await terminator.terminate(this.phoneNumberId, this.callId);
      this.#log.info("WA_TERMINATE_SENT", { sessionId: this.id, reason });
      this.#record("terminate_sent", { reason });
    } catch (error) {
      this.#log.error("WA_TERMINATE_FAILED", { sessionId: this.id, error: String(error) });
      this.#record("terminate_failed", { reason, error: String(error) });
    }
  }

  /** A call from the console's "Talk to your agent" page, not from WhatsApp. */
  get #isTest(): boolean {
    return this.#req.testCall === true;
  }

  /** Meta reports no duration for a test call: the bridge's own, accept to hang-up. */
  #testCallDuration(): { durationSeconds?: number } {
    const accepted = this.timings.accepted;
    if (!this.#isTest || accepted === undefined) return {};
    return { durationSeconds: Math.round((Date.now() - this.createdAt - accepted) / 1000) };
  }

  /** The caller's number and user id as logs and `GET /sessions` show them; absent ones left out. */
  #maskedCaller(): { from?: string; fromUserId?: string } {
    const { from } = this.#req, { userId } = this.caller;
    return {
      ...(from === undefined ? {} : { from: maskPhone(from) }),
      ...(userId === undefined ? {} : { fromUserId: maskUserId(userId) }),
    };
  }

  #mark(name: string): void {
    this.timings[name] ??= Date.now() - this.createdAt;
  }

  #record(name: CallRecordEvent, data: Record<string, unknown> = {}): void {
    this.#write(name, data);
  }

  /** Stores any event: the session's own, or one the agent names. */
  #write(name: string, data: Record<string, unknown>): void {
    this.#deps.recorder?.recordEvent({ callId: this.callId, name, data })
      .catch((error) =>
        this.#log.error("CALL_RECORD_FAILED", { what: name, error: String(error) })
      );
  }
}
