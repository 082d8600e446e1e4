/**
 * The bridge's HTTP API (Hono). The Edge Function is its only client:
 *
 *   POST   /sessions             Meta's offer in, our answer out (201), 400 bad offer, 503 full
 *   POST   /sessions/:id/accept  Meta accepted: start media
 *   POST   /sessions/:id/events  Meta's call status / business-initiated answer, recorded
 *   DELETE /sessions/:id         hang up (the caller did, or the function decided)
 *   GET    /sessions, /sessions/:id, /metrics, /healthz
 *
 * Every route but `/healthz` needs `Authorization: Bearer $VOICE_BRIDGE_SECRET`.
 *
 * @module
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import { OfferRejectedError } from "../session/call_session.ts";
import {
  CapacityError,
  DuplicateCallError,
  type SessionManager,
} from "../session/session_manager.ts";
import { renderMetrics } from "./metrics.ts";
import { bearerMatches } from "../../lib/auth/secret.ts";

const SessionBody = z.object({
  callId: z.string().min(1).max(256),
  phoneNumberId: z.string().min(1).max(64),
  from: z.string().min(1).max(64),
  to: z.string().min(1).max(64),
  sdp: z.string().min(1).max(64 * 1024),
});

const DeleteBody = z.object({ reason: z.string().max(200).optional() }).optional();

const MetaEventBody = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("status"), status: z.enum(["RINGING", "ACCEPTED", "REJECTED"]) }),
  z.object({ kind: z.literal("connect_answer"), sdp: z.string().min(1).max(64 * 1024) }),
]);

/** Dependencies of the HTTP API. */
export interface AppOptions {
  manager: SessionManager;
  secret: string;
  cpuPercent: () => number;
}

/** Builds the Hono app; `Deno.serve(app.fetch)` serves it. */
export function createApp({ manager, secret, cpuPercent }: AppOptions): Hono {
  const app = new Hono();

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
      return c.json({ error: "unauthorized" }, 401);
    }
    await next();
  });

  app.get(
    "/metrics",
    (c) =>
      c.text(renderMetrics(manager, cpuPercent()), 200, {
        "content-type": "text/plain; version=0.0.4",
      }),
  );

  app.post(
    "/sessions",
    bodyLimit({ maxSize: 128 * 1024, onError: (c) => c.json({ error: "body too large" }, 413) }),
    async (c) => {
      const body = SessionBody.safeParse(await c.req.json().catch(() => undefined));
      if (!body.success) {
        return c.json({
          error: "invalid body",
          issues: body.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`),
        }, 400);
      }
      try {
        const session = await manager.create(body.data);
        return c.json({ sessionId: session.id, sdp: session.answerSdp }, 201);
      } catch (error) {
        if (error instanceof OfferRejectedError) {
          return c.json({ error: "unusable offer", reasons: error.reasons }, 400);
        }
        if (error instanceof CapacityError) {
          return c.json({ error: "at capacity", reason: error.reason }, 503, {
            "retry-after": "1",
          });
        }
        if (error instanceof DuplicateCallError) {
          return c.json({ error: "call already has a session", sessionId: error.existing.id }, 409);
        }
        throw error;
      }
    },
  );

  app.get("/sessions", (c) => c.json({ sessions: manager.list().map((s) => s.toJSON()) }));

  app.get("/sessions/:id", (c) => {
    const session = manager.get(c.req.param("id"));
    return session ? c.json(session.toJSON()) : c.json({ error: "no such session" }, 404);
  });

  app.post("/sessions/:id/accept", (c) => {
    const session = manager.get(c.req.param("id"));
    if (!session) return c.json({ error: "no such session" }, 404);
    if (session.state === "ending" || session.state === "ended") {
      return c.json({ error: "session has ended", reason: session.endReason }, 409);
    }
    session.accept();
    return c.json({ sessionId: session.id, state: session.state });
  });

  app.post("/sessions/:id/events", async (c) => {
    const session = manager.get(c.req.param("id"));
    if (!session) return c.json({ error: "no such session" }, 404);
    const body = MetaEventBody.safeParse(await c.req.json().catch(() => undefined));
    if (!body.success) return c.json({ error: "invalid body" }, 400);
    session.metaEvent(body.data);
    return c.json({ sessionId: session.id, state: session.state });
  });

  app.delete("/sessions/:id", async (c) => {
    const session = manager.get(c.req.param("id"));
    if (!session) return c.json({ error: "no such session" }, 404);
    const text = await c.req.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      return c.json({ error: "invalid body" }, 400);
    }
    const body = DeleteBody.safeParse(json);
    if (!body.success) return c.json({ error: "invalid body" }, 400);
    await session.end(body.data?.reason ?? "hangup", false);
    return c.json({ sessionId: session.id, state: session.state, reason: session.endReason });
  });

  app.onError((error, c) => c.json({ error: "internal error", message: error.message }, 500));
  return app;
}
