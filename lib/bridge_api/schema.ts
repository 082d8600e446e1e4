/**
 * The voice bridge's HTTP API as zod schemas: what each route takes and what
 * it answers. The bridge (`bridge/http/app.ts`) validates requests with them
 * and types its answers by them; the client (`client.ts`) builds requests
 * from the same types and parses answers with them, so the two cannot drift.
 *
 * @module
 */

import { z } from "zod";

/** Largest SDP either side accepts. */
export const MAX_SDP_BYTES = 64 * 1024;

/** Longest end reason the bridge keeps. */
export const MAX_END_REASON_CHARS = 200;

const sdp = z.string().min(1).max(MAX_SDP_BYTES);

/** A session id, as `:id` in every `/sessions/:id…` route. */
export const SessionIdSchema = z.string().min(1).max(256);

/** Path parameters of the `/sessions/:id…` routes. */
export const SessionParamsSchema = z.object({ id: SessionIdSchema });

/** Longest `cta_payload`/`deeplink_payload`/`biz_opaque_callback_data` the agent is given. */
export const MAX_CALLER_PAYLOAD_CHARS = 512;

/** Longest caller name, username or user id the agent is given. */
export const MAX_CALLER_NAME_CHARS = 128;

/**
 * A string cut to `max` characters rather than refused: the caller's context
 * is a nicety, and refusing the session over it would leave the caller
 * ringing until Meta's window lapses.
 */
const clipped = (max: number) =>
  // Cutting may split a surrogate pair; toWellFormed keeps the result valid text.
  z.string().transform((s) => s.slice(0, max).toWellFormed());

/**
 * Who is calling and from where, as Meta told us: what the agent may use in
 * its instructions. Meta bounds `biz_opaque_callback_data` at 512 characters
 * and documents no bound for the other two payloads, so all three are cut
 * at {@link MAX_CALLER_PAYLOAD_CHARS}. The phone number is not part of it.
 */
export const CallerContextSchema = z.object({
  /** Business-scoped user id (BSUID), e.g. `BR.1502576394655843`. */
  userId: clipped(MAX_CALLER_NAME_CHARS).optional(),
  /** `contacts[].profile.username`. */
  username: clipped(MAX_CALLER_NAME_CHARS).optional(),
  /** `contacts[].profile.name`. */
  name: clipped(MAX_CALLER_NAME_CHARS).optional(),
  /** `payload` of the call button the caller pressed. */
  ctaPayload: clipped(MAX_CALLER_PAYLOAD_CHARS).optional(),
  /** `biz_payload` of the `wa.me/call` link the caller used. */
  deeplinkPayload: clipped(MAX_CALLER_PAYLOAD_CHARS).optional(),
  bizOpaqueCallbackData: clipped(MAX_CALLER_PAYLOAD_CHARS).optional(),
});

/** The caller's context as a session carries it. */
export type CallerContext = z.infer<typeof CallerContextSchema>;

/** Meta's call id, as `:callId` in `/calls/:callId`. */
export const CallIdSchema = z.string().min(1).max(256);

/** Path parameters of `/calls/:callId`. */
export const CallParamsSchema = z.object({ callId: CallIdSchema });

/**
 * Header of `POST /sessions`: how many ms the client still waits, as it sends.
 * A session ready only after that is ended unseen, not handed to nobody.
 */
export const REQUEST_DEADLINE_HEADER = "x-request-deadline-ms";

/** Headers of `POST /sessions` (Hono hands them lowercased). */
export const NewSessionHeadersSchema = z.object({
  [REQUEST_DEADLINE_HEADER]: z.coerce.number().int().min(0).max(60_000).optional(),
});

