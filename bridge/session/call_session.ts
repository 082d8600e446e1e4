/**
 * One WhatsApp call inside the bridge, from Meta's offer to hang-up:
 *
 *   POST /sessions  → validate offer → werift answers → agent connects
 *   POST /accept    → media starts (first packet now) → agent greets
 *   hang-up         → media stops → agent and peer close → Meta told (when we hung up)
 *
 * Every way a call can end goes through `end()`, which runs once and records
 * why, so a caller is never left in silence on an open line.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import { validateWhatsAppOffer, type WhatsAppOffer } from "../../lib/sdp/whatsapp.ts";
import type { Agent, AgentContext, TranscriptEntry } from "../agents/agent.ts";
import { callLogger } from "../log.ts";
import {
  CallMedia,
  type MediaHistograms,
  type MediaPort,
  type MediaStats,
} from "../media/call_media.ts";
import {
  realScheduler,
  type Scheduler,
  type SharedFrameClock,
  type TimerHandle,
} from "../media/frame_clock.ts";
import { OutboundPlayer } from "../media/outbound_player.ts";
import type { Store } from "../../store/store.ts";
import { maskPhone } from "../../lib/whatsapp/mask.ts";

/** What `POST /sessions` carries. */
export interface SessionRequest {
  callId: string;
  phoneNumberId: string;
  from: string;
  to: string;
  sdp: string;
}

/** The media side a session needs: the werift peer in production. */
export interface SessionPeer extends MediaPort {
  readonly answerSdp: string;
  readonly opusPayloadType: number;
  readonly telephoneEventPayloadType: number;
  /** ICE checks restarted because a round went unanswered (logged on connect). */
  readonly iceRechecks: number;
  /** Caller RTP packets dropped for failing SRTP authentication (in `GET /sessions/:id`). */
  readonly srtpAuthFailures: number;
  connected(timeoutMs: number): Promise<void>;
  onState(listener: (s: string) => void): void;
  close(): Promise<void>;
}

/** Hangs up a call at Meta (Graph `terminate`). */
export interface CallTerminator {
  terminate(phoneNumberId: string, callId: string): Promise<unknown>;
}

/** Where a session keeps its records; a failing store never breaks the call. */
export type SessionRecorder = Pick<Store, "recordEvent" | "addTranscript" | "upsertCall">;

/** Everything a session depends on, injected by the manager (and by tests). */
export interface SessionDeps {
  /** Answers the validated offer (`sdp` is its text). */
  createPeer(offer: WhatsAppOffer, sdp: string): Promise<SessionPeer>;
  createAgent(callId: string): Agent;
  recorder?: SessionRecorder | undefined;
  terminator?: CallTerminator | undefined;
  scheduler?: Scheduler;
  /** Bound on ICE + DTLS after the answer. */
  mediaConnectTimeoutMs: number;
  /** Longest call; the agent says goodbye at this point. */
  maxCallMs: number;
  /** Caller silence that ends the call (0 disables). */
  callerSilenceTimeoutMs: number;
  /** Process-wide frame timings for `/metrics`. */
  histograms?: MediaHistograms | undefined;
  /** The process's shared 20 ms media clock; absent: each call runs its own on `scheduler`. */
  clock?: SharedFrameClock | undefined;
}

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
const GOODBYE_GRACE_MS = 15_000;

/** One call in the bridge. */
export class CallSession implements AgentContext {
  readonly id = crypto.randomUUID();
  readonly callId: string;
  readonly phoneNumberId: string;
  readonly audio = new OutboundPlayer();
  readonly createdAt = Date.now();
  readonly timings: Record<string, number> = {};
  state: SessionState = "answered";
  endReason: string | undefined;

  #req: SessionRequest;
  #deps: SessionDeps;
  #scheduler: Scheduler;
  #peer: SessionPeer;
  #agent: Agent;
  #media: CallMedia;
  #log: Logger;
  #history: TranscriptEntry[] = [];
  #timers: TimerHandle[] = [];
  #ended: Promise<void> | undefined;
  #endedListeners: Array<(s: CallSession) => void> = [];
  #hangupRequested = false;

