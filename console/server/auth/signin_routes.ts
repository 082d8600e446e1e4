/**
 * `/signin` (email + password through Supabase Auth, or in embedded mode a
 * pointer to the printed one-time link), `/signin/link` (redeems a one-time
 * link) and `/signout`. These run before a session exists, so the sign-in
 * form carries its own CSRF token, bound to a short-lived pre-session cookie.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { html } from "hono/html";
import { z } from "zod";
import { consoleLogger } from "../log.ts";
import { originCheck, sentCsrfToken } from "../csrf.ts";
import { renderBarePage } from "./bare_page.ts";
import type { ConsoleAuth } from "./console_auth.ts";
import { noRoleResponse, safeNext } from "./require_sign_in.ts";
import {
  clearCookie,
  constantTimeEqual,
  csrfTokenFor,
  isSecure,
  randomToken,
  readCookie,
  REFRESH_COOKIE,
  SESSION_COOKIE,
  sessionCsrfToken,
  SIGNIN_COOKIE,
  writeCookie,
  writeSession,
} from "./session.ts";

const log = consoleLogger("auth");
const SIGNIN_LABEL = "console-signin-csrf";
const SIGNIN_NONCE_S = 3600;

const signInForm = z.object({
  email: z.email().max(320),
  password: z.string().min(1).max(1024),
  next: z.string().max(2048).optional(),
});

async function formPage(
  c: Context,
  auth: ConsoleAuth,
  options: { next: string; error?: string; status?: 200 | 401 | 403 | 503 },
): Promise<Response> {
  if (auth.embedded) {
    return await renderBarePage(c, {
      title: "Sign in",
      status: options.status ?? 200,
      body: html`${options.error ? html`<p class="error" role="alert">${options.error}</p>` : ""}
<p>This console runs without a Supabase project. Open the one-time sign-in link printed by
<code>deno task dev</code> or <code>deno task console</code> on the line beginning
<code>Console:</code>. Each link works once, within 15 minutes; restart for a new one.</p>`,
    });
  }
  if (!auth.passwordSignIn) {
    return await renderBarePage(c, {
      title: "Sign in",
      status: 503,
      body: html`<p class="error" role="alert">Sign-in needs <code>SUPABASE_ANON_KEY</code> to be
set on the console.</p>`,
    });
  }
  const secure = isSecure(c, auth.publicOrigin);
  const nonce = readCookie(c, SIGNIN_COOKIE, secure) ?? randomToken();
  writeCookie(c, SIGNIN_COOKIE, nonce, { secure, maxAgeS: SIGNIN_NONCE_S });
  const token = await csrfTokenFor(nonce, SIGNIN_LABEL);
  return await renderBarePage(c, {
    title: "Sign in",
    status: options.status ?? 200,
    body: html`
      ${options.error ? html`<p class="error" role="alert">${options.error}</p>` : ""}
      <form method="post" action="/signin" class="signin">
        <input type="hidden" name="_csrf" value="${token}">
        <input type="hidden" name="next" value="${options.next}">
        <p><label for="email">Email</label>
      <input id="email" name="email" type="email" autocomplete="username" required></p>
        <p><label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required></p>
        <p><button type="submit">Sign in</button></p>
      </form>
    `,
  });
}

async function signInCsrfValid(c: Context, auth: ConsoleAuth): Promise<boolean> {
  const nonce = readCookie(c, SIGNIN_COOKIE, isSecure(c, auth.publicOrigin));
  const sent = await sentCsrfToken(c);
  if (nonce === undefined || sent === undefined) return false;
  return constantTimeEqual(sent, await csrfTokenFor(nonce, SIGNIN_LABEL));
}

/** Starts a session for `accessToken` if it is valid and has a role; the response either way. */
async function startSession(
  c: Context,
  auth: ConsoleAuth,
  accessToken: string,
  refreshToken: string | undefined,
  method: "password" | "link",
  next: string,
): Promise<Response> {
  const verified = await auth.verifier.verify(accessToken);
  if (!verified.ok) {
    log.warn("CONSOLE_SIGNIN_FAILED", { method, reason: verified.reason, detail: verified.detail });
    if (verified.reason === "no_role" || verified.reason === "unknown_role") {
      return noRoleResponse(c, verified.reason, undefined);
    }
    return formPage(c, auth, { next, status: 401, error: "The sign-in could not be verified." });
  }
  const secure = isSecure(c, auth.publicOrigin);
  writeSession(c, { accessToken, refreshToken, expiresAt: verified.expiresAt }, secure);
  clearCookie(c, SIGNIN_COOKIE, secure);
  log.info("CONSOLE_SIGNIN", { userId: verified.user.id, role: verified.user.role, method });
  return c.redirect(next, 303);
}

/** The sign-in and sign-out routes of `auth`. */
export function signInRoutes(auth: ConsoleAuth): Hono {
  const app = new Hono();
  app.use("/signin", originCheck(auth.publicOrigin));
  app.use("/signout", originCheck(auth.publicOrigin));
  app.get("/signin", (c) => formPage(c, auth, { next: safeNext(c.req.query("next")) }));

  app.post("/signin", async (c) => {
    if (!auth.passwordSignIn) return formPage(c, auth, { next: "/live", status: 403 });
    if (!await signInCsrfValid(c, auth)) {
      log.warn("CONSOLE_SIGNIN_FAILED", { method: "password", reason: "csrf" });
      return formPage(c, auth, {
        next: "/live",
        status: 403,
        error: "The form expired; try again.",
      });
    }
    const form = signInForm.safeParse(await c.req.parseBody());
    const next = safeNext(form.data?.next);
    if (!form.success) {
      return formPage(c, auth, { next, status: 401, error: "Enter your email and password." });
    }
    const result = await auth.passwordSignIn(form.data.email, form.data.password);
    if (!result.ok) {
      log.warn("CONSOLE_SIGNIN_FAILED", {
        method: "password",
        reason: "credentials",
        status: result.status,
      });
      const error = result.status >= 500
        ? "Supabase Auth is not answering; try again shortly."
        : "Wrong email or password.";
      return formPage(c, auth, { next, status: 401, error });
    }
    return startSession(c, auth, result.accessToken, result.refreshToken, "password", next);
  });

  app.get("/signin/link", async (c) => {
    const token = c.req.query("token");
    if (!auth.embedded || token === undefined || !await auth.embedded.links.redeem(token)) {
      log.warn("CONSOLE_SIGNIN_FAILED", { method: "link", reason: "link_spent" });
      return formPage(c, auth, {
        next: "/live",
        status: 403,
        error: "This sign-in link was already used or has expired.",
      });
    }
    return startSession(c, auth, await auth.embedded.mintSession(), undefined, "link", "/live");
  });

  app.post("/signout", async (c) => {
    const secure = isSecure(c, auth.publicOrigin);
    const session = readCookie(c, SESSION_COOKIE, secure);
    const sent = await sentCsrfToken(c);
    if (
      session === undefined || sent === undefined ||
      !constantTimeEqual(sent, await sessionCsrfToken(session))
    ) {
      return c.json(
        { error: "csrf", message: "Missing or wrong CSRF token; reload the page." },
        403,
      );
    }
    clearCookie(c, SESSION_COOKIE, secure);
    clearCookie(c, REFRESH_COOKIE, secure);
    log.info("CONSOLE_SIGNOUT", {});
    return c.redirect("/signin", 303);
  });
  return app;
}
