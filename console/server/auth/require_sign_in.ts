/**
 * Middleware in front of every console page and API: the session cookie must
 * hold a valid access token of a user with a console role. It sets `user` and
 * `csrfToken`. An expired access token is renewed from the refresh token
 * cookie (Supabase Auth). Without a session a page request is sent to `/signin` and
 * anything else (fetch, API, form post) gets 401 JSON; a user without a role
 * gets 403 and is told to ask an admin.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { html } from "hono/html";
import type { ConsoleEnv } from "../context.ts";
import { consoleLogger } from "../log.ts";
import type { ConsoleAuth } from "./console_auth.ts";
import { renderBarePage } from "./bare_page.ts";
import {
  isSecure,
  readCookie,
  REFRESH_COOKIE,
  SESSION_COOKIE,
  sessionCsrfToken,
  writeSession,
} from "./session.ts";
import type { RejectReason, Verified } from "./verifier.ts";

const log = consoleLogger("auth");

/** Whether the request is a browser navigation to a page (rather than fetch or API). */
export function wantsPage(c: Context): boolean {
  if (c.req.method !== "GET" && c.req.method !== "HEAD") return false;
  if (c.req.path.startsWith("/api/")) return false;
  const mode = c.req.header("sec-fetch-mode");
  if (mode !== undefined) return mode === "navigate";
  return (c.req.header("accept") ?? "").includes("text/html");
}

/** A path safe to return to after sign-in: same-origin, absolute path, no `//`. */
export function safeNext(next: string | undefined): string {
  return next !== undefined && /^\/(?![/\\])[^\s\\]*$/.test(next) ? next : "/live";
}

/** The 403 page (or JSON) for a signed-in user without a usable console role. */
export async function noRoleResponse(
  c: Context,
  reason: "no_role" | "unknown_role",
  signOutToken: string | undefined,
): Promise<Response> {
  if (!wantsPage(c) && c.req.method !== "POST") {
    return c.json({ error: reason, message: "Your account has no console role." }, 403);
  }
  const why = reason === "no_role"
    ? "Your account is signed in but has no console role."
    : "Your account's console role is not one the console knows (viewer, operator, admin).";
  const signOut = signOutToken === undefined ? "" : html`<form method="post" action="/signout">
<input type="hidden" name="_csrf" value="${signOutToken}">
<button type="submit">Sign out</button></form>`;
  return await renderBarePage(c, {
    title: "No access yet",
    status: 403,
    body: html`<p>${why} Ask an admin of this console to give you the <code>viewer</code>,
<code>operator</code> or <code>admin</code> role (Supabase: <code>app_metadata.role</code>).</p>
${signOut}`,
  });
}

function unauthenticated(c: Context, reason: RejectReason | "none"): Response {
  if (wantsPage(c)) {
    const url = new URL(c.req.url);
    return c.redirect(`/signin?next=${encodeURIComponent(url.pathname + url.search)}`, 302);
  }
  return c.json({ error: "unauthenticated", reason, message: "Sign in again." }, 401);
}

/**
 * The session's token and its verification, renewed through the refresh
 * token when the access token is missing or expired (new cookies set).
 */
async function currentSession(
  c: Context,
  auth: ConsoleAuth,
  secure: boolean,
): Promise<{ token: string | undefined; verified: Verified }> {
  const token = readCookie(c, SESSION_COOKIE, secure);
  const verified: Verified = token === undefined
    ? { ok: false, reason: "expired" }
    : await auth.verifier.verify(token);
  const refreshToken = readCookie(c, REFRESH_COOKIE, secure);
  if (verified.ok || verified.reason !== "expired" || !refreshToken || !auth.refreshSession) {
    return { token, verified };
  }
  const renewed = await auth.refreshSession(refreshToken);
  if (!renewed.ok) {
    log.info("CONSOLE_AUTH_REJECTED", { reason: "refresh_failed", status: renewed.status });
    return { token, verified };
  }
  const again = await auth.verifier.verify(renewed.accessToken);
  if (again.ok) {
    writeSession(c, { ...renewed, expiresAt: again.expiresAt }, secure);
    log.info("CONSOLE_SESSION_REFRESHED", { userId: again.user.id });
  }
  return { token: renewed.accessToken, verified: again };
}

/** The sign-in gate for `auth`. */
export function requireSignIn(auth: ConsoleAuth): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    const secure = isSecure(c, auth.publicOrigin);
    const { token, verified } = await currentSession(c, auth, secure);
    if (token === undefined) return unauthenticated(c, "none");
    if (!verified.ok) {
      log.info("CONSOLE_AUTH_REJECTED", {
        reason: verified.reason,
        detail: verified.detail,
        path: c.req.path,
      });
      if (verified.reason === "no_role" || verified.reason === "unknown_role") {
        return noRoleResponse(c, verified.reason, await sessionCsrfToken(token));
      }
      return unauthenticated(c, verified.reason);
    }
    c.set("user", verified.user);
    c.set("csrfToken", await sessionCsrfToken(token));
    await next();
  };
}
