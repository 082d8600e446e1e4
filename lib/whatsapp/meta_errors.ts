/**
 * Meta's error codes on a failed call, explained in words an operator can act
 * on: what happened, and what to check. Meta's own title and meaning come from
 * `call_errors.ts` (the one table of codes); this adds the plain words and
 * says how sure we are of each.
 *
 * Sources:
 * - [meta] Meta, "Troubleshoot WhatsApp Calling Errors" (calling error codes):
 *   https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/troubleshooting
 *   (copies dated Dec 3, 2025 and May 21, 2026; summarised in
 *   /work/shared/reference/whatsapp-calling.md, section 2 and 1.3).
 * - [terminate] Meta's terminate webhook reference (errors[] appears only on
 *   failed calls; 138019–138023 are sent there):
 *   https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-initiated-calls
 * - [impl] implementers' reports, not Meta: 138008 "SDP Validation error" for an
 *   answer with several or non-sha-256 fingerprints (pipecat's WhatsApp
 *   transport strips them for this reason); 138021 seen when an ISP blocked
 *   VoIP (whatsapp-calling-lab). Marked `confirmed: false`.
 * - The 20 s (start) and 30 s (mid-call) no-media limits behind 138021/138022
 *   are in Meta's calling FAQ [meta]; the exact limit per code is our reading.
 *
 * @module
 */
import { callErrorInfo } from "./call_errors.ts";

/** A code explained for the console. */
export interface MetaErrorExplanation {
  code: number;
  /** Meta's title, or "Unknown error" for a code neither table knows. */
  title: string;
  /** What happened, in plain words. */
  explanation: string;
  /** What to check or do next; empty when nothing on our side helps. */
  action: string;
  /** False when the meaning rests on implementers' reports, not Meta's documentation. */
  confirmed: boolean;
}

interface Words {
  explanation: string;
  action: string;
  confirmed?: false;
}

/** Plain words per code; codes missing here fall back to Meta's meaning. */
const WORDS: Readonly<Record<number, Words>> = {
  // [meta]
  100: {
    explanation: "Meta refused a request as invalid, often because the SDP answer broke a rule.",
    action: "Read the details Meta sent (error_data) and the bridge's SDP checklist log.",
  },
  131044: {
    explanation: "The business account has no valid payment method, so Meta would not connect.",
    action: "Add or fix the payment method of the WhatsApp Business Account.",
  },
  138000: {
    explanation: "Calling is not enabled on this WhatsApp number.",
    action: "Enable calling in the number's call settings.",
  },
  138004: {
    explanation: "Meta hit an error while connecting the call.",
    action: "Usually passing; if it repeats, check Meta's status page.",
  },
  138007: {
    explanation: "Meta gave up waiting: our SDP answer was not applied in time.",
    action: "Check that pre_accept/accept reached Meta quickly (the timeline above).",
  },
  // [impl] Not in Meta's table.
  138008: {
    explanation: "Meta rejected our SDP answer, reportedly for its DTLS fingerprint lines.",
    action: "The answer must carry exactly one sha-256 fingerprint.",
    confirmed: false,
  },
  138018: {
    explanation: "No app is subscribed to the calls webhook for this number, and no SIP is set.",
    action: "Subscribe the app to the WABA's `calls` webhook field.",
  },
  // [terminate] Sent in the terminate webhook's errors[].
  138019: {
    explanation: "The caller's WhatsApp app could not set the call up.",
    action: "Often the caller's network; check our ICE candidates and TURN if it repeats.",
  },
  138020: {
    explanation: "The caller's app could not reach Meta's relay server.",
    action: "Usually the caller's network (firewall, VPN); nothing on our side failed.",
  },
  138021: {
    explanation:
      "The caller's app heard no audio from us for too long (about 20 s at the start, 30 s mid-call) and hung up.",
    action:
      "Check that the bridge sends media right after accept (silence included), that PUBLIC_IP and UDP ports are reachable, and TURN.",
  },
  138022: {
    explanation: "The caller's app could not send its audio for too long and ended the call.",
    action: "Usually the caller's network or microphone; check ICE and TURN if it repeats.",
  },
  138023: {
    explanation: "Meta accepted the call but no media ever flowed between us and WhatsApp.",
    action: "ICE or DTLS never completed: check PUBLIC_IP, the RTP port range and TURN.",
  },
};

/** The explanation of `code`; a code no table knows still gets a sentence. */
export function explainMetaError(code: number): MetaErrorExplanation {
  const info = callErrorInfo(code);
  const words = WORDS[code];
  if (info === undefined && words === undefined) {
    return {
      code,
      title: "Unknown error",
      explanation: `Meta reported error ${code}, which its calling error table does not list.`,
      action: "Look the code up in Meta's troubleshooting guide and WhatsApp Manager's call logs.",
      confirmed: false,
    };
  }
  return {
    code,
    title: info?.title ?? "Unknown error",
    explanation: words?.explanation ?? `${info!.meaning}.`,
    action: words?.action ?? "",
    confirmed: words?.confirmed ?? true,
  };
}

/**
 * The codes of a call worth explaining, first seen first: `meta_error_code`
 * then each of `meta_error_codes` (the terminate's list), without repeats.
 */
export function callErrorCodes(
  metaErrorCode: number | null,
  metaErrorCodes: readonly number[] | null,
): number[] {
  return [
    ...new Set([...(metaErrorCode === null ? [] : [metaErrorCode]), ...(metaErrorCodes ?? [])]),
  ];
}
