/**
 * Every fuzz target, one per parser the network reaches, in the order
 * `deno task fuzz` runs them.
 *
 * @module
 */
import { dtmfTarget, rtcpTarget, rtpTarget, rtpWeriftTarget } from "./targets_media.ts";
import { srtpTarget } from "./targets_srtp.ts";
import { answerTarget, offerTarget, sdpTarget } from "./targets_sdp.ts";
import { webhookRouteTarget, webhookSignatureTarget, webhookTarget } from "./targets_webhook.ts";
import { bridgeApiTarget, realtimeTarget } from "./targets_events.ts";
import type { FuzzTarget, TargetName } from "./target.ts";

/** The targets, by run order. */
export const TARGETS: readonly FuzzTarget[] = [
  rtpTarget,
  rtpWeriftTarget,
  rtcpTarget,
  dtmfTarget,
  srtpTarget,
  sdpTarget,
  offerTarget,
  answerTarget,
  webhookTarget,
  webhookRouteTarget,
  webhookSignatureTarget,
  realtimeTarget,
  bridgeApiTarget,
];

/** The target called `name`, or undefined. */
export function targetNamed(name: string): FuzzTarget | undefined {
  return TARGETS.find((t) => t.name === name);
}

/** True when `name` names a target. */
export function isTargetName(name: string): name is TargetName {
  return targetNamed(name) !== undefined;
}
