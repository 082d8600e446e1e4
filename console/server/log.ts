/**
 * The console's log events (LogTape, category `console`). Lines carry user
 * ids, never emails, tokens or phone numbers.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { EventLogger } from "../../bridge/log.ts";

/** Stable event names of the console. */
export type ConsoleLogEvent =
  /** `url`, `auth` (supabase|embedded). */
  | "CONSOLE_LISTENING"
  /** `userId`, `role`, `method` (password|link). */
  | "CONSOLE_SIGNIN"
  /** `method`, `reason` (credentials|no_role|unknown_role|link_spent|…), `status`. */
  | "CONSOLE_SIGNIN_FAILED"
  /** A request's session was refused: `reason`, `detail` (jose's error code), `path`. */
  | "CONSOLE_AUTH_REJECTED"
  /** A change without a valid CSRF token or from another origin: `why`, `path`. */
  | "CONSOLE_CSRF_REJECTED"
  | "CONSOLE_SIGNOUT"
  /** An expired access token was renewed from the refresh token: `userId`. */
  | "CONSOLE_SESSION_REFRESHED"
  /** Live page (live_hub.ts): the watch notice to the bridges failed: `error`. */
  | "CONSOLE_LIVE_WATCH_FAILED"
  /** A NOTIFY on the live channel that is not a live message: `bytes`. */
  | "CONSOLE_LIVE_BAD_MESSAGE"
  /** A viewer fell too far behind and was cut off (its browser reconnects): `reason`. */
  | "CONSOLE_LIVE_VIEWER_DROPPED"
  /** An operator asked the bridges to end a call: `callId`, `userId`. */
  | "CONSOLE_LIVE_END_REQUESTED"
  /** The live stream could not start (LISTEN failed): `error`. */
  | "CONSOLE_LIVE_UNAVAILABLE"
  /** History: a CSV export finished: `userId`, `rows`. */
  | "CONSOLE_CALLS_EXPORTED"
  /** Call page: a recording could not be read: `callId`, `error`. */
  | "CONSOLE_RECORDING_FAILED";

/** The console's logger (`console` + `category`). */
export function consoleLogger(...category: string[]): EventLogger<ConsoleLogEvent> {
  return getLogger(["console", ...category]);
}
