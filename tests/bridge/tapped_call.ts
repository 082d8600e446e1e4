/**
 * A live call on loopback for attack tests: a bridge in this process with a
 * {@linkcode ToneAgent}, a fake WhatsApp caller, and a tap on the caller's
 * sockets that keeps a copy of every SRTP and SRTCP datagram it sends, as
 * an eavesdropper on the path would.
 *
 * @module
 */
import { UdpTransport } from "werift";
import type { Address } from "../../bridge/webrtc/deno_udp_transport.ts";
import { isMedia } from "../../bridge/webrtc/media_fast_path.ts";
import type { UdpTransportStatics } from "../../bridge/webrtc/werift_internals.ts";
import { installWeriftPatches } from "../../bridge/webrtc/werift_patches.ts";
import { WhatsAppCaller, type WhatsAppCallerOptions } from "../../simulator/whatsapp_caller.ts";
import { startTestBridge, TEST_BRIDGE_SECRET } from "../support/test_bridge.ts";
import { ToneAgent } from "../support/tone_agent.ts";
import { until } from "../support/until.ts";

/** One media datagram the caller sent, and where to. */
export interface Tapped {
  bytes: Uint8Array;
  to: Address;
}

/** A connected, accepted call and what the tap saw. */
export interface TappedCall {
  caller: WhatsAppCaller;
  agent: ToneAgent;
  /** Every SRTP/SRTCP datagram the caller sent, in order, until {@linkcode stopTap}. */
  sent: Tapped[];
  /** The bridge's media address (where the caller's media goes). */
  bridgeMedia: Address;
  /** Stops recording what the caller sends (a flood's datagrams are not worth keeping). */
  stopTap(): void;
  /** `GET /sessions/:id`'s `rtp` object. */
  rtpStats(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

type Send = (data: Uint8Array, addr?: Address) => Promise<void>;

/** Makes the caller with every UDP socket it opens tapped while `tap.on`. */
async function tappedCaller(
  options: WhatsAppCallerOptions,
  sent: Tapped[],
  tap: { on: boolean },
): Promise<WhatsAppCaller> {
  installWeriftPatches();
  const statics = UdpTransport as UdpTransportStatics;
  const init = statics.init;
  statics.init = async (type, opts) => {
    const socket = await init(type, opts) as { send: Send };
    const send = socket.send;
    socket.send = (data, addr) => {
      if (tap.on && addr && isMedia(data)) sent.push({ bytes: data.slice(), to: addr });
      return send(data, addr);
    };
    return socket;
  };
  try {
    return await WhatsAppCaller.create(options);
  } finally {
    statics.init = init;
  }
}

/** Starts the bridge and the tapped caller, places the call and waits for audio both ways. */
export async function tappedCall(options: WhatsAppCallerOptions = {}): Promise<TappedCall> {
  const agents: ToneAgent[] = [];
  const { bridge } = startTestBridge({}, {
    createAgent: () => {
      const agent = new ToneAgent(1000, 30);
      agents.push(agent);
      return agent;
    },
  });
  const sent: Tapped[] = [];
  const tap = { on: true };
  const caller = await tappedCaller(options, sent, tap);
  const headers = {
    authorization: `Bearer ${TEST_BRIDGE_SECRET}`,
    "content-type": "application/json",
  };
  const close = async () => {
    await caller.close();
    await bridge.close(0);
  };
  try {
    const res = await fetch(`${bridge.url}/sessions`, {
      method: "POST",
      headers,
      body: JSON.stringify({
        callId: `wacid.tapped${Date.now()}`,
        phoneNumberId: "106540352242922",
        from: "16315553602",
        to: "16315553601",
        sdp: caller.offerSdp,
      }),
    });
    if (res.status !== 201) throw new Error(`POST /sessions: ${res.status} ${await res.text()}`);
    const { sessionId, sdp } = await res.json();
    await caller.applyAnswer(sdp);
    await caller.connected();
    const accepted = await fetch(`${bridge.url}/sessions/${sessionId}/accept`, {
      method: "POST",
      headers,
    });
    await accepted.body?.cancel();
    await until(
      () => agents[0] !== undefined && agents[0].heard.length >= 25,
      5000,
      "caller audio",
    );
    return {
      caller,
      agent: agents[0]!,
      sent,
      bridgeMedia: sent.at(-1)!.to,
      stopTap: () => {
        tap.on = false;
        sent.length = 0;
      },
      rtpStats: async () => {
        const r = await fetch(`${bridge.url}/sessions/${sessionId}`, { headers });
        return (await r.json()).rtp;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
