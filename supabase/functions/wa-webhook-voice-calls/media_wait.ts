/**
 * The step between Graph `pre_accept` and `accept`: wait, bounded, until the
 * bridge's ICE and DTLS are up.
 *
 * Why wait. Meta's flow for user-initiated calls is pre_accept, then "Your
 * business accepts the call after the WebRTC connection is made", then media
 * only after accept's `200 OK` ("If call media flows too early, the caller
 * will miss the first few words … too late, callers will hear silence"):
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-initiated-calls.
 * pre_accept exists so that "media begins flowing immediately" on accept. An
 * accept sent before the connection is up makes the caller's phone show a
 * live call that is silent until ICE and DTLS finish (DTLS retransmits alone
 * can take seconds, Meta's troubleshooting page on audio clipping). pipecat
 * (`transports/whatsapp/client.py`) sends accept right after pre_accept
 * without waiting; we follow Meta's order instead. The bridge starts media
 * only on its own accept, after Meta's, so no media ever precedes accept.
 *
 * When the media does not come up within the bound the call is rejected
 * while it still rings: accepting anyway would give the caller a live but
 * silent line until the bridge's `MEDIA_CONNECT_TIMEOUT_MS` hangs up. The
 * bound (`WA_MEDIA_CONNECT_WAIT_MS`) stays well inside Meta's accept window
 * of "about 30 to 60 seconds" after the connect webhook.
 *
 * @module
 */

import { type BridgeClient, bridgeFailureReason } from "../../../lib/bridge_api/client.ts";

/** How the wait ended. */
export type MediaWait =
  | { connected: true }
  | {
    connected: false;
    /** `media_not_connected`, or why the bridge could not be asked. */
    reason: string;
    error?: unknown;
  };

/** Asks the bridge to wait up to `timeoutMs` for session `sessionId`'s media connection. */
export async function waitForMedia(
  bridge: BridgeClient,
  sessionId: string,
  timeoutMs: number,
): Promise<MediaWait> {
  try {
    const { connected } = await bridge.waitConnected(sessionId, timeoutMs);
    return connected ? { connected } : { connected, reason: "media_not_connected" };
  } catch (error) {
    return { connected: false, reason: bridgeFailureReason(error, "bridge_connected"), error };
  }
}
