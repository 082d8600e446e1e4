/**
 * The bridge's HTTP API (Hono). The Edge Function is its only client:
 *
 *   POST   /sessions             Meta's offer in, our answer out (201), 400 bad offer, 503 full,
 *                                408 ready only after the client gave up (disconnect or deadline)
 *   POST   /sessions/:id/connected  wait (bounded) for ICE and DTLS, before Meta's accept
 *   POST   /sessions/:id/accept  Meta accepted: start media
 *   POST   /sessions/:id/events  Meta's call status / business-initiated answer, recorded
 *                                (and acted on for a business-initiated call; 400 unusable answer)
 *   POST   /offers, /sessions/outbound, DELETE /offers/:id  business-initiated calls (outbound_routes.ts)
 *   DELETE /sessions/:id         hang up (the caller did, or the function decided)
 *   DELETE /calls/:callId        the function gave up on the call: end or cancel its session quietly
 *   POST   /records              store writes the function could not make: into the outbox (202)
 *   GET    /sessions, /sessions/:id, /metrics, /healthz
 *   GET    /calls/:callId/recording  the call's recording (audio/ogg); a signed link needs no secret
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
  SessionOrphanedError,
} from "../session/session_manager.ts";
import { callLogger, eventLogger } from "../log.ts";
import { renderMetrics } from "./metrics.ts";
import { outboundRoutes } from "./outbound_routes.ts";
import type { OutboundOffers } from "../session/outbound_offers.ts";
import { AnswerRejectedError } from "../session/outbound_leg.ts";
import { zodHeader, zodJson, zodParam } from "./validate.ts";
import { bearerMatches } from "../../lib/auth/secret.ts";
import { DeferredWritesSchema } from "../../store/deferred_write.ts";
import { OutboxFullError } from "../../store/outbox.ts";
import type { DeferredSink } from "../../store/deferring_store.ts";
import {
  type CallEnded,
  CallParamsSchema,
  EndSessionSchema,
  type ErrorBody,
  INTERNAL_ERROR_BODY,
  MetaEventSchema,
  NewSessionHeadersSchema,
  NewSessionSchema,
  type RecordsAccepted,
  REQUEST_DEADLINE_HEADER,
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
  /** The durable outbox `POST /records` appends to; absent, the route answers 503. */
  outbox?: DeferredSink | undefined;
  /**
   * `GET /calls/:callId/recording` (bridge/recording/recording_route.ts), mounted
   * before the bearer check: it checks the secret or a signed link itself.
   */
  recordingRoutes?: Hono | undefined;
  /** Offers of business-initiated calls (`outbound_routes.ts`); absent, those routes answer 503. */
  offers?: OutboundOffers | undefined;
}

/** Builds the Hono app; `Deno.serve(app.fetch)` serves it. */
export function createApp(
  { manager, secret, cpuPercent, outbox, recordingRoutes, offers }: AppOptions,
): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const error = (c: Context<AppEnv>, body: ErrorBody, status: 400 | 404 | 408 | 409 | 503) =>
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

  if (recordingRoutes !== undefined) app.route("/", recordingRoutes);

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

  app.route("/", outboundRoutes(manager, offers));

  app.get(
    "/metrics",
    (c) =>
      c.text(renderMetrics(manager, cpuPercent(), offers?.size ?? 0), 200, {
        "content-type": "text/plain; version=0.0.4",
      }),
  );

  app.post(
    "/sessions",
    zodHeader(NewSessionHeadersSchema),
    zodJson(NewSessionSchema),
    async (c) => {
      const body = c.req.valid("json");
      c.set("callId", body.callId);
      try {
        const session = await manager.create(body, {
          signal: c.req.raw.signal,
          deadlineMs: c.req.valid("header")[REQUEST_DEADLINE_HEADER],
        });
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
          const body: ErrorBody = { error: "call already has a session" };
          if (e.sessionId !== undefined) body.sessionId = e.sessionId;
          return error(c, body, 409);
        }
        if (e instanceof SessionOrphanedError) {
          return error(c, { error: "the client gave up before the session was ready" }, 408);
        }
        throw e;
      }
    },
  );

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
    async (c) => {
      const session = sessionFor(c, c.req.valid("param").id);
      if (!session) return error(c, { error: "no such session" }, 404);
      try {
        await session.metaEvent(c.req.valid("json"));
      } catch (e) {
        // Meta's answer to our offer was unusable: the call was ended at Meta; say why.
        if (!(e instanceof AnswerRejectedError)) throw e;
        return error(c, { error: "unusable answer", reasons: e.reasons }, 400);
      }
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

  app.delete(
    "/calls/:callId",
    zodParam(CallParamsSchema),
    zodJson(EndSessionSchema),
    async (c) => {
      const { callId } = c.req.valid("param");
      c.set("callId", callId);
      const ended = await manager.endCall(callId, c.req.valid("json").reason ?? "abandoned");
      if (ended === undefined) return error(c, { error: "no session for this call" }, 404);
      const outcome = ended === "cancelled" ? "cancelled" : "ended";
      return c.json({ callId, outcome } satisfies CallEnded);
    },
  );

  app.post("/records", zodJson(DeferredWritesSchema), async (c) => {
    const { records } = c.req.valid("json");
    if (outbox === undefined) return error(c, { error: "no outbox" }, 503);
    try {
      await outbox.append(records);
    } catch (e) {
      // Full: the sender keeps its receipt and may try again once the database drained it.
      if (!(e instanceof OutboxFullError)) throw e;
      c.header("retry-after", "60");
      return error(c, { error: "outbox full" }, 503);
    }
    return c.json({ accepted: records.length } satisfies RecordsAccepted, 202);
  });

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