/** `POST /sessions`: a user-initiated call's metadata and Meta's SDP offer. */
export const NewSessionSchema = z.object({
  callId: CallIdSchema,
  phoneNumberId: z.string().min(1).max(64),
  /** The caller's number; absent when Meta hides it behind a username. */
  from: z.string().min(1).max(64).optional(),
  /** The business number. */
  to: z.string().min(1).max(64),
  /** Meta's SDP offer. */
  sdp,
  caller: CallerContextSchema.optional(),
  /**
   * A test call from the console ("Talk to your agent"), not from WhatsApp:
   * the bridge never asks Meta's Graph API to end it, and closes its record.
   */
  testCall: z.boolean().optional(),
});

/** Body of `POST /sessions`. */
export type NewSession = z.infer<typeof NewSessionSchema>;

/** `POST /sessions` → 201: the session's id and our SDP answer for Meta. */
export const SessionCreatedSchema = z.object({
  sessionId: SessionIdSchema,
  sdp: z.string().startsWith("v=0"),
});

/** Answer of `POST /sessions`. */
export type SessionCreated = z.infer<typeof SessionCreatedSchema>;

/** Longest instructions or greeting a business-initiated call carries. */
export const MAX_PURPOSE_CHARS = 16_000;

/**
 * Why the business calls (issue 17): the agent's instructions for this call
 * and its first words, with `{{variable}}` placeholders filled from
 * `variables` (names `[A-Za-z_][A-Za-z0-9_]*`, values at most 512 characters).
 */
export const CallPurposeSchema = z.object({
  instructions: z.string().min(1).max(MAX_PURPOSE_CHARS).optional(),
  greeting: z.string().min(1).max(MAX_PURPOSE_CHARS).optional(),
  variables: z.record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/),
    z.string().max(MAX_CALLER_PAYLOAD_CHARS),
  ).refine((v) => Object.keys(v).length <= 50, "at most 50 variables").optional(),
});

/** A business-initiated call's purpose. */
export type CallPurpose = z.infer<typeof CallPurposeSchema>;

/** `POST /offers`: make the SDP offer of a business-initiated call (before Graph `connect`). */
export const NewOfferSchema = z.object({ phoneNumberId: z.string().min(1).max(64) });

/** `POST /offers` → 201: the pending offer's id and its SDP for Graph `connect`. */
export const OfferCreatedSchema = z.object({
  offerId: SessionIdSchema,
  sdp: z.string().startsWith("v=0"),
});

/** Answer of `POST /offers`. */
export type OfferCreated = z.infer<typeof OfferCreatedSchema>;

/** Longest ring a business-initiated call may be given before it ends as `no_answer`. */
export const MAX_RING_TIMEOUT_MS = 300_000;

/**
 * `POST /sessions/outbound`: Meta accepted the `connect` and named the call:
 * the pending offer becomes the call's session, ringing until Meta's answer
 * and `ACCEPTED` come (through `/events`) or `ringTimeoutMs` passes.
 */
export const NewOutboundSessionSchema = z.object({
  offerId: SessionIdSchema,
  callId: CallIdSchema,
  phoneNumberId: z.string().min(1).max(64),
  /** The business number, when known. */
  from: z.string().min(1).max(64).optional(),
  /** The user called: number or business-scoped user id. */
  to: z.string().min(1).max(64),
  caller: CallerContextSchema.optional(),
  purpose: CallPurposeSchema.optional(),
  ringTimeoutMs: z.number().int().min(1000).max(MAX_RING_TIMEOUT_MS),
});

/** Body of `POST /sessions/outbound`. */
export type NewOutboundSession = z.infer<typeof NewOutboundSessionSchema>;

/** `POST /sessions/:id/events`: Meta's call status or a business-initiated answer. */
export const MetaEventSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("status"), status: z.enum(["RINGING", "ACCEPTED", "REJECTED"]) }),
  z.object({ kind: z.literal("connect_answer"), sdp }),
]);

/** Body of `POST /sessions/:id/events`. */
export type MetaEvent = z.infer<typeof MetaEventSchema>;

