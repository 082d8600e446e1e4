/**
 * The fake Meta's call state machine: what each Graph action does to a call
 * and which requests Meta refuses. Pure: the fake (`meta_graph.ts`) sends the
 * webhooks that follow.
 *
 * Where Meta is silent the fake picks the strict reading, so a product that
 * passes against it survives the real service:
 *
 * - No idempotency. Meta lists "Accept/Reject an already In Progress/
 *   Completed/Failed call" as an error case but documents neither a code
 *   nor a message (API reference,
 *   https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/reference).
 *   Every repeat is refused here with code 100, HTTP 400: unconfirmed.
 * - An answer after the ring window. Meta ends the call ("about 30 to 60
 *   seconds after the Call Connect webhook", user-initiated calls page,
 *   https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-initiated-calls);
 *   a late pre_accept/accept gets 138007 "Connect Timeout error" ("Connect API
 *   was not invoked with the answer SDP in time"). That this is the code a
 *   late accept earns is unconfirmed.
 *
 * @module
 */

import { invalid, type MetaFault, tableFault } from "./meta_faults.ts";
import { checkSdp } from "./meta_sdp_rules.ts";

/** Actions of the `/calls` endpoint. */
export type FakeGraphAction = "pre_accept" | "accept" | "reject" | "terminate" | "connect";

/** Lifecycle of a fake call. */
export type FakeCallState =
  | "ringing" // user-initiated, awaiting our answer
  | "pre_accepted"
  | "accepted"
  | "rejected" // declined by us
  | "terminated" // ended by our terminate
  | "completed" // ended by the user
  | "not_answered" // ended by Meta: not accepted within the ring window
  | "failed" // ended by Meta: the call failed (setup, relay, media)
  | "calling"; // business-initiated, callee not answered yet

const ENDED: readonly FakeCallState[] = [
  "rejected",
  "terminated",
  "completed",
  "not_answered",
  "failed",
];

/** True once the call is over, whoever ended it. */
export function isEnded(state: FakeCallState): boolean {
  return ENDED.includes(state);
}

/** True while a user-initiated call waits for our accept. */
export function isRinging(state: FakeCallState): boolean {
  return state === "ringing" || state === "pre_accepted";
}

/** A call the fake knows. */
export interface FakeCall {
  callId: string;
  phoneNumberId: string;
  direction: "USER_INITIATED" | "BUSINESS_INITIATED";
  /** The WhatsApp user's number; absent for a username user Meta names by BSUID only. */
  user?: string;
  /** The user's business-scoped user id (BSUID). */
  userId?: string;
  state: FakeCallState;
  offerSdp?: string;
  preAcceptSdp?: string;
  acceptSdp?: string;
  /** Fake clock ms when the call was picked up. */
  acceptedAt?: number;
  bizOpaqueCallbackData?: string;
}

/** Body fields the fake reads; everything else is recorded but ignored. */
export interface CallsBody {
  messaging_product?: unknown;
  action?: unknown;
  call_id?: unknown;
  to?: unknown;
  session?: { sdp_type?: unknown; sdp?: unknown };
  biz_opaque_callback_data?: unknown;
}

/** Meta caps `biz_opaque_callback_data` at 512 characters. */
export function checkOpaque(value: unknown): MetaFault | undefined {
  return typeof value === "string" && value.length > 512
    ? invalid("biz_opaque_callback_data exceeds 512 characters")
    : undefined;
}

/**
 * Applies `action` (not `connect`, which creates calls) to `call`, changing
 * its state, or returns the fault Meta answers and leaves the call as it was.
 */
export function applyAction(
  action: Exclude<FakeGraphAction, "connect">,
  call: FakeCall,
  body: CallsBody,
  now: number,
): MetaFault | undefined {
  switch (action) {
    case "pre_accept":
    case "accept":
      return answer(action, call, body, now);
    case "reject":
      if (!isRinging(call.state)) return refused(action, call);
      call.state = "rejected";
      return undefined;
    case "terminate":
      if (isEnded(call.state)) return refused(action, call);
      call.state = "terminated";
      return undefined;
  }
}

function answer(
  action: "pre_accept" | "accept",
  call: FakeCall,
  body: CallsBody,
  now: number,
): MetaFault | undefined {
  if (call.direction !== "USER_INITIATED") {
    return invalid(`${action} is only valid for user-initiated calls`);
  }
  const sdp = answerSdp(body);
  if (typeof sdp !== "string") return sdp;
  if (call.state === "not_answered") {
    return tableFault(138007, "Connect API was not invoked with the answer SDP in time");
  }
  if (action === "pre_accept") {
    if (call.state !== "ringing") return refused(action, call);
    call.state = "pre_accepted";
    call.preAcceptSdp = sdp;
    return undefined;
  }
  if (!isRinging(call.state)) return refused(action, call);
  if (call.preAcceptSdp !== undefined && sdp !== call.preAcceptSdp) {
    return invalid(
      "SDP answer provided in accept does not match the SDP answer given in the Pre-Accept",
    );
  }
  const opaque = body.biz_opaque_callback_data;
  const fault = checkOpaque(opaque);
  if (fault) return fault;
  if (typeof opaque === "string") call.bizOpaqueCallbackData = opaque;
  call.state = "accepted";
  call.acceptSdp = sdp;
  call.acceptedAt = now;
  return undefined;
}

/** A repeat, or an action the call's state does not allow (code unconfirmed, see the module doc). */
function refused(action: FakeGraphAction, call: FakeCall): MetaFault {
  return invalid(`${action} not allowed on a call that is ${call.state}`);
}

/** The SDP of a pre_accept/accept body, or the fault Meta answers. */
function answerSdp(b: CallsBody): string | MetaFault {
  if (b.session?.sdp_type !== "answer" || typeof b.session.sdp !== "string") {
    return invalid('session must be {sdp_type: "answer", sdp}');
  }
  return checkSdp(b.session.sdp, "answer") ?? b.session.sdp;
}
