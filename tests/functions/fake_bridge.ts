/**
 * A fake voice bridge speaking the session API of `bridge/http/app.ts`, on
 * real loopback HTTP: it checks `POST /sessions` against the same schema the
 * bridge does (a body the bridge would refuse is refused here too), answers
 * every offer at once with a WhatsApp-shaped SDP answer (the fake Graph's
 * {@link EXAMPLE_ANSWER_SDP}), and can be told to be full, slow or broken.
 * Every request is recorded.
 *
 * @module
 */

import { EXAMPLE_ANSWER_SDP } from "../../simulator/meta_graph.ts";
import {
  invalidRequestBody,
  NewSessionSchema,
  WaitConnectedSchema,
} from "../../lib/bridge_api/schema.ts";

/** A session the fake holds. */
export interface FakeBridgeSession {
  sessionId: string;
  callId: string;
  state: "answered" | "accepted" | "ended";
  endReason?: string;
}

/** One request as received. */
export interface FakeBridgeRequest {
  method: string;
  path: string;
  body: unknown;
  authorized: boolean;
}

/** How `POST /sessions` misbehaves; `undefined` answers normally. */
export type CreateFault =
  | { kind: "status"; status: 400 | 503; body: unknown }
  /** 201 with this body instead of `{sessionId, sdp}`. */
  | { kind: "bad_answer"; body: unknown }
  /** Waits this long before answering normally. */
  | { kind: "delay"; ms: number };

/**
 * How `POST /sessions/:id/connected` answers: `up` at once (the default),
 * `down` as if the wait ran out, `held` until {@link FakeBridge.connect} or
 * the session's end.
 */
export type FakeMedia = "up" | "down" | "held";

/** The fake bridge. */
export class FakeBridge {
  /** Bearer secret it accepts. */
  readonly secret: string;
  readonly requests: FakeBridgeRequest[] = [];
  readonly sessions = new Map<string, FakeBridgeSession>();
  /** Applied to every `POST /sessions` while set. */
  createFault: CreateFault | undefined;
  /** How sessions' ICE and DTLS come up. */
  media: FakeMedia = "up";
  /** The SDP answer every new session gets. */
  answerSdp: string = EXAMPLE_ANSWER_SDP;
  readonly #held = new Map<string, (connected: boolean) => void>();
  #next = 1;

  /** Creates a fake accepting `secret`. */
  constructor(secret = "bridge-secret") {
    this.secret = secret;
  }

  /** Sessions for `callId`. */
  sessionsFor(callId: string): FakeBridgeSession[] {
    return [...this.sessions.values()].filter((s) => s.callId === callId);
  }

  /** Requests of `method` whose path starts with `prefix`. */
  requestsTo(method: string, prefix: string): FakeBridgeRequest[] {
    return this.requests.filter((r) => r.method === method && r.path.startsWith(prefix));
  }

  /** ICE and DTLS of `sessionId` come up: its held `connected` wait answers true. */
  connect(sessionId: string): void {
    this.#held.get(sessionId)?.(true);
  }

  /** Serves on 127.0.0.1 with an ephemeral port. */
  start(): Promise<{ url: string; close: () => Promise<void> }> {
    return new Promise((resolve) => {
      const server = Deno.serve({
        hostname: "127.0.0.1",
        port: 0,
        onListen: ({ port }) =>
          resolve({ url: `http://127.0.0.1:${port}`, close: () => server.shutdown() }),
      }, (req) => this.handle(req));
    });
  }

  /** Handles one request like the bridge's Hono app. */
  async handle(req: Request): Promise<Response> {
    const path = new URL(req.url).pathname;
    const text = await req.text();
    let body: unknown = text;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      // kept as text
    }
    const authorized = req.headers.get("authorization") === `Bearer ${this.secret}`;
    this.requests.push({ method: req.method, path, body, authorized });
    if (!authorized) return Response.json({ error: "unauthorized" }, { status: 401 });

