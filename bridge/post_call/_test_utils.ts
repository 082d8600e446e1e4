/**
 * Test helpers of the post-call folder: a webhook receiver on loopback that
 * checks each request's signature with the official `standardwebhooks`
 * library, and a settable clock.
 *
 * @module
 */
import { Webhook } from "standardwebhooks";
import { freePort } from "../../tests/support/net.ts";

/** One request the receiver got. */
export interface Received {
  id: string;
  timestamp: number;
  signature: string;
  body: string;
  /** The library's signature over (id, timestamp, body) is among those sent. */
  signed: boolean;
  path: string;
}

/** What the receiver answers: a status, or `"hang"` (no answer until the receiver closes). */
export type Answer = number | "hang";

/** A receiver on 127.0.0.1 that can be down (nothing listening) and brought up on the same port. */
export class Receiver {
  readonly port = freePort();
  readonly received: Received[] = [];
  /** The answer to the next requests, in order; the last one repeats. */
  answers: Answer[] = [200];
  #server: Deno.HttpServer | undefined;
  #hung = new Set<() => void>();
  #wh: Webhook;

  /** A receiver for `secret`, down until {@linkcode up}. */
  constructor(secret: string) {
    this.#wh = new Webhook(secret);
  }

  /** The URL, with a path that stands for a receiver's own token. */
  url(path = "/hooks/call"): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Starts listening. */
  up(): this {
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: this.port, onListen: () => {} },
      (req) => this.#handle(req),
    );
    return this;
  }

  /** Stops listening (and answers any hung request with 503 first). */
  async down(): Promise<void> {
    for (const release of this.#hung) release();
    this.#hung.clear();
    await this.#server?.shutdown();
    this.#server = undefined;
  }

  /** Answers every hung request with 200. */
  releaseHung(): void {
    for (const release of this.#hung) release();
    this.#hung.clear();
  }

  /** Webhook ids received, in order. */
  ids(): string[] {
    return this.received.map((r) => r.id);
  }

  async #handle(req: Request): Promise<Response> {
    const body = await req.text();
    const id = req.headers.get("webhook-id") ?? "";
    const timestamp = Number(req.headers.get("webhook-timestamp"));
    const signature = req.headers.get("webhook-signature") ?? "";
    // The library's own signature for these values; verify() would also check the
    // timestamp against the real clock, which the schedule tests move by hours.
    const expected = this.#wh.sign(id, new Date(timestamp * 1000), body);
    const signed = signature.split(" ").includes(expected);
    this.received.push({ id, timestamp, signature, body, signed, path: new URL(req.url).pathname });
    const answer = this.answers.length > 1 ? this.answers.shift()! : this.answers[0]!;
    if (answer === "hang") {
      await new Promise<void>((resolve) => this.#hung.add(resolve));
      return new Response("late", { status: 200 });
    }
    return new Response(null, { status: answer });
  }
}

/** A wall clock the test sets. */
export class TestClock {
  /** Starts at the real time, so signatures also pass the library's 5-minute check at first. */
  ms = Date.now();
  /** For `now` options. */
  now = (): number => this.ms;
  /** Moves forward. */
  advance(ms: number): void {
    this.ms += ms;
  }
}
