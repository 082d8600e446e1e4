/**
 * Zod schemas for WhatsApp Cloud API webhooks (field `calls`, and the call
 * permission replies that arrive on field `messages`), plus pure extraction of
 * the flat call events the voice-calls function consumes.
 *
 * Every object is loose: Meta adds fields without notice (BSUIDs, payloads,
 * recording), so unknown keys pass through and unknown `field`/`event` values
 * are kept opaque instead of failing the whole envelope.
 *
 * @module
 */

import { z } from "zod";

/** A string rejected when it is one of `known`, so open unions never shadow a known branch. */
function otherThan(known: readonly string[]) {
  return z.string().refine((v) => !known.includes(v), {
    abort: true,
    message: `expected a value other than ${known.join(" | ")}`,
  });
}

/** An enum matched case-insensitively: Meta writes statuses as `COMPLETED` and `Completed`. */
function upperEnum<const T extends readonly [string, ...string[]]>(values: T) {
  return z.string().toUpperCase().pipe(z.enum(values));
}

/** Unix seconds as Meta sends them (a digit string), tolerated as a number; parsed to a number. */
export const UnixSecondsSchema = z
  .union([z.string().regex(/^\d{1,12}$/, "expected unix seconds"), z.number().int().nonnegative()])
  .transform(Number);

/** `value.metadata`: which business number the webhook is about. */
export const MetadataSchema = z.looseObject({
  display_phone_number: z.string(),
  phone_number_id: z.string().min(1),
});

/** `value.contacts[]`: the WhatsApp user's profile (2026 adds `username` and BSUIDs). */
export const ContactSchema = z.looseObject({
  wa_id: z.string().optional(),
  user_id: z.string().optional(),
  username: z.string().optional(),
  profile: z.looseObject({ name: z.string().optional() }).optional(),
});

/** An error item in `value.errors[]` (terminate webhooks of failed calls). */
export const WebhookErrorSchema = z.looseObject({
  code: z.number().int(),
  title: z.string().optional(),
  message: z.string().optional(),
  href: z.string().optional(),
  error_data: z.looseObject({ details: z.string().optional() }).optional(),
});

/** Fields every `calls[]` event may carry besides its own. */
const callEventBase = {
  id: z.string().min(1),
  from: z.string(),
  to: z.string(),
  timestamp: UnixSecondsSchema,
  direction: z.string().toUpperCase().optional(),
  biz_opaque_callback_data: z.string().optional(),
  deeplink_payload: z.string().optional(),
  cta_payload: z.string().optional(),
  from_user_id: z.string().optional(),
  from_parent_user_id: z.string().optional(),
  to_user_id: z.string().optional(),
};

/** `session` of a connect event: the SDP offer (user-initiated) or answer (business-initiated). */
export const SessionSchema = z.looseObject({
  sdp_type: z.string().toLowerCase().pipe(z.enum(["offer", "answer"])),
  sdp: z.string().min(1),
});

/** `calls[]` event `connect`; the legacy `connection.webrtc.sdp` is ignored in favour of `session`. */
export const ConnectEventSchema = z.looseObject({
  ...callEventBase,
  event: z.literal("connect"),
  session: SessionSchema,
});

/** Normalised terminate status; `REJECTED` is tolerated as pipecat has seen it. */
export const TerminateStatusSchema = upperEnum(["COMPLETED", "FAILED", "REJECTED"]);

/** `calls[]` event `terminate`; times are present only when the call was picked up. */
export const TerminateEventSchema = z.looseObject({
  ...callEventBase,
  event: z.literal("terminate"),
  status: TerminateStatusSchema,
  start_time: UnixSecondsSchema.optional(),
  end_time: UnixSecondsSchema.optional(),
  duration: z.number().nonnegative().optional(),
});

const KNOWN_CALL_EVENTS = ["connect", "terminate"] as const;

/** A `calls[]` event of a kind this module does not know yet; kept, never interpreted. */
export const UnknownCallEventSchema = z.looseObject({
  id: z.string(),
  event: otherThan(KNOWN_CALL_EVENTS),
});

/** Any `calls[]` event. */
export const CallEventSchema = z.union([
  ConnectEventSchema,
  TerminateEventSchema,
  UnknownCallEventSchema,
]);

/** `statuses[]` on field `calls` (business-initiated calls only). */
export const CallStatusSchema = z.looseObject({
  id: z.string().min(1),
  timestamp: UnixSecondsSchema,
  type: z.literal("call"),
  status: upperEnum(["RINGING", "ACCEPTED", "REJECTED"]),
  recipient_id: z.string().optional(),
  biz_opaque_callback_data: z.string().optional(),
});