/**
 * Longest `POST /sessions/:id/connected` wait: Meta ends a call not accepted
 * "about 30 to 60 seconds" after its connect webhook
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-initiated-calls),
 * and accept still has to follow the wait.
 */
export const MAX_CONNECTED_WAIT_MS = 25_000;

/** `POST /sessions/:id/connected`: how long to wait for ICE and DTLS. */
export const WaitConnectedSchema = z.object({
  timeoutMs: z.number().int().min(0).max(MAX_CONNECTED_WAIT_MS),
});

/** Body of `POST /sessions/:id/connected`. */
export type WaitConnected = z.infer<typeof WaitConnectedSchema>;

/** `DELETE /sessions/:id`: why the session ends (default `hangup`). */
export const EndSessionSchema = z.object({
  reason: z.string().max(MAX_END_REASON_CHARS).optional(),
});

/** Body of `DELETE /sessions/:id`. */
export type EndSession = z.infer<typeof EndSessionSchema>;

/**
 * `DELETE /calls/:callId` → 200: the call's session was `ended` quietly (no
 * Graph terminate, no end reason written), or its creation `cancelled`.
 */
export const CallEndedSchema = z.object({
  callId: CallIdSchema,
  outcome: z.enum(["ended", "cancelled"]),
});

/** Answer of `DELETE /calls/:callId`. */
export type CallEnded = z.infer<typeof CallEndedSchema>;

/**
 * `POST /records` → 202: how many store writes the bridge's outbox now holds
 * for the database (the body's `records`, checked by `store/deferred_write.ts`).
 */
export const RecordsAcceptedSchema = z.object({ accepted: z.number().int().min(0) });

/** Answer of `POST /records`. */
export type RecordsAccepted = z.infer<typeof RecordsAcceptedSchema>;

/** Where a session is in its life. */
export const SessionStateSchema = z.enum(["answered", "accepted", "active", "ending", "ended"]);

/** `POST /sessions/:id/accept` and `/events` → 200: the session's state afterwards. */
export const SessionStatusSchema = z.object({
  sessionId: SessionIdSchema,
  state: SessionStateSchema,
});

/** Answer of `accept` and `events`. */
export type SessionStatus = z.infer<typeof SessionStatusSchema>;

/**
 * `POST /sessions/:id/connected` → 200 once ICE and DTLS are up
 * (`connected: true`), the session ended, or the wait ran out.
 */
export const SessionConnectedSchema = SessionStatusSchema.extend({ connected: z.boolean() });

/** Answer of `POST /sessions/:id/connected`. */
export type SessionConnected = z.infer<typeof SessionConnectedSchema>;

/** `DELETE /sessions/:id` → 200: the state and the reason kept. */
export const SessionEndedSchema = SessionStatusSchema.extend({ reason: z.string().optional() });

/** Answer of `DELETE /sessions/:id`. */
export type SessionEnded = z.infer<typeof SessionEndedSchema>;

/**
 * Every non-2xx answer. `issues` name the fields of an invalid request,
 * `reasons` why an offer is unusable, `reason` why the bridge is full.
 */
export const ErrorBodySchema = z.looseObject({
  error: z.string(),
  issues: z.array(z.string()).optional(),
  reasons: z.array(z.string()).optional(),
  reason: z.string().optional(),
  sessionId: z.string().optional(),
});

/** An error answer. */
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/** What a 500 says, whatever went wrong inside. */
export const INTERNAL_ERROR_BODY: Readonly<ErrorBody> = { error: "internal error" };

/**
 * One `path: message` line per issue of a refused request. Zod's own messages
 * name the expectation, never the value received, so no secret is echoed.
 */
export function issueLines(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.map(String).join(".") || "(root)"}: ${i.message}`);
}

/** The 400 for a request `error` rejected, naming each issue. */
export function invalidRequestBody(
  what: "body" | "path" | "headers",
  error: z.ZodError,
): ErrorBody {
  return { error: `invalid ${what}`, issues: issueLines(error) };
}
