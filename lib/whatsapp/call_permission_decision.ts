/**
 * Meta's call permission limits and the pure decision whether a permission
 * request or a business-initiated call may be made now, so the product
 * refuses before Graph would (and never earns a Meta error it could foresee).
 *
 * Limits apply per business number + user pair. Sources:
 * - P: https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-call-permissions
 * - T: https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/troubleshooting
 * - F: https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/faq
 * - O: https://developers.facebook.com/documentation/business-messaging/whatsapp/calling (changelog)
 *
 * @module
 */

import { customerServiceWindowOpen } from "./customer_service_window.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Meta's limits for one business number + user pair. */
export interface PermissionLimits {
  /** Permission requests per rolling 24 h (P: 1). */
  requestsPerDay: number;
  /** Permission requests per rolling 7 days (P: 2). */
  requestsPerWeek: number;
  /**
   * Connected business-initiated calls per rolling 24 h. Sources disagree
   * (100 in P, T and O's 2025-12-19 changelog; 5 in T's SIP row and P's
   * sample): Graph's `start_call` `max_allowed` wins when known.
   */
  connectedCallsPerDay: number;
  /** Consecutive unanswered calls after which Meta asks the user to reconsider (P: 2). */
  unansweredPrompt: number;
  /** Consecutive unanswered calls after which Meta revokes the permission (P: 4). */
  unansweredRevoke: number;
}

/** Production limits (P; connected calls per T 138012 and O, configurable). */
export const META_PERMISSION_LIMITS: Readonly<PermissionLimits> = {
  requestsPerDay: 1,
  requestsPerWeek: 2,
  connectedCallsPerDay: 100,
  unansweredPrompt: 2,
  unansweredRevoke: 4,
};

/** Sandbox accounts and public test numbers (O): 25 requests/day, 100/week, 5 → nudge, 10 → revoke. */
export const SANDBOX_PERMISSION_LIMITS: Readonly<PermissionLimits> = {
  requestsPerDay: 25,
  requestsPerWeek: 100,
  connectedCallsPerDay: 100,
  unansweredPrompt: 5,
  unansweredRevoke: 10,
};

/** Window of `requestsPerDay` and `connectedCallsPerDay`. */
export const DAY_WINDOW_MS = DAY;
/** Window of `requestsPerWeek`. */
export const WEEK_WINDOW_MS = 7 * DAY;

/** Meta error codes the decision foresees (T). */
export const PERMISSION_ERROR_CODES = {
  /** No approved call permission found (HTTP 401 on /calls). */
  noPermission: 138006,
  /** Call permission request limit hit (HTTP 400 on /messages). */
  requestLimit: 138009,
  /** Connected business-initiated calls limit hit (HTTP 400 on /calls). */
  callLimit: 138012,
  /** A permanent permission already exists: no request needed (HTTP 400 on /messages). */
  alreadyPermanent: 138017,
  /** Free-form message outside the 24 h customer service window (HTTP 400 on /messages). */
  outsideWindow: 131047,
} as const;

/** The pair's permission as the product knows it. All times Unix ms. */
export interface PermissionState {
  status: "no_permission" | "temporary" | "permanent" | "revoked" | "declined";
  /** Temporary only: Meta sends no webhook when it lapses (P), so it is computed. */
  expiresAt?: number | undefined;
  /** Requests that count (sent, or whose fate is unknown), any age. */
  requestTimes: readonly number[];
  /** Connected business-initiated calls, any age. */
  connectedCallTimes: readonly number[];
  /** Latest connected call either way: it resets the request limits (P, F). */
  lastConnectedCallAt?: number | undefined;
  /** Consecutive unanswered or rejected business-initiated calls since the last connected one. */
  unansweredStreak: number;
  /** Unix ms of the user's latest message to the business (opens the customer service window). */
  lastUserMessageAt?: number | undefined;
  /** `start_call` `max_allowed` from Graph, when it was read (overrides the configured limit). */
  connectedCallLimit?: number | undefined;
  /** Graph's `limit_expiration_time` for `start_call`, when reached. */
  callLimitResetAt?: number | undefined;
}

/** What is asked. */
export type PermissionAction = "request" | "call";

/** Why an action is refused. */
export type RefusalReason =
  | "already_permanent"
  | "request_limit_day"
  | "request_limit_week"
  | "no_permission"
  | "permission_expired"
  | "permission_declined"
  | "permission_revoked"
  | "call_limit"
  | "outside_customer_service_window";

/** The outcome of {@link permissionDecision}. */
export type PermissionDecision =
  | {
    allowed: true;
    /** Effective status now (`temporary` past its expiry reads `no_permission`). */
    status: PermissionState["status"];
    expiresAt?: number;
    /** The user will be (or was) prompted to reconsider after unanswered calls. */
    warning?: "unanswered_calls_prompt";
  }
  | {
    allowed: false;
    reason: RefusalReason;
    /** The Meta error code Graph would have answered. */
    metaCode: number;
    /** 409 for a state conflict, 429 for a limit. */
    httpStatus: 409 | 429;
    /** Unix ms when the action becomes possible again, for limits. */
    retryAt?: number;
    status: PermissionState["status"];
  };

/** Unix ms when a temporary permission lapses, or undefined (permanent, none). */
export function permissionExpiry(state: Pick<PermissionState, "status" | "expiresAt">) {
  return state.status === "temporary" ? state.expiresAt : undefined;
}