  private constructor(req: SessionRequest, deps: SessionDeps, peer: SessionPeer, agent: Agent) {
    this.#req = req;
    this.callId = req.callId;
    this.phoneNumberId = req.phoneNumberId;
    this.#deps = deps;
    this.#scheduler = deps.scheduler ?? realScheduler;
    this.#peer = peer;
    this.#agent = agent;
    this.#log = callLogger(req.callId, "session");
    this.#media = new CallMedia({
      port: peer,
      sink: agent,
      player: this.audio,
      opusPayloadType: peer.opusPayloadType,
      telephoneEventPayloadType: peer.telephoneEventPayloadType,
      scheduler: this.#scheduler,
      ...(deps.histograms ? { histograms: deps.histograms } : {}),
      ...(deps.clock ? { clock: deps.clock } : {}),
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
    });
  }

  /**
   * Validates the offer, answers it and starts the agent. Throws
   * {@linkcode OfferRejectedError} for an offer we cannot serve.
   */
  static async create(req: SessionRequest, deps: SessionDeps): Promise<CallSession> {
    const checked = validateWhatsAppOffer(req.sdp);
    if (!checked.ok) throw new OfferRejectedError(checked.errors);
    const agent = deps.createAgent(req.callId);
    const peer = await deps.createPeer(checked.offer, req.sdp);
    const session = new CallSession(req, deps, peer, agent);
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
    this.#peer.connected(this.#deps.mediaConnectTimeoutMs).then(() => {
      if (this.state !== "accepted") return;
      this.state = "active";
      this.#media.start();
      this.#agent.callAccepted();
      this.#log.info("AUDIO_BRIDGE_ACTIVE", { sessionId: this.id });
      this.#armCallTimers();
    }, () => {});
  }

  /** Ends the call once; `notifyMeta` sends Graph `terminate` (when the bridge hung up). */
  end(reason: string, notifyMeta: boolean): Promise<void> {
    this.#ended ??= this.#finish(reason, notifyMeta);
    return this.#ended;
  }

  /**
   * Meta's view of the call, passed on by the function: a status webhook or a
   * business-initiated `connect` answer. The bridge answers user-initiated
   * calls only, so these are recorded against the session, not acted on.
   */
  metaEvent(
    event: { kind: "status"; status: string } | { kind: "connect_answer"; sdp: string },
  ): void {
    const name = event.kind === "status"
      ? `meta_status_${event.status.toLowerCase()}`
      : "meta_connect_answer";
    this.#log.info("WA_CALL_META_EVENT", { sessionId: this.id, event: name });
    this.#record(name, event.kind === "status" ? { status: event.status } : {});
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
      from: maskPhone(this.#req.from),
      to: maskPhone(this.#req.to),
      state: this.state,
      endReason: this.endReason ?? null,
      createdAt: new Date(this.createdAt).toISOString(),
      timings: this.timings,
      rtp: { ...this.#media.stats(), srtpAuthFailures: this.#peer.srtpAuthFailures },
      queuedAgentAudioMs: this.audio.queuedMs(),
    };
  }

  // AgentContext ---------------------------------------------------------

  /** @inheritdoc */
  onTranscript(entry: TranscriptEntry): void {
    this.#history.push(entry);
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
  onEvent(name: string, data: Record<string, unknown> = {}): void {
    this.#log.debug("AGENT_EVENT", { name, ...data });
    this.#record(name, data);
  }

  /** @inheritdoc */
  requestHangup(reason: string): void {
    if (this.#hangupRequested) return;
    this.#hangupRequested = true;
    this.#log.info("AGENT_HANGUP_REQUESTED", { reason });
    // Let the agent finish its sentence: hang up when the queued audio has played.
    const grace = this.#scheduler.setTimeout(() => void this.end(reason, true), GOODBYE_GRACE_MS);
    this.#timers.push(grace);
    void this.audio.idle().then(() => this.end(reason, true));
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

  // internals ------------------------------------------------------------

  #begin(): void {
    this.#log.info("VOICE_BRIDGE_SESSION_STARTED", {
      sessionId: this.id,
      from: maskPhone(this.#req.from),
      phoneNumberId: this.phoneNumberId,
    });
    this.#deps.recorder?.upsertCall({ callId: this.callId, bridgeSessionId: this.id })
      .catch((error) =>
        this.#log.error("CALL_RECORD_FAILED", { what: "call", error: String(error) })
      );
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
    this.#peer.connected(this.#deps.mediaConnectTimeoutMs).catch((error: Error) => {
      if (this.state === "ending" || this.state === "ended") return;
      this.#log.error("WEBRTC_CONNECT_TIMEOUT", { sessionId: this.id, error: error.message });
      void this.end("media_connect_timeout", true);
    });
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

  #armCallTimers(): void {
    const { maxCallMs, callerSilenceTimeoutMs } = this.#deps;
    this.#timers.push(this.#scheduler.setTimeout(() => {
      this.#log.info("CALL_MAX_DURATION", { sessionId: this.id, maxCallMs });
      this.#agent.sayGoodbye("max_duration");
      this.#timers.push(
        this.#scheduler.setTimeout(() => void this.end("max_duration", true), GOODBYE_GRACE_MS),
      );
    }, maxCallMs));
    if (callerSilenceTimeoutMs > 0) {
      const check = () => {
        if (this.state !== "active") return;
        const silentMs = this.#scheduler.now() - this.#media.lastVoiceAt;
        if (silentMs >= callerSilenceTimeoutMs) {
          this.#log.info("CALLER_SILENCE_TIMEOUT", { sessionId: this.id, silentMs });
          this.#agent.sayGoodbye("caller_silence");
          this.#timers.push(
            this.#scheduler.setTimeout(
              () => void this.end("caller_silence", true),
              GOODBYE_GRACE_MS,
            ),
          );
          return;
        }
        this.#timers.push(this.#scheduler.setTimeout(check, callerSilenceTimeoutMs - silentMs));
      };
      this.#timers.push(this.#scheduler.setTimeout(check, callerSilenceTimeoutMs));
    }
  }

  async #finish(reason: string, notifyMeta: boolean): Promise<void> {
    this.state = "ending";
    this.endReason = reason;
    this.#mark("ended");
    for (const t of this.#timers) this.#scheduler.clearTimeout(t);
    this.#media.stop();
    const stats = this.#media.stats();
    this.#log.info("VOICE_BRIDGE_SESSION_ENDED", { sessionId: this.id, reason, notifyMeta, stats });
    this.#record("bridge_session_ended", { reason, stats, timings: this.timings });
    await Promise.allSettled([this.#agent.close(reason), this.#peer.close()]);
    if (notifyMeta && this.#deps.terminator) {
      try {
        await this.#deps.terminator.terminate(this.phoneNumberId, this.callId);
        this.#record("terminate_sent", { reason });
      } catch (error) {
        this.#log.error("WA_TERMINATE_FAILED", { sessionId: this.id, error: String(error) });
        this.#record("terminate_failed", { reason, error: String(error) });
      }
    }
    if (notifyMeta) {
      await this.#deps.recorder?.upsertCall({ callId: this.callId, endReason: reason })
        .catch((error) =>
          this.#log.error("CALL_RECORD_FAILED", { what: "end", error: String(error) })
        );
    }
    this.state = "ended";
    for (const l of this.#endedListeners) l(this);
  }

  #mark(name: string): void {
    this.timings[name] ??= Date.now() - this.createdAt;
  }

  #record(name: string, data: Record<string, unknown> = {}): void {
    this.#deps.recorder?.recordEvent({ callId: this.callId, name, data })
      .catch((error) =>
        this.#log.error("CALL_RECORD_FAILED", { what: name, error: String(error) })
      );
  }
}