/** `value` of a `calls` change. */
export const CallsValueSchema = z.looseObject({
  messaging_product: z.string().optional(),
  metadata: MetadataSchema,
  contacts: z.array(ContactSchema).optional(),
  calls: z.array(CallEventSchema).optional(),
  statuses: z.array(CallStatusSchema).optional(),
  errors: z.array(WebhookErrorSchema).optional(),
});

/** A message whose `interactive` is a `call_permission_reply`. */
export const CallPermissionReplyMessageSchema = z.looseObject({
  from: z.string(),
  id: z.string(),
  timestamp: UnixSecondsSchema,
  context: z.looseObject({ from: z.string().optional(), id: z.string() }).optional(),
  interactive: z.looseObject({
    type: z.literal("call_permission_reply"),
    call_permission_reply: z.looseObject({
      response: z.string().toLowerCase().pipe(z.enum(["accept", "reject"])),
      is_permanent: z.boolean().optional(),
      expiration_timestamp: UnixSecondsSchema.optional(),
      response_source: z.string().optional(),
    }),
  }),
});

function isPermissionReply(m: unknown): boolean {
  if (typeof m !== "object" || m === null) return false;
  const interactive = (m as { interactive?: unknown }).interactive;
  return typeof interactive === "object" && interactive !== null &&
    (interactive as { type?: unknown }).type === "call_permission_reply";
}

/** Any other message (text, media, …): passed through untouched. */
export const OpaqueMessageSchema = z.looseObject({}).refine((m) => !isPermissionReply(m), {
  abort: true,
  message: "malformed call_permission_reply",
});

/** `value` of a `messages` change; only call permission replies are typed. */
export const MessagesValueSchema = z.looseObject({
  messaging_product: z.string().optional(),
  metadata: MetadataSchema,
  contacts: z.array(ContactSchema).optional(),
  messages: z.array(z.union([CallPermissionReplyMessageSchema, OpaqueMessageSchema])).optional(),
});

/** A change on field `calls`. */
export const CallsChangeSchema = z.looseObject({
  field: z.literal("calls"),
  value: CallsValueSchema,
});

/** A change on field `messages`. */
export const MessagesChangeSchema = z.looseObject({
  field: z.literal("messages"),
  value: MessagesValueSchema,
});

/** A change on any other field (account updates, templates, …): value left opaque. */
export const OtherChangeSchema = z.looseObject({
  field: otherThan(["calls", "messages"]),
  value: z.unknown(),
});

/** `entry[].changes[]`. */
export const ChangeSchema = z.union([CallsChangeSchema, MessagesChangeSchema, OtherChangeSchema]);

/** The webhook envelope Meta POSTs. */
export const WebhookEnvelopeSchema = z.looseObject({
  object: z.string(),
  entry: z.array(z.looseObject({ id: z.string(), changes: z.array(ChangeSchema) })),
});

/** Parsed webhook envelope. */
export type WebhookEnvelope = z.infer<typeof WebhookEnvelopeSchema>;
/** Parsed `calls` change value. */
export type CallsValue = z.infer<typeof CallsValueSchema>;
/** Parsed `messages` change value. */
export type MessagesValue = z.infer<typeof MessagesValueSchema>;
/** Parsed `connect` event. */
export type ConnectEvent = z.infer<typeof ConnectEventSchema>;
/** Parsed `terminate` event. */
export type TerminateEvent = z.infer<typeof TerminateEventSchema>;
/** Any parsed `calls[]` event. */
export type CallEvent = z.infer<typeof CallEventSchema>;
/** Parsed call status item. */
export type CallStatus = z.infer<typeof CallStatusSchema>;
/** Normalised terminate status. */
export type TerminateStatus = z.infer<typeof TerminateStatusSchema>;
/** Parsed `value.errors[]` item. */
export type WebhookError = z.infer<typeof WebhookErrorSchema>;
/** Parsed contact. */
export type Contact = z.infer<typeof ContactSchema>;
/** Parsed call permission reply message. */
export type CallPermissionReplyMessage = z.infer<typeof CallPermissionReplyMessageSchema>;

/** Result of {@link parseWebhook}. */
export type ParseResult =
  | { ok: true; value: WebhookEnvelope }
  | { ok: false; error: string };

type Issue = z.core.$ZodIssue;

/** Keys our unions branch on: a branch failing there is simply not the intended one. */
const DISCRIMINATORS: readonly PropertyKey[] = ["event", "field"];

