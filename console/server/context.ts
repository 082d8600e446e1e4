/**
 * What every console route shares: the signed-in user, the request's CSRF
 * token, and the services the pages read from. Pages are Hono sub-apps typed
 * by {@linkcode ConsoleEnv}; `app.ts` mounts them behind sign-in.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import type { Store } from "../../store/store.ts";
import type { LiveHub } from "./live_hub.ts";
import type { TalkService } from "../talk/test_calls.ts";
import type { AgentDefaults } from "../../lib/agent_settings/defaults.ts";
import type { ConsoleRecordings } from "../pages/call_recording.ts";
import { maskPhone } from "../../lib/whatsapp/mask.ts";
import type { OutboundService } from "../outbound/functions_client.ts";

/** Roles, weakest first; each can do what the ones before it can. */
export const ROLES = ["viewer", "operator", "admin"] as const;

/** `viewer` reads (numbers masked), `operator` also ends calls and talks to agents, `admin` edits agents. */
export type Role = typeof ROLES[number];

/** The signed-in user, from a verified access token. */
export interface ConsoleUser {
  /** The token's `sub`. */
  id: string;
  email: string | null;
  role: Role;
}

/** Per-request values every console route may read. */
export type ConsoleEnv = {
  Variables: {
    user: ConsoleUser;
    /** The token a form or `fetch` must send back (`_csrf` field or `x-csrf-token` header). */
    csrfToken: string;
  };
};

/** Services the console pages use; `app.ts` builds them once per process. */
export interface ConsoleDeps {
  store: Store;
  /** The clock, injected so tests are fast and exact. */
  now: () => Date;
  /** "Talk to your agent": test calls through the bridge; absent without `VOICE_BRIDGE_URL`. */
  talk?: TalkService | undefined;
  /** Live calls from every bridge (LISTEN/NOTIFY); absent: the Live page lists the store's calls only. */
  live?: LiveHub | undefined;
  /** The bridge's agent defaults, shown on the Agents page; absent: read from this process's environment. */
  agentDefaults?: AgentDefaults | undefined;
  /** Call recordings for the Call page's player; absent: no player. */
  recordings?: ConsoleRecordings | undefined;
  /** "Call a customer": permission requests and calls through the functions; absent: look-up only. */
  outbound?: OutboundService | undefined;
}

/** Whether `user` has at least `role`. */
export function hasRole(user: ConsoleUser, role: Role): boolean {
  return ROLES.indexOf(user.role) >= ROLES.indexOf(role);
}

/** Middleware: 403 unless the signed-in user has at least `role`. */
export function requireRole(role: Role): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    if (!hasRole(c.get("user"), role)) return c.text(`This needs the ${role} role.`, 403);
    await next();
  };
}

/** A phone number as this user may see it: masked for viewers, whole for the others. */
export function shownNumber(user: ConsoleUser, number: string | null): string {
  if (number === null || number === "") return "—";
  return user.role === "viewer" ? maskPhone(number) : number;
}

/** {@linkcode shownNumber} for the user of a request. */
export function shownNumberFor(c: Context<ConsoleEnv>, number: string | null): string {
  return shownNumber(c.get("user"), number);
}
