/**
 * The console session: the access token itself in an HttpOnly, SameSite=Strict
 * cookie (Secure, with the `__Host-` prefix, when the console is served over
 * https), living as long as the token, and with Supabase Auth the refresh
 * token beside it. The CSRF token of a session is an HMAC of a label keyed by
 * the token's `session_id` (else the token): unguessable without the cookie,
 * the same on every console instance and across token refreshes, and no
 * server-side state.
 *
 * @module
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { decodeJwt } from "jose";

/** Cookie names by transport: `__Host-` needs Secure, so plain http drops the prefix. */
function cookieName(base: string, secure: boolean): string {
  return secure ? `__Host-${base}` : base;
}

/** The session cookie's base name. */
export const SESSION_COOKIE = "console_session";
/** The refresh token's cookie (Supabase Auth only). */
export const REFRESH_COOKIE = "console_refresh";
/** How long a refresh token is kept; Supabase may end the session sooner. */
export const REFRESH_COOKIE_S = 7 * 24 * 3600;
/** The sign-in form's pre-session cookie: login forms need CSRF protection too. */
export const SIGNIN_COOKIE = "console_signin";

/** Whether cookies must be Secure: the public URL (or, without one, the request) is https. */
export function isSecure(c: Context, publicOrigin: string | undefined): boolean {
  return new URL(publicOrigin ?? c.req.url).protocol === "https:";
}

/** Reads a console cookie (`base` = {@linkcode SESSION_COOKIE} or {@linkcode SIGNIN_COOKIE}). */
export function readCookie(c: Context, base: string, secure: boolean): string | undefined {
  return getCookie(c, cookieName(base, secure)) || undefined;
}

/** Sets a console cookie for `maxAgeS` seconds. */
export function writeCookie(
  c: Context,
  base: string,
  value: string,
  options: { secure: boolean; maxAgeS: number },
): void {
  setCookie(c, cookieName(base, options.secure), value, {
    path: "/",
    httpOnly: true,
    secure: options.secure,
    sameSite: "Strict",
    maxAge: Math.max(0, Math.floor(options.maxAgeS)),
  });
}

/** Removes a console cookie. */
export function clearCookie(c: Context, base: string, secure: boolean): void {
  deleteCookie(c, cookieName(base, secure), {
    path: "/",
    secure,
    httpOnly: true,
    sameSite: "Strict",
  });
}

const encoder = new TextEncoder();

/** The CSRF token bound to `secret` (the session token, or the sign-in nonce). */
export async function csrfTokenFor(secret: string, label = "console-csrf"): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(label)));
  return base64url(mac);
}

/**
 * The CSRF token of the session holding `accessToken`: bound to its
 * `session_id` claim (Supabase keeps it across refreshes), else to the token.
 */
export function sessionCsrfToken(accessToken: string): Promise<string> {
  let sessionId: unknown;
  try {
    sessionId = decodeJwt(accessToken).session_id;
  } catch {
    sessionId = undefined;
  }
  return csrfTokenFor(
    typeof sessionId === "string" && sessionId ? `sid:${sessionId}` : accessToken,
  );
}

/** Sets the session cookies: the access token until `expiresAt`, and the refresh token if any. */
export function writeSession(
  c: Context,
  session: { accessToken: string; refreshToken?: string | undefined; expiresAt: Date },
  secure: boolean,
): void {
  const maxAgeS = (session.expiresAt.getTime() - Date.now()) / 1000;
  writeCookie(c, SESSION_COOKIE, session.accessToken, { secure, maxAgeS });
  if (session.refreshToken) {
    writeCookie(c, REFRESH_COOKIE, session.refreshToken, { secure, maxAgeS: REFRESH_COOKIE_S });
  }
}

/** Whether `a` equals `b`, in time independent of where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** Base64url without padding. */
export function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(
    /=+$/,
    "",
  );
}

/** `n` random bytes as base64url. */
export function randomToken(n = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(n)));
}