/**
 * The issues of the union branch the input was meant for: one whose
 * discriminator matched, else the one that got deepest, so the reason names
 * the real fault rather than "expected connect".
 */
function closestBranch(branches: Issue[][]): Issue[] {
  const wrongKind = (issues: Issue[]) =>
    issues.some((i) => i.path.length === 1 && DISCRIMINATORS.includes(i.path[0]!));
  const candidates = branches.some((b) => !wrongKind(b))
    ? branches.filter((b) => !wrongKind(b))
    : branches;
  let best: Issue[] = [];
  let bestDepth = -1;
  for (const issues of candidates) {
    const depth = Math.max(...issues.map((i) => i.path.length));
    if (depth > bestDepth) [best, bestDepth] = [issues, depth];
  }
  return best;
}

function describe(issues: readonly Issue[], prefix: readonly PropertyKey[]): string[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === "invalid_union" && issue.errors.length > 0) {
      return describe(closestBranch(issue.errors), path);
    }
    const where = path.length === 0
      ? "(root)"
      : path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("")
        .replace(/^\./, "");
    return [`${where}: ${issue.message}`];
  });
}

/**
 * Validates a decoded webhook body. Never throws: a malformed payload yields
 * `{ ok: false, error }` whose reason names the offending path.
 */
export function parseWebhook(json: unknown): ParseResult {
  const r = WebhookEnvelopeSchema.safeParse(json);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, error: describe(r.error.issues, []).join("; ") };
}

/** Where a call event came from: the business number and its WABA. */
interface CallItemBase {
  callId: string;
  wabaId: string;
  phoneNumberId: string;
  displayPhoneNumber: string;
  /** Webhook timestamp in Unix milliseconds (Meta sends seconds). */
  timestamp: number;
  bizOpaqueCallbackData?: string;
}

/** A user-initiated call: Meta's SDP offer awaiting our pre_accept/accept. */
export interface ConnectOfferItem extends CallItemBase {
  kind: "connect_offer";
  /** The WhatsApp user. */
  from: string;
  /** The business number. */
  to: string;
  sdp: string;
  callerName?: string;
  fromUserId?: string;
  deeplinkPayload?: string;
  ctaPayload?: string;
}

/** A business-initiated call answered by Meta: SDP answer to our offer. */
export interface ConnectAnswerItem extends CallItemBase {
  kind: "connect_answer";
  from: string;
  to: string;
  sdp: string;
}

/** A call ended (by either side, or the accept window lapsed). */
export interface TerminateItem extends CallItemBase {
  kind: "terminate";
  from: string;
  to: string;
  status: TerminateStatus;
  /** Unix ms; only when the call was picked up. */
  startTime?: number;
  /** Unix ms; only when the call was picked up. */
  endTime?: number;
  durationSec?: number;
  /** `value.errors[]` of failed calls (e.g. 138021 media receive timeout). */
  errors: { code: number; message?: string; details?: string }[];
}

/** Ringing/accepted/rejected status of a business-initiated call. */
export interface StatusItem extends CallItemBase {
  kind: "status";
  status: CallStatus["status"];
  /** The callee, when Meta names it. */
  recipientId?: string;
}

/** One actionable call event, flattened out of an envelope. */
export type CallEventItem = ConnectOfferItem | ConnectAnswerItem | TerminateItem | StatusItem;

/** Copies the defined `extras` into `target`, leaving absent keys absent (exactOptionalPropertyTypes). */
function withOptional<T extends object>(
  target: T,
  extras: { [K in keyof T]?: T[K] | undefined },
): T {
  for (const [k, v] of Object.entries(extras)) {
    if (v !== undefined) (target as Record<string, unknown>)[k] = v;
  }
  return target;
}

type Change = WebhookEnvelope["entry"][number]["changes"][number];
type Message = NonNullable<MessagesValue["messages"]>[number];

// The guards are sound because the open "other" branches refuse known discriminators.
function isCallsChange(c: Change): c is z.infer<typeof CallsChangeSchema> {
  return c.field === "calls";
}

function isMessagesChange(c: Change): c is z.infer<typeof MessagesChangeSchema> {
  return c.field === "messages";
}

function isReply(m: Message): m is CallPermissionReplyMessage {
  return isPermissionReply(m);
}

function isConnect(e: CallEvent): e is ConnectEvent {
  return e.event === "connect";
}

function isTerminate(e: CallEvent): e is TerminateEvent {
  return e.event === "terminate";
}

