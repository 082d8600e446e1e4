/**
 * What a call session is made from and depends on: the request, the media
 * peer, the agent factory, Meta, the store, the clock and the limits. The
 * manager injects them in production, tests inject fakes.
 *
 * @module
 */
import type { WhatsAppOffer } from "../../lib/sdp/whatsapp.ts";
import type {
  CallRecord,
  CallUpsert,
  NewCallEvent,
  NewTranscript,
  Store,
} from "../../store/store.ts";
import type { Agent, CallerContext } from "../agents/agent.ts";
import type { MediaHistograms, MediaPort } from "../media/call_media.ts";
import type { Scheduler, SharedFrameClock } from "../media/frame_clock.ts";
import type { SessionRecording } from "../recording/recordings.ts";
import type { OutboundRequest } from "./outbound_leg.ts";

/** What `POST /sessions` carries. */
export interface SessionRequest {
  callId: string;
  phoneNumberId: string;
  /** The caller's number; absent when Meta hides it behind a username. */
  from?: string | undefined;
  to: string;
  sdp: string;
  /** Who is calling and from which button or link, for the agent. */
  caller?: CallerContext | undefined;
  /** From the console's "Talk to your agent": Meta knows nothing of it, so it is never told. */
  testCall?: boolean | undefined;
  /** A business-initiated call: the session made the offer (`sdp`) and waits for Meta's answer. */
  outbound?: OutboundRequest | undefined;
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
  /** Caller SRTP/SRTCP packets dropped as replays (in `GET /sessions/:id`). */
  readonly srtpReplays: number;
  /** Media dropped for not coming from the nominated ICE pair's remote (in `GET /sessions/:id`). */
  readonly foreignSourceDrops: number;
  connected(timeoutMs: number): Promise<void>;
  onState(listener: (s: string) => void): void;
  close(): Promise<void>;
}

/** Hangs up a call at Meta (Graph `terminate`). */
export interface CallTerminator {
  terminate(phoneNumberId: string, callId: string): Promise<unknown>;
}

/**
 * Where a session keeps its records; a failing store never breaks the call.
 * Without `addUsage` the provider's usage is not kept; without
 * `transitionCall` the call's final status is left to the function and Meta.
 * A write may be deferred until the database is back (durable_recorder.ts).
 */
export type SessionRecorder =
  & {
    recordEvent(event: NewCallEvent): Promise<unknown>;
    addTranscript(line: NewTranscript): Promise<unknown>;
    /** The call as stored; `undefined` when the write was deferred. */
    upsertCall(call: CallUpsert): Promise<CallRecord | undefined>;
  }
  & Partial<Pick<Store, "addUsage" | "transitionCall">>;

/** The limits a call runs under; `sessionLimits` (config.ts) derives them from the config. */
export interface SessionLimits {
  /** Bound on ICE + DTLS after the answer. */
  mediaConnectTimeoutMs: number;
  /** Longest call; the agent says goodbye at this point. */
  maxCallMs: number;
  /** Caller silence that ends the call (0 disables). */
  callerSilenceTimeoutMs: number;
}

/** Everything a session depends on, injected by the manager (and by tests). */
export interface SessionDeps extends SessionLimits {
  /** Answers the validated offer (`sdp` is its text); `callId` names the call in the peer's logs. */
  createPeer(offer: WhatsAppOffer, sdp: string, callId: string): Promise<SessionPeer>;
  createAgent(callId: string): Agent;
  recorder?: SessionRecorder | undefined;
  terminator?: CallTerminator | undefined;
  scheduler?: Scheduler;
  /** Process-wide frame timings for `/metrics`. */
  histograms?: MediaHistograms | undefined;
  /** The process's shared 20 ms media clock; absent: each call runs its own on `scheduler`. */
  clock?: SharedFrameClock | undefined;
  /** Records each call's Opus both ways (`RECORDING=on`, bridge/recording/); absent: off. */
  recording?: SessionRecording | undefined;
  /**
   * What this call runs with instead of the deps above: its number's agent
   * settings (bridge/agent_settings/). Looked up while the peer is made; must
   * settle quickly and never reject. Absent: every call runs with the deps.
   */
  forCall?: ((req: SessionRequest) => Promise<CallDeps>) | undefined;
}

/** The deps one call's number may change (bridge/agent_settings/call_settings.ts). */
export type CallDeps = Pick<SessionDeps, "createAgent" | "maxCallMs" | "recording">;