/** The status in force at `now`: a lapsed temporary permission is `no_permission`. */
export function effectiveStatus(
  state: Pick<PermissionState, "status" | "expiresAt">,
  now: number,
): PermissionState["status"] {
  if (state.status !== "temporary") return state.status;
  return state.expiresAt !== undefined && state.expiresAt <= now ? "no_permission" : "temporary";
}

/**
 * Times within the rolling window ending at `now`, and after `resetAt`
 * (a connected call resets the request limits), oldest first.
 */
function inWindow(times: readonly number[], now: number, windowMs: number, resetAt = -Infinity) {
  return times.filter((t) => t > now - windowMs && t > resetAt && t <= now).sort((a, b) => a - b);
}

/** When the window lets one more through: the oldest counted time that must age out. */
function nextSlot(counted: readonly number[], max: number, windowMs: number): number {
  return counted[counted.length - max]! + windowMs;
}

/**
 * Whether `action` may be done at `now`, and why not, with the Meta error
 * the product would otherwise earn. Pure: the caller supplies the state and
 * the clock.
 */
export function permissionDecision(
  state: PermissionState,
  action: PermissionAction,
  now: number,
  limits: PermissionLimits = META_PERMISSION_LIMITS,
): PermissionDecision {
  const status = effectiveStatus(state, now);
  return action === "request"
    ? requestDecision(state, status, now, limits)
    : callDecision(state, status, now, limits);
}

/**
 * Like {@link permissionDecision} for a request, and for a free-form
 * (interactive) one also refuses outside the customer service window, where
 * Graph would answer 131047; templates are not bound to the window.
 */
export function requestDecisionFor(
  kind: "interactive" | "template",
  state: PermissionState,
  now: number,
  limits: PermissionLimits = META_PERMISSION_LIMITS,
): PermissionDecision {
  const decision = permissionDecision(state, "request", now, limits);
  if (!decision.allowed || kind === "template") return decision;
  if (customerServiceWindowOpen(state.lastUserMessageAt, now)) return decision;
  return refuse(
    "outside_customer_service_window",
    PERMISSION_ERROR_CODES.outsideWindow,
    409,
    decision.status,
  );
}

function requestDecision(
  state: PermissionState,
  status: PermissionState["status"],
  now: number,
  limits: PermissionLimits,
): PermissionDecision {
  if (status === "permanent") {
    return refuse("already_permanent", PERMISSION_ERROR_CODES.alreadyPermanent, 409, status);
  }
  const reset = state.lastConnectedCallAt;
  const day = inWindow(state.requestTimes, now, DAY_WINDOW_MS, reset);
  const week = inWindow(state.requestTimes, now, WEEK_WINDOW_MS, reset);
  const dayFull = day.length >= limits.requestsPerDay;
  const weekFull = week.length >= limits.requestsPerWeek;
  if (!dayFull && !weekFull) return allowed(state, status);
  // Both windows must have room: the later of their next slots.
  const retryAt = Math.max(
    dayFull ? nextSlot(day, limits.requestsPerDay, DAY_WINDOW_MS) : now,
    weekFull ? nextSlot(week, limits.requestsPerWeek, WEEK_WINDOW_MS) : now,
  );
  return refuse(
    weekFull ? "request_limit_week" : "request_limit_day",
    PERMISSION_ERROR_CODES.requestLimit,
    429,
    status,
    retryAt,
  );
}

function callDecision(
  state: PermissionState,
  status: PermissionState["status"],
  now: number,
  limits: PermissionLimits,
): PermissionDecision {
  const noPermission = PERMISSION_ERROR_CODES.noPermission;
  // Meta revokes after the Nth unanswered call; its webhook may not have arrived yet.
  if (status === "revoked" || state.unansweredStreak >= limits.unansweredRevoke) {
    return refuse("permission_revoked", noPermission, 409, status);
  }
  if (status === "declined") return refuse("permission_declined", noPermission, 409, status);
  if (status === "no_permission") {
    const lapsed = state.status === "temporary";
    return refuse(lapsed ? "permission_expired" : "no_permission", noPermission, 409, status);
  }
  const max = state.connectedCallLimit ?? limits.connectedCallsPerDay;
  const calls = inWindow(state.connectedCallTimes, now, DAY_WINDOW_MS);
  if (calls.length >= max) {
    const retryAt = state.callLimitResetAt !== undefined && state.callLimitResetAt > now
      ? state.callLimitResetAt
      : nextSlot(calls, max, DAY_WINDOW_MS);
    return refuse("call_limit", PERMISSION_ERROR_CODES.callLimit, 429, status, retryAt);
  }
  const decision = allowed(state, status);
  if (state.unansweredStreak >= limits.unansweredPrompt) {
    return { ...decision, warning: "unanswered_calls_prompt" };
  }
  return decision;
}

/** The allowed branch of {@link PermissionDecision}. */
type Allowed = Extract<PermissionDecision, { allowed: true }>;

function allowed(state: PermissionState, status: PermissionState["status"]): Allowed {
  const expiresAt = permissionExpiry({ status, expiresAt: state.expiresAt });
  return expiresAt === undefined ? { allowed: true, status } : { allowed: true, status, expiresAt };
}

function refuse(
  reason: RefusalReason,
  metaCode: number,
  httpStatus: 409 | 429,
  status: PermissionState["status"],
  retryAt?: number,
): PermissionDecision {
  return {
    allowed: false,
    reason,
    metaCode,
    httpStatus,
    status,
    ...(retryAt === undefined ? {} : { retryAt }),
  };
}