function callItems(wabaId: string, value: CallsValue): CallEventItem[] {
  const base = (id: string, timestampSec: number, opaque: string | undefined) =>
    withOptional<CallItemBase>({
      callId: id,
      wabaId,
      phoneNumberId: value.metadata.phone_number_id,
      displayPhoneNumber: value.metadata.display_phone_number,
      timestamp: timestampSec * 1000,
    }, { bizOpaqueCallbackData: opaque });
  const errors = (value.errors ?? []).map((e) =>
    withOptional<TerminateItem["errors"][number]>({ code: e.code }, {
      message: e.message ?? e.title,
      details: e.error_data?.details,
    })
  );
  const items: CallEventItem[] = [];
  for (const e of value.calls ?? []) {
    if (isConnect(e)) {
      const b = { ...base(e.id, e.timestamp, e.biz_opaque_callback_data), from: e.from, to: e.to };
      if (e.session.sdp_type === "answer") {
        items.push({ ...b, kind: "connect_answer", sdp: e.session.sdp });
        continue;
      }
      const contact = value.contacts?.find((c) => c.wa_id === e.from) ?? value.contacts?.[0];
      items.push(
        withOptional<ConnectOfferItem>({ ...b, kind: "connect_offer", sdp: e.session.sdp }, {
          callerName: contact?.profile?.name,
          fromUserId: e.from_user_id,
          deeplinkPayload: e.deeplink_payload,
          ctaPayload: e.cta_payload,
        }),
      );
    } else if (isTerminate(e)) {
      const b = { ...base(e.id, e.timestamp, e.biz_opaque_callback_data), from: e.from, to: e.to };
      items.push(
        withOptional<TerminateItem>({ ...b, kind: "terminate", status: e.status, errors }, {
          startTime: e.start_time === undefined ? undefined : e.start_time * 1000,
          endTime: e.end_time === undefined ? undefined : e.end_time * 1000,
          durationSec: e.duration,
        }),
      );
    }
  }
  for (const s of value.statuses ?? []) {
    items.push(withOptional<StatusItem>(
      { ...base(s.id, s.timestamp, s.biz_opaque_callback_data), kind: "status", status: s.status },
      { recipientId: s.recipient_id },
    ));
  }
  return items;
}

/**
 * Flattens every call event (connect offer/answer, terminate, status) of an
 * envelope, in delivery order. Unknown events and non-`calls` fields are skipped.
 */
export function extractCallEvents(envelope: WebhookEnvelope): CallEventItem[] {
  return envelope.entry.flatMap((entry) =>
    entry.changes.flatMap((c) => isCallsChange(c) ? callItems(entry.id, c.value) : [])
  );
}

/**
 * Idempotency key for a call event: Meta redelivers webhooks, so handlers
 * dedupe on call id plus event (and status for status items).
 */
export function callEventKey(item: CallEventItem): string {
  return item.kind === "status"
    ? `${item.callId}:status:${item.status}`
    : `${item.callId}:${item.kind}`;
}

/** A user's answer to our call permission request. */
export interface CallPermissionReplyItem {
  kind: "call_permission_reply";
  phoneNumberId: string;
  /** The WhatsApp user. */
  from: string;
  messageId: string;
  /** wamid of our request, or wacid of the call that granted permission. */
  contextId?: string;
  response: "accept" | "reject";
  isPermanent: boolean;
  /** Unix ms. */
  timestamp: number;
  /** Unix ms. */
  expiresAt?: number;
  responseSource?: string;
}

/** Call permission replies (field `messages`) of an envelope; other messages are skipped. */
export function extractCallPermissionReplies(envelope: WebhookEnvelope): CallPermissionReplyItem[] {
  const items: CallPermissionReplyItem[] = [];
  for (const entry of envelope.entry) {
    for (const change of entry.changes) {
      if (!isMessagesChange(change)) continue;
      const value = change.value;
      for (const msg of value.messages ?? []) {
        if (!isReply(msg)) continue;
        const reply = msg.interactive.call_permission_reply;
        items.push(withOptional<CallPermissionReplyItem>({
          kind: "call_permission_reply",
          phoneNumberId: value.metadata.phone_number_id,
          from: msg.from,
          messageId: msg.id,
          response: reply.response,
          isPermanent: reply.is_permanent ?? false,
          timestamp: msg.timestamp * 1000,
        }, {
          contextId: msg.context?.id,
          expiresAt: reply.expiration_timestamp === undefined
            ? undefined
            : reply.expiration_timestamp * 1000,
          responseSource: reply.response_source,
        }));
      }
    }
  }
  return items;
}
