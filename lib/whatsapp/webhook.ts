/**
 * Parsing of WhatsApp Cloud API webhooks (schemas in `webhook_schema.ts`,
 * re-exported here) and pure extraction of the flat call events the
 * voice-calls function consumes.
 *
 * @module
 */

import type { z } from "zod";
import {
  type CallEvent,
  type CallPermissionReplyMessage,
  type CallsChangeSchema,
  type CallStatus,
  type CallsValue,
  type ConnectEvent,
  type Contact,
  isPermissionReply,
  type MessagesChangeSchema,
  type MessagesValue,
  type TerminateEvent,
  type TerminateStatus,
  terminateStatus,
  type WebhookEnvelope,
  WebhookEnvelopeSchema,
  type WebhookError,
} from "./webhook_schema.ts";

export * from "./webhook_schema.ts";

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
    // A loop, not Math.max(...spread): a body can carry more issues than the stack has frames.
    let depth = -1;
    for (const i of issues) if (i.path.length > depth) depth = i.path.length;
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

/** Issues named in a reason at most; a receipt's reason stays readable whatever the body. */
const MAX_REASONS = 20;

function summarize(reasons: readonly string[]): string {
  const shown = reasons.slice(0, MAX_REASONS).join("; ");
  const more = reasons.length - MAX_REASONS;
  return more > 0 ? `${shown}; and ${more} more` : shown;
}

/**
 * Validates a decoded webhook body. Never throws: a malformed payload yields
 * `{ ok: false, error }` whose reason names the offending path.
 */
export function parseWebhook(json: unknown): ParseResult {
  const r = WebhookEnvelopeSchema.safeParse(json);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, error: summarize(describe(r.error.issues, [])) };
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

/**
 * A user-initiated call: Meta's SDP offer awaiting our pre_accept/accept.
 * The caller may come with a number, a user id, both or neither.
 */
export interface ConnectOfferItem extends CallItemBase {
  kind: "connect_offer";
  /** The caller's number; absent when Meta hides it behind a username. */
  from?: string;
  /** The business number (`metadata.display_phone_number` when Meta leaves `to` out). */
  to: string;
  sdp: string;
  /** The caller's business-scoped user id (BSUID), e.g. `US.13491208655302741918`. */
  fromUserId?: string;
  /** `contacts[].profile.name`. */
  callerName?: string;
  /** `contacts[].profile.username`. */
  callerUsername?: string;
  /** `biz_payload` of the `wa.me/call` link the caller used. */
  deeplinkPayload?: string;
  /** `payload` of the call button the caller pressed. */
  ctaPayload?: string;
}

/** A business-initiated call answered by Meta: SDP answer to our offer. */
export interface ConnectAnswerItem extends CallItemBase {
  kind: "connect_answer";
  from?: string;
  /** The callee's number; absent when Meta hides it behind a username. */
  to?: string;
  toUserId?: string;
  sdp: string;
}

/** An error Meta reported on a failed call. */
export interface CallError {
  code: number;
  message?: string;
  details?: string;
}

/** A call ended (by either side, or the accept window lapsed). */
export interface TerminateItem extends CallItemBase {
  kind: "terminate";
  from?: string;
  to?: string;
  fromUserId?: string;
  toUserId?: string;
  status: TerminateStatus;
  /** `status` exactly as Meta sent it. */
  metaStatus?: string;
  /** Unix ms; only when the call was picked up. */
  startTime?: number;
  /** Unix ms; only when the call was picked up. */
  endTime?: number;
  durationSec?: number;
  /**
   * Every error of the call object and of `value.errors[]`, in that order,
   * repeats dropped (e.g. 138021 media receive timeout). Meta sends them
   * "only for failed calls when there is error information available", so a
   * FAILED terminate may have none.
   */
  errors: CallError[];
}

/** Ringing/accepted/rejected status of a business-initiated call. */
export interface StatusItem extends CallItemBase {
  kind: "status";
  status: CallStatus["status"];
  /** The callee's number, when Meta names it. */
  recipientId?: string;
  /** The callee's business-scoped user id. */
  recipientUserId?: string;
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

/** Both error lists of a terminate as one, exact repeats dropped. */
function callErrors(...lists: (readonly WebhookError[] | undefined)[]): CallError[] {
  const seen = new Set<string>();
  const out: CallError[] = [];
  for (const e of lists.flatMap((l) => l ?? [])) {
    const error = withOptional<CallError>({ code: e.code }, {
      message: e.message ?? e.title,
      details: e.error_data?.details,
    });
    const key = JSON.stringify(error);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(error);
  }
  return out;
}

/** The caller's contact: the one naming their number or user id, else the first. */
function callerContact(value: CallsValue, e: ConnectEvent): Contact | undefined {
  const { from, from_user_id: userId } = e;
  return value.contacts?.find((c) =>
    (from !== undefined && c.wa_id === from) || (userId !== undefined && c.user_id === userId)
  ) ?? value.contacts?.[0];
}

function offerItem(value: CallsValue, e: ConnectEvent, base: CallItemBase): ConnectOfferItem {
  const contact = callerContact(value, e);
  return withOptional<ConnectOfferItem>({
    ...base,
    kind: "connect_offer",
    to: e.to ?? value.metadata.display_phone_number,
    sdp: e.session.sdp,
  }, {
    from: e.from ?? contact?.wa_id,
    fromUserId: e.from_user_id ?? contact?.user_id,
    callerName: contact?.profile?.name,
    callerUsername: contact?.profile?.username ?? contact?.username,
    deeplinkPayload: e.deeplink_payload,
    ctaPayload: e.cta_payload,
  });
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
  const items: CallEventItem[] = [];
  for (const e of value.calls ?? []) {
    if (isConnect(e)) {
      const b = base(e.id, e.timestamp, e.biz_opaque_callback_data);
      if (e.session.sdp_type === "offer") {
        items.push(offerItem(value, e, b));
        continue;
      }
      items.push(
        withOptional<ConnectAnswerItem>({ ...b, kind: "connect_answer", sdp: e.session.sdp }, {
          from: e.from,
          to: e.to,
          toUserId: e.to_user_id,
        }),
      );
    } else if (isTerminate(e)) {
      items.push(withOptional<TerminateItem>({
        ...base(e.id, e.timestamp, e.biz_opaque_callback_data),
        kind: "terminate",
        status: terminateStatus(e.status),
        errors: callErrors(e.errors, value.errors),
      }, {
        from: e.from,
        to: e.to,
        fromUserId: e.from_user_id,
        toUserId: e.to_user_id,
        metaStatus: e.status,
        startTime: e.start_time === undefined ? undefined : e.start_time * 1000,
        endTime: e.end_time === undefined ? undefined : e.end_time * 1000,
        durationSec: e.duration,
      }));
    }
  }
  for (const s of value.statuses ?? []) {
    items.push(withOptional<StatusItem>(
      { ...base(s.id, s.timestamp, s.biz_opaque_callback_data), kind: "status", status: s.status },
      { recipientId: s.recipient_id, recipientUserId: s.recipient_user_id },
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
