/**
 * CSRF protection of every request that changes something (any method but
 * GET, HEAD, OPTIONS): Hono's origin check (`Origin` or `Sec-Fetch-Site`
 * must be this console's), a refusal of any other `Origin` whatever the body
 * type, and the session's CSRF token from the `_csrf` form field or the
 * `x-csrf-token` header, compared in constant time. Failing any: 403.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { csrf } from "hono/csrf";
import type { ConsoleEnv } from "./context.ts";
import { consoleLogger } from "./log.ts";
import { constantTimeEqual } from "./auth/session.ts";

const SAFE = /^(GET|HEAD|OPTIONS)$/;
const FORM = /^(application\/x-www-form-urlencoded|multipart\/form-data)/i;
const log = consoleLogger("csrf");

/** The origin changes may come from: `publicOrigin`, else the request's own. */
export function allowedOrigin(c: Context, publicOrigin: string | undefined): string {
  return publicOrigin ?? new URL(c.req.url).origin;
}

/** Hono's origin check plus: an `Origin` header, when sent, must be ours. */
export function originCheck(publicOrigin: string | undefined): MiddlewareHandler {
  const hono = csrf({ origin: (origin, c) => origin === allowedOrigin(c, publicOrigin) });
  return async (c, next) => {
    const origin = c.req.header("origin");
    if (
      !SAFE.test(c.req.method) && origin !== undefined && origin !== allowedOrigin(c, publicOrigin)
    ) {
      log.warn("CONSOLE_CSRF_REJECTED", { why: "origin", path: c.req.path });
      return c.text("Cross-origin request refused.", 403);
    }
    await hono(c, next);
  };
}

/** The CSRF token a request sent: `x-csrf-token`, else a form's `_csrf`. */
export async function sentCsrfToken(c: Context): Promise<string | undefined> {
  const header = c.req.header("x-csrf-token");
  if (header) return header;
  if (!FORM.test(c.req.header("content-type") ?? "")) return undefined;
  // Hono caches the parsed body, so the route can still read it.
  const field = (await c.req.parseBody())["_csrf"];
  return typeof field === "string" ? field : undefined;
}

/** Middleware (after sign-in): non-safe requests must send the session's `csrfToken`. */
export function requireCsrfToken(): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    if (SAFE.test(c.req.method)) return await next();
    const sent = await sentCsrfToken(c);
    if (sent === undefined || !constantTimeEqual(sent, c.get("csrfToken"))) {
      log.warn("CONSOLE_CSRF_REJECTED", {
        why: sent === undefined ? "missing" : "wrong",
        path: c.req.path,
      });
      return c.json(
        { error: "csrf", message: "Missing or wrong CSRF token; reload the page." },
        403,
      );
    }
    await next();
  };
}
