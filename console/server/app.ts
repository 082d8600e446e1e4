/**
 * The console's Hono app: secure headers on every response, `/static/*`
 * without sign-in, the sign-in routes, then the sign-in gate and CSRF check
 * in front of every page and API, and the six page modules (each defines its
 * own paths: `/live`, `/calls`, `/calls/:id`, `/analytics`, `/agents`, `/talk`).
 *
 * @module
 */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { bodyLimit } from "hono/body-limit";
import type { ConsoleDeps, ConsoleEnv } from "./context.ts";
import type { ConsoleAuth } from "./auth/console_auth.ts";
import { requireSignIn } from "./auth/require_sign_in.ts";
import { signInRoutes } from "./auth/signin_routes.ts";
import { originCheck, requireCsrfToken } from "./csrf.ts";
import { consoleSecurityHeaders } from "./security_headers.ts";
import { staticRoutes } from "./static_assets.ts";
import { getLogger } from "@logtape/logtape";
import { liveRoutes } from "../pages/live.ts";
import { historyRoutes } from "../pages/history.ts";
import { callRoutes } from "../pages/call.ts";
import { analyticsRoutes } from "../pages/analytics.ts";
import { agentsRoutes } from "../pages/agents.ts";
import { talkRoutes } from "../pages/talk.ts";
import { outboundRoutes } from "../pages/outbound.ts";
import { campaignsRoutes } from "../pages/campaigns.ts";

/** Largest request body the console reads (the sign-in form included). */
export const MAX_CONSOLE_BODY_BYTES = 256 * 1024;

/** What {@linkcode createConsoleApp} needs: the pages' services and how users sign in. */
export type ConsoleAppOptions = ConsoleDeps & { auth: ConsoleAuth };

/** The whole console as one Hono app (`app.fetch` serves it). */
export function createConsoleApp(options: ConsoleAppOptions): Hono<ConsoleEnv> {
  const { auth, ...deps } = options;
  const app = new Hono<ConsoleEnv>();
  app.use("*", consoleSecurityHeaders());
  // Every body the console takes is a form or an SDP offer: far below this.
  app.use(
    "*",
    bodyLimit({
      maxSize: MAX_CONSOLE_BODY_BYTES,
      onError: (c) => c.text("Request body too large.", 413),
    }),
  );
  app.route("/", staticRoutes());
  app.route("/", signInRoutes(auth));
  app.use("*", requireSignIn(auth));
  app.use("*", originCheck(auth.publicOrigin));
  app.use("*", requireCsrfToken());
  app.get("/", (c) => c.redirect("/live", 302));
  for (
    const routes of [
      liveRoutes,
      historyRoutes,
      callRoutes,
      analyticsRoutes,
      agentsRoutes,
      talkRoutes,
      outboundRoutes,
      campaignsRoutes,
    ]
  ) {
    app.route("/", routes(deps));
  }
  app.notFound((c) => c.text("Not found", 404));
  app.onError((error, c) => {
    if (error instanceof HTTPException) return error.getResponse();
    getLogger(["console"]).error("CONSOLE_REQUEST_FAILED", {
      path: c.req.path,
      error: String(error),
    });
    return c.text("Something went wrong; see the console's log.", 500);
  });
  return app;
}
