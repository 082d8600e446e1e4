/**
 * The bridge's HTTP API (Hono). The Edge Function is its only client:
 *
 *   POST   /sessions             Meta's offer in, our answer out (201), 400 bad offer, 503 full
 *   POST   /sessions/:id/connected  wait (bounded) for ICE and DTLS, before Meta's accept
 *   POST   /sessions/:id/accept  Meta accepted: start media
 *   POST   /sessions/:id/events  Meta's call status / business-initiated answer, recorded
 *   DELETE /sessions/:id         hang up (the caller did, or the function decided)
 *   GET    /sessions, /sessions/:id, /metrics, /healthz
 *
 * Every route but `/healthz` needs `Authorization: Bearer $VOICE_BRIDGE_SECRET`.
 * Bodies and path parameters are checked against `lib/bridge_api/schema.ts`
 * (see `validate.ts`); a failure inside answers a bare 500, the detail goes
 * to the log only.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { routePath } from "hono/route";
import { OfferRejectedError } from "../session/call_session.ts";
import type { CallSession } from "../session/call_session.ts";
import {
  CapacityError,
  DuplicateCallError,
  type SessionManager,
} from "../session/session_manager.ts";
import { callLogger, eventLogger } from "../log.ts";
import { renderMetrics } from "./metrics.ts";
import { zodJson, zodParam } from "./validate.ts";
import { bearerMatches } from "../../lib/auth/secret.ts";
import {
  EndSessionSchema,
  type ErrorBody,
  INTERNAL_ERROR_BODY,
  MetaEventSchema,
  NewSessionSchema,
  type SessionConnected,
  type SessionCreated,
  type SessionEnded,
  SessionParamsSchema,
  type SessionStatus,
  WaitConnectedSchema,
} from "../../lib/bridge_api/schema.ts";

/** Largest request body; an offer is a few KiB. */
export const MAX_BODY_BYTES = 128 * 1024;

/** What the HTTP API logs: a route failed inside (its 500 says nothing more). */
export type HttpLogEvent = "BRIDGE_HTTP_FAILED";

/** Per-request values: the call a request concerns, once known, for the error log. */
type AppEnv = { Variables: { callId: string | undefined } };

/** Dependencies of the HTTP API. */
export interface AppOptions {
  manager: SessionManager;
  secret: string;
  cpuPercent: () => number;
}

/** Builds the Hono app; `Deno.serve(app.fetch)` serves it. */
export function createApp({ manager, secret, cpuPercent }: AppOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const error = (c: Context<AppEnv>, body: ErrorBody, status: 400 | 404 | 409 | 503) =>
    c.json(body, status);
  /** The session `id` names, noting its call for the error log. */
  const sessionFor = (c: Context<AppEnv>, id: string): CallSession | undefined => {
    const session = manager.get(id);
    c.set("callId", session?.callId);
    return session;
  };
  const status = (session: CallSession): SessionStatus => ({
    sessionId: session.id,
    state: session.state,
  });

  app.get(
    "/healthz",
    (c) =>
      c.json(
        { ok: true, draining: manager.draining, sessions: manager.list().length },
        manager.draining ? 503 : 200,
      ),
  );

  app.use("*", async (c, next) => {
    if (!await bearerMatches(c.req.header("authorization") ?? null, secret)) {
      return c.json({ error: "unauthorized" } satisfies ErrorBody, 401);
    }
    await next();
  });

  app.use(
    "*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => c.json({ error: "body too large" } satisfies ErrorBody, 413),
    }),
  );

  app.get(
    "/metrics",
    (c) =>
      c.text(renderMetrics(manager, cpuPercent()), 200, {
        "content-type": "text/plain; version=0.0.4",
      }),
  );

  app.post("/sessions", zodJson(NewSessionSchema), async (c) => {
    const body = c.req.valid("json");
    c.set("callId", body.callId);
    try {
      const session = await manager.create(body);
      return c.json(
        { sessionId: session.id, sdp: session.answerSdp } satisfies SessionCreated,
        201,
      );
    } catch (e) {
      if (e instanceof OfferRejectedError) {
        return error(c, { error: "unusable offer", reasons: e.reasons }, 400);
      }
      if (e instanceof CapacityError) {
        c.header("retry-after", "1");
        return error(c, { error: "at capacity", reason: e.reason }, 503);
      }
      if (e instanceof DuplicateCallError) {
        return error(c, { error: "call already has a session", sessionId: e.existing.id }, 409);
      }
      throw e;
    }
  });

  app.get("/sessions", (c) => c.json({ sessions: manager.list().map((s) => s.toJSON()) }));

  app.get("/sessions/:id", zodParam(SessionParamsSchema), (c) => {
    const session = sessionFor(c, c.req.valid("param").id);
    return session ? c.json(session.toJSON()) : error(c, { error: "no such session" }, 404);
  });

  app.post(
    "/sessions/:id/connected",
    zodParam(SessionParamsSchema),
    zodJson(WaitConnectedSchema),
    async (c) => {
      const session = sessionFor(c, c.req.valid("param").id);
      if (!session) return error(c, { error: "no such session" }, 404);
      const connected = await session.waitConnected(c.req.valid("json").timeoutMs);
      return c.json({ ...status(session), connected } satisfies SessionConnected);
    },
  );

  app.post("/sessions/:id/accept", zodParam(SessionParamsSchema), (c) => {
    const session = sessionFor(c, c.req.valid("param").id);
    if (!session) return error(c, { error: "no such session" }, 404);
    if (session.state === "ending" || session.state === "ended") {
      const body: ErrorBody = { error: "session has ended" };
      if (session.endReason !== undefined) body.reason = session.endReason;
      return error(c, body, 409);
    }
    session.accept();
    return c.json(status(session));
  });

  app.post(
    "/sessions/:id/events",
    zodParam(SessionParamsSchema),
    zodJson(MetaEventSchema),
    (c) => {
      const session = sessionFor(c, c.req.valid("param").id);
      if (!session) return error(c, { error: "no such session" }, 404);
      session.metaEvent(c.req.valid("json"));
      return c.json(status(session));
    },
  );

  app.delete(
    "/sessions/:id",
    zodParam(SessionParamsSchema),
    zodJson(EndSessionSchema),
    async (c) => {
      const session = sessionFor(c, c.req.valid("param").id);
      if (!session) return error(c, { error: "no such session" }, 404);
      await session.end(c.req.valid("json").reason ?? "hangup", false);
      const ended: SessionEnded = status(session);
      if (session.endReason !== undefined) ended.reason = session.endReason;
      return c.json(ended);
    },
  );

  app.onError((e, c) => {
    // Hono's own 4xx (a body that is not JSON) carry a message written for the client.
    if (e instanceof HTTPException && e.status < 500) {
      return c.json({ error: e.message } satisfies ErrorBody, e.status);
    }
    const callId = c.get("callId");
    const log = callId === undefined
      ? eventLogger<HttpLogEvent>("http")
      : callLogger<HttpLogEvent>(callId, "http");
    log.error("BRIDGE_HTTP_FAILED", {
      method: c.req.method,
      route: routePath(c),
      error: String(e),
    });
    return c.json(INTERNAL_ERROR_BODY, 500);
  });
  return app;
}
