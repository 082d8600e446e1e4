/**
 * A call's real media path driven by a scripted caller, for tests and
 * benches: a {@linkcode MediaPort} read on ticks whose every poll delivers
 * the caller's Opus packets due by then, and the caller's audio to the agent
 * dropped.
 *
 * @module
 */
import { CallMedia, type CallMediaOptions, type MediaPort } from "./call_media.ts";

/** One Opus packet from the scripted caller. */
export interface CallerPacket {
  sequenceNumber: number;
  timestamp: number;
  payload: Uint8Array;
}

/** {@linkcode scriptedCallMedia}'s options: CallMedia's, less the port, sink and payload types. */
export type ScriptedCallOptions =
  & Omit<CallMediaOptions, "port" | "sink" | "opusPayloadType" | "telephoneEventPayloadType">
  & {
    /** The packets poll `n` delivers (poll 0 at start, then one a tick). */
    arrivals: (poll: number) => Iterable<CallerPacket>;
    /** Each payload the call sends to the caller. */
    sendOpus?: MediaPort["sendOpus"];
  };

/** A CallMedia on a scripted caller: Opus on payload type 111, telephone-event 126. */
export function scriptedCallMedia(options: ScriptedCallOptions): CallMedia {
  const { arrivals, sendOpus = () => {}, ...rest } = options;
  let deliver: Parameters<MediaPort["onRtp"]>[0] = () => {};
  let polls = 0;
  const port: MediaPort = {
    sendOpus,
    onRtp: (listener) => deliver = listener,
    receiveOnTicks: () => {},
    pollRtp: () => {
      for (const p of arrivals(polls++)) deliver({ ...p, payloadType: 111, marker: false });
    },
  };
  return new CallMedia({
    ...rest,
    port,
    sink: { pushAudio: () => {}, pushDtmf: () => {} },
    opusPayloadType: 111,
    telephoneEventPayloadType: 126,
  });
}
