/**
 * Meta's WhatsApp calling error codes in one table: the title and meaning
 * Meta gives each, and the HTTP status it answers with. The product turns a
 * code into a human-readable reason with it (Graph errors, terminate
 * webhooks); the fake Meta builds its errors from it.
 *
 * Source: "Troubleshoot WhatsApp Calling Errors", calling error codes
 * (updated Jun 24, 2026):
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/troubleshooting
 * Two rows come from elsewhere and say so: 190 (Graph's generic token error)
 * and 138008 (not in Meta's table; reported by implementers).
 *
 * @module
 */

/** What Meta says about one error code. */
export interface CallErrorInfo {
  /** Stable snake_case name, for logs and records. */
  codeName: string;
  /** Meta's title of the code. */
  title: string;
  /** Meta's description, shortened. */
  meaning: string;
  /** HTTP status Meta answers a Graph request with when it returns this code. */
  httpStatus: number;
  /** Meta sends it in a `terminate` webhook's `errors[]`, not as a Graph answer. */
  inTerminateWebhook?: true;
}

/** Meta's troubleshooting page, the `href` its webhook errors point to. */
export const CALL_ERRORS_HREF =
  "https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/troubleshooting";

const terminateError = (codeName: string, title: string, meaning: string): CallErrorInfo => ({
  codeName,
  title,
  meaning,
  httpStatus: 400,
  inTerminateWebhook: true,
});

