/**
 * A fake voice bridge speaking the session API of `bridge/http/app.ts`, on
 * real loopback HTTP: it answers every offer at once with a WhatsApp-shaped
 * SDP answer (the fake Graph's {@link EXAMPLE_ANSWER_SDP}), and can be told to
 * be full, slow or broken. Every request is recorded.
 *
 * @module
 */

import { EXAMPLE_ANSWER_SDP } from "../../simulator/meta_graph.ts";

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

/** The fake bridge. */
export class FakeBridge {
  /** Bearer secret it accepts. */
  readonly secret: string;
  readonly requests: FakeBridgeRequest[] = [];
  readonly sessions = new Map<string, FakeBridgeSession>();
  /** Applied to every `POST /sessions` while set. */
  createFault: CreateFault | undefined;
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
    const match = /^\/sessions\/([^/]+)(\/accept|\/events)?$/.exec(path);
    const session = match ? this.sessions.get(decodeURIComponent(match[1]!)) : undefined;
    if (session === undefined) return Response.json({ error: "no such session" }, { status: 404 });
    if (req.method === "POST" && match?.[2] === "/accept") {
      if (session.state === "ended") {
        return Response.json({ error: "session has ended" }, { status: 409 });
      }
      session.state = "accepted";
      return Response.json({ sessionId: session.sessionId, state: "active" });
    }
    if (req.method === "POST" && match?.[2] === "/events") {
      return Response.json({ sessionId: session.sessionId, state: session.state });
    }
    if (req.method === "DELETE" && match?.[2] === undefined) {
      session.state = "ended";
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

  async #create(body: unknown): Promise<Response> {
    const fault = this.createFault;
    if (fault?.kind === "delay") await new Promise((r) => setTimeout(r, fault.ms));
    if (fault?.kind === "status") return Response.json(fault.body, { status: fault.status });
    if (fault?.kind === "bad_answer") return Response.json(fault.body, { status: 201 });
    const callId = (body as { callId?: unknown } | undefined)?.callId;
    const sdp = (body as { sdp?: unknown } | undefined)?.sdp;
    if (typeof callId !== "string" || typeof sdp !== "string") {
      return Response.json({ error: "invalid body" }, { status: 400 });
    }
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
    return Response.json({ sessionId: session.sessionId, sdp: EXAMPLE_ANSWER_SDP }, {
      status: 201,
    });
  }
}