    if (req.method === "POST" && path === "/sessions") return await this.#create(body);
    const call = /^\/calls\/([^/]+)$/.exec(path);
    if (req.method === "DELETE" && call) return this.#endCall(decodeURIComponent(call[1]!), body);
    const match = /^\/sessions\/([^/]+)(\/accept|\/events|\/connected)?$/.exec(path);
    const session = match ? this.sessions.get(decodeURIComponent(match[1]!)) : undefined;
    if (session === undefined) return Response.json({ error: "no such session" }, { status: 404 });
    if (req.method === "POST" && match?.[2] === "/accept") {
      if (session.state === "ended") {
        return Response.json({ error: "session has ended" }, { status: 409 });
      }
      session.state = "accepted";
      return Response.json({ sessionId: session.sessionId, state: "active" });
    }
    if (req.method === "POST" && match?.[2] === "/connected") {
      return await this.#connected(session, body);
    }
    if (req.method === "POST" && match?.[2] === "/events") {
      return Response.json({ sessionId: session.sessionId, state: session.state });
    }
    if (req.method === "DELETE" && match?.[2] === undefined) {
      session.state = "ended";
      this.#held.get(session.sessionId)?.(false);
      const reason = (body as { reason?: unknown } | undefined)?.reason;
      session.endReason = typeof reason === "string" ? reason : "hangup";
      return Response.json({
        sessionId: session.sessionId,
        state: "ended",
        reason: session.endReason,
      });
    }
    return Response.json({ error: "not found" }, { status: 404 });
  }

  /** `DELETE /calls/:callId`: ends the call's live session quietly. */
  #endCall(callId: string, body: unknown): Response {
    const session = this.sessionsFor(callId).find((s) => s.state !== "ended");
    if (session === undefined) {
      return Response.json({ error: "no session for this call" }, { status: 404 });
    }
    session.state = "ended";
    this.#held.get(session.sessionId)?.(false);
    const reason = (body as { reason?: unknown } | undefined)?.reason;
    session.endReason = typeof reason === "string" ? reason : "abandoned";
    return Response.json({ callId, outcome: "ended" });
  }

  async #connected(session: FakeBridgeSession, body: unknown): Promise<Response> {
    const parsed = WaitConnectedSchema.safeParse(body);
    if (!parsed.success) {
      return Response.json(invalidRequestBody("body", parsed.error), { status: 400 });
    }
    const { sessionId } = session;
    const connected = session.state === "ended"
      ? false
      : this.media === "held"
      ? await new Promise<boolean>((resolve) =>
        this.#held.set(sessionId, (up) => {
          this.#held.delete(sessionId);
          resolve(up);
        })
      )
      : this.media === "up";
    return Response.json({ sessionId, state: session.state, connected });
  }

  async #create(body: unknown): Promise<Response> {
    const fault = this.createFault;
    if (fault?.kind === "delay") await new Promise((r) => setTimeout(r, fault.ms));
    if (fault?.kind === "status") return Response.json(fault.body, { status: fault.status });
    if (fault?.kind === "bad_answer") return Response.json(fault.body, { status: 201 });
    const parsed = NewSessionSchema.safeParse(body);
    if (!parsed.success) {
      return Response.json(invalidRequestBody("body", parsed.error), { status: 400 });
    }
    const { callId } = parsed.data;
    const existing = this.sessionsFor(callId).find((s) => s.state !== "ended");
    if (existing) {
      return Response.json({ error: "call already has a session", sessionId: existing.sessionId }, {
        status: 409,
      });
    }
    const session: FakeBridgeSession = {
      sessionId: `sess-${this.#next++}`,
      callId,
      state: "answered",
    };
    this.sessions.set(session.sessionId, session);
    return Response.json({ sessionId: session.sessionId, sdp: this.answerSdp }, {
      status: 201,
    });
  }
}
