/**
 * The bridge's routes for business-initiated calls (issue 17), mounted by
 * `app.ts` behind its bearer check:
 *
 *   POST   /offers             make the SDP offer for Graph `connect` (201), 503 full or off
 *   DELETE /offers/:id         Graph refused the connect: close the offer
 *   POST   /sessions/outbound  Meta named the call: the offer becomes its session (201),
 *                              ringing until Meta's answer and ACCEPTED come through `/events`
 *
 * @module
 */
import { Hono } from "hono";
import { renderPurpose } from "../agents/call_purpose.ts";
import {
  CapacityError,
  DuplicateCallError,
  type SessionManager,
} from "../session/session_manager.ts";
import type { OutboundOffers } from "../session/outbound_offers.ts";
import { zodJson, zodParam } from "./validate.ts";
import {
  type ErrorBody,
  NewOfferSchema,
  NewOutboundSessionSchema,
  type OfferCreated,
  type SessionCreated,
  SessionParamsSchema,
} from "../../lib/bridge_api/schema.ts";

/** The outbound routes over `manager`; without `offers` every route answers 503. */
export function outboundRoutes(
  manager: SessionManager,
  offers: OutboundOffers | undefined,
): Hono<{ Variables: { callId: string | undefined } }> {
  const app = new Hono<{ Variables: { callId: string | undefined } }>();
  const off = { error: "business-initiated calls are not enabled" } satisfies ErrorBody;

  app.post("/offers", zodJson(NewOfferSchema), async (c) => {
    if (!offers) return c.json(off, 503);
    // Checked before Meta rings anyone: a full bridge refuses here, not after the user picked up.
    const refusal = manager.refusal(offers.size);
    if (refusal) {
      c.header("retry-after", "1");
      return c.json({ error: "at capacity", reason: refusal } satisfies ErrorBody, 503);
    }
    const made = await offers.create(c.req.valid("json").phoneNumberId);
    return c.json(made satisfies OfferCreated, 201);
  });

  app.delete("/offers/:id", zodParam(SessionParamsSchema), async (c) => {
    if (!offers) return c.json(off, 503);
    const found = await offers.discard(c.req.valid("param").id);
    return found ? c.json({ discarded: true }) : c.json({ error: "no such offer" }, 404);
  });

  app.post("/sessions/outbound", zodJson(NewOutboundSessionSchema), async (c) => {
    if (!offers) return c.json(off, 503);
    const body = c.req.valid("json");
    c.set("callId", body.callId);
    const peer = offers.take(body.offerId);
    if (!peer) {
      return c.json({ error: "no such offer (expired or taken)" } satisfies ErrorBody, 404);
    }
    try {
      const session = await manager.create({
        callId: body.callId,
        phoneNumberId: body.phoneNumberId,
        from: body.from,
        to: body.to,
        sdp: peer.answerSdp,
        caller: body.caller,
        outbound: { peer, ringTimeoutMs: body.ringTimeoutMs, ...renderPurpose(body.purpose) },
      });
      return c.json(
        { sessionId: session.id, sdp: session.answerSdp } satisfies SessionCreated,
        201,
      );
    } catch (e) {
      await peer.close().catch(() => {});
      if (e instanceof CapacityError) {
        c.header("retry-after", "1");
        return c.json({ error: "at capacity", reason: e.reason } satisfies ErrorBody, 503);
      }
      if (e instanceof DuplicateCallError) {
        return c.json({ error: "call already has a session" } satisfies ErrorBody, 409);
      }
      throw e;
    }
  });
  return app;
}
