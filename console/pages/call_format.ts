/**
 * Small renderings the History and Call pages share: a call's link, its
 * status and test-call badges, who called whom, durations and money.
 *
 * @module
 */
import { html } from "hono/html";
import type { Markup } from "../server/layout.ts";
import type { CallRecord, CallStatus } from "../../store/store.ts";
import { type ConsoleUser, shownNumber } from "../server/context.ts";
import { maskUserId } from "../../lib/whatsapp/mask.ts";

/** What {@linkcode partyLabel} reads of a call (a CallRecord or a history row). */
export type CallParties = Pick<
  CallRecord,
  | "direction"
  | "fromNumber"
  | "toNumber"
  | "fromUserId"
  | "toUserId"
  | "username"
  | "profileName"
  | "testCall"
>;

/**
 * One side of a call as `user` may see it. A number wins (masked for
 * viewers). Without one, the WhatsApp user's side (the caller of an inbound
 * call, the callee of an outbound one) falls back to their username, then
 * profile name, then business-scoped user id (masked for viewers, as on
 * Live): username-only WhatsApp users have no number. A test call's caller
 * is the console user who placed it (their email, else their id).
 * `—` when nothing is known.
 */
export function partyLabel(user: ConsoleUser, call: CallParties, side: "from" | "to"): string {
  const number = side === "from" ? call.fromNumber : call.toNumber;
  if (number !== null && number !== "") return shownNumber(user, number);
  const userSide = call.direction === "business_initiated" ? "to" : "from";
  if (side !== userSide) return "—";
  const userId = side === "from" ? call.fromUserId : call.toUserId;
  if (call.testCall) return call.profileName ?? userId ?? "—";
  const name = call.username ?? call.profileName;
  if (name !== null && name !== "") return name;
  if (userId === null || userId === "") return "—";
  return user.role === "viewer" ? maskUserId(userId) : userId;
}

/** The mark of a test call ("Talk to your agent"); nothing for a real one. */
export function testCallBadge(testCall: boolean): Markup {
  return testCall
    ? html`<span class="badge test" title="Placed from Talk to your agent: no WhatsApp caller">test call</span>`
    : html``;
}

/** The Call page of `callId`; Meta's ids may hold `/`, `+` and `=`. */
export function callHref(callId: string): string {
  return `/calls/${encodeURIComponent(callId)}`;
}

/** The status as a badge: green for completed, red for failed or rejected. */
export function statusBadge(status: CallStatus): Markup {
  const kind = status === "completed"
    ? " ok"
    : status === "failed" || status === "rejected"
    ? " bad"
    : "";
  return html`<span class="badge${kind}">${status.replace("_", " ")}</span>`;
}

/** `m:ss` (or `h:mm:ss`), `—` when unknown. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null) return "—";
  const s = Math.max(0, Math.round(seconds));
  const [h, m, r] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const pad = (n: number) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${pad(m)}:${pad(r)}` : `${m}:${pad(r)}`;
}

/** US dollars with enough digits for fractions of a cent, `—` when unknown. */
export function formatUsd(usd: number | null): string {
  if (usd === null) return "—";
  return `$${usd.toFixed(usd !== 0 && Math.abs(usd) < 1 ? 4 : 2)}`;
}

/** Milliseconds as `123 ms` or `1.23 s`, `—` when unknown. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  return Math.abs(ms) < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