/** Every code, by number. */
export const CALL_ERRORS = {
  100: {
    codeName: "invalid_parameter",
    title: "Invalid Parameter",
    meaning:
      "The request has an invalid parameter; SDP validation issues are in error_data.details",
    httpStatus: 400,
  },
  // Graph's generic "Invalid OAuth access token" (Graph API error handling), not a calling code.
  190: {
    codeName: "invalid_access_token",
    title: "Invalid OAuth access token",
    meaning: "The access token is invalid or expired",
    httpStatus: 401,
  },
  613: {
    codeName: "rate_limited",
    title: "Fetch Call Permission API Limit Hit",
    meaning: "Too many requests to the call permission status API",
    httpStatus: 429,
  },
  131009: {
    codeName: "interactive_not_supported",
    title: "Interactive voice_call not supported",
    meaning: "The voice_call interactive message is not supported for this sender",
    httpStatus: 400,
  },
  131030: {
    codeName: "not_allow_listed",
    title: "Recipient not in allowed list",
    meaning: "Public test numbers may only call numbers on their recipient list",
    httpStatus: 400,
  },
  131044: {
    codeName: "payment_required",
    title: "Business eligibility payment issue",
    meaning: "No valid payment method is attached (sent as a webhook on user-initiated calls)",
    httpStatus: 400,
  },
  131055: {
    codeName: "sip_enabled",
    title: "Method not allowed",
    meaning: "Graph API calls are not allowed for SIP-enabled numbers",
    httpStatus: 400,
  },
  138000: {
    codeName: "calling_not_enabled",
    title: "Calling not enabled",
    meaning: "Calling APIs are not enabled for this phone number",
    httpStatus: 401,
  },
  138001: {
    codeName: "receiver_uncallable",
    title: "Receiver Uncallable",
    meaning: "The receiver is unable to receive calls",
    httpStatus: 400,
  },
  138002: {
    codeName: "concurrent_calls_limit",
    title: "Concurrent Calls limit",
    meaning: "Limit of concurrent calls (1000) reached for the number",
    httpStatus: 429,
  },
  138003: {
    codeName: "duplicate_call",
    title: "Duplicate call",
    meaning: "A call is already ongoing with the receiver",
    httpStatus: 400,
  },
  138004: {
    codeName: "connection_error",
    title: "Connection error",
    meaning: "Error while connecting the call",
    httpStatus: 500,
  },
  138005: {
    codeName: "call_rate_limit",
    title: "Call rate limit exceeded",
    meaning: "Limit of calls the business number may initiate reached",
    httpStatus: 429,
  },
  138006: {
    codeName: "no_call_permission",
    title: "No approved call permission found",
    meaning: "No approved call permission from the recipient",
    httpStatus: 401,
  },
  138007: {
    codeName: "connect_timeout",
    title: "Connect Timeout error",
    meaning: "Call was unable to connect due to a timeout: " +
      "the answer SDP was not applied in time",
    httpStatus: 500,
  },
  // Not in Meta's table: implementers report it for an answer with several fingerprints.
  138008: {
    codeName: "sdp_validation",
    title: "SDP Validation error",
    meaning: "SDP validation (fingerprint): send exactly one sha-256 fingerprint",
    httpStatus: 400,
  },
  138009: {
    codeName: "permission_request_limit",
    title: "Call Permission Request Limit Hit",
    meaning: "Limit of call permission requests for this business and user reached",
    httpStatus: 400,
  },
  138012: {
    codeName: "business_call_limit",
    title: "Business Initiated Calls Limit Hit",
    meaning: "100 connected business-initiated calls per 24 h reached",
    httpStatus: 400,
  },
  138013: {
    codeName: "business_calling_unavailable",
    title: "Business-initiated calling is not available",
    meaning: "Business-initiated calling is not available for this number",
    httpStatus: 400,
  },
  138014: {
    codeName: "low_quality",
    title: "Calling is temporarily disabled",
    meaning: "Calling disabled for low quality",
    httpStatus: 400,
  },
  138015: {
    codeName: "messaging_limit",
    title: "Calling cannot be enabled",
    meaning: "The number's messaging limit is below 2000",
    httpStatus: 400,
  },
  138017: {
    codeName: "permanent_permission_exists",
    title: "Permanent call permission already exists",
    meaning: "No call permission request needed: a permanent permission exists",
    httpStatus: 400,
  },
  138018: {
    codeName: "prerequisites_missing",
    title: "Technical prerequisites not met",
    meaning: "No app subscribed to the calls webhook field and no SIP configured",
    httpStatus: 400,
  },
  138019: terminateError(
    "setup_failed",
    "Call setup failed",
    "The WhatsApp client failed to set up the call",
  ),
  138020: terminateError(
    "relay_failed",
    "Relay connection failed",
    "The WhatsApp client failed to establish a connection with the relay server",
  ),
  138021: terminateError(
    "media_receive_timeout",
    "Media receive timeout",
    "The WhatsApp client terminated the call: no media received for a long time",
  ),
  138022: terminateError(
    "media_transmit_timeout",
    "Media transmit timeout",
    "The WhatsApp client terminated the call: it transmitted no media for a long time",
  ),
  138023: terminateError(
    "no_media_after_accept",
    "Call accepted but terminated with no media signals",
    "The call was accepted but ended with no media connection signals",
  ),
} as const satisfies Record<number, CallErrorInfo>;

/** A code the table knows. */
export type CallErrorCode = keyof typeof CALL_ERRORS;

/** Meta's description of `code`, or undefined for a code not in the table. */
export function callErrorInfo(code: number): CallErrorInfo | undefined {
  return (CALL_ERRORS as Readonly<Record<number, CallErrorInfo>>)[code];
}

/** An error as Meta reports it: Graph's `error` or a terminate webhook's `errors[]` item. */
export interface ReportedCallError {
  code: number;
  message?: string | undefined;
  details?: string | undefined;
}

/**
 * One line a person can read: `138021 Media receive timeout: <meaning>`,
 * then Meta's own details. Unknown codes keep Meta's message.
 */
export function describeCallError(error: ReportedCallError): string {
  const info = callErrorInfo(error.code);
  const head = info === undefined
    ? `${error.code} ${error.message ?? "unknown error"}`
    : `${error.code} ${info.title}: ${info.meaning}`;
  return error.details === undefined ? head : `${head} (${error.details})`;
}
