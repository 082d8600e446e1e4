/**
 * A bare Realtime client for the fake service's own tests: raw JSON events
 * over a real WebSocket, with waits on what the server sent.
 *
 * @module
 */
import { int16ToBase64 } from "../../lib/audio/pcm.ts";
import type { FakeRealtimeServer } from "./openai_realtime.ts";

/** A JSON object. */
export type Json = Record<string, unknown>;

/** One client socket. */
export interface Client {
  ws: WebSocket;
  /** Every server event received, in order. */
  events: Json[];
  /** The first server event of `type` matching `pred`, past or future; rejects after `timeoutMs`. */
  next(type: string, pred?: (e: Json) => boolean, timeoutMs?: number): Promise<Json>;
  send(e: Json): void;
  closed: Promise<CloseEvent>;
  error: Promise<string>;
}

/** Opens a socket to `fake` with its key (and `headers`). */
export function connect(fake: FakeRealtimeServer, headers: Record<string, string> = {}): Client {
  const init = { headers: { Authorization: `Bearer ${fake.apiKey}`, ...headers } };
  const ws = new WebSocket(`${fake.url}?model=gpt-realtime-2.1`, init as unknown as string[]);
  const events: Json[] = [];
  const waiters: { type: string; pred: (e: Json) => boolean; resolve: (e: Json) => void }[] = [];
  ws.addEventListener("message", (m) => {
    const e = JSON.parse(String(m.data)) as Json;
    events.push(e);
    for (const w of [...waiters]) {
      if (w.type === e.type && w.pred(e)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(e);
      }
    }
  });
  return {
    ws,
    events,
    next(type, pred = () => true, timeoutMs = 3000) {
      const seen = events.find((e) => e.type === type && pred(e));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`no ${type} in ${timeoutMs} ms; got ${events.map((e) => e.type)}`));
        }, timeoutMs);
        const waiter = {
          type,
          pred,
          resolve: (e: Json) => {
            clearTimeout(timer);
            resolve(e);
          },
        };
        waiters.push(waiter);
      });
    },
    send(e) {
      ws.send(JSON.stringify(e));
    },
    closed: new Promise((r) => ws.addEventListener("close", (e) => r(e))),
    error: new Promise((r) => ws.addEventListener("error", (e) => r((e as ErrorEvent).message))),
  };
}

/** A GA session as the bridge configures it (server VAD, PCM both ways). */
export const GA_SESSION = {
  type: "realtime",
  audio: {
    input: {
      format: { type: "audio/pcm", rate: 24000 },
      transcription: { model: "gpt-4o-mini-transcribe" },
      turn_detection: {
        type: "server_vad",
        prefix_padding_ms: 300,
        silence_duration_ms: 500,
        create_response: true,
        interrupt_response: true,
      },
    },
    output: { format: { type: "audio/pcm", rate: 24000 }, voice: "marin" },
  },
};

/** A connected client whose `session` (default {@linkcode GA_SESSION}) was accepted. */
export async function session(
  fake: FakeRealtimeServer,
  config: Json = GA_SESSION,
): Promise<Client> {
  const c = connect(fake);
  await c.next("session.created");
  c.send({ type: "session.update", session: config });
  await c.next("session.updated");
  return c;
}

/** Appends `pcm` in 40 ms events. */
export function appendAll(c: Client, pcm: Int16Array): void {
  for (let i = 0; i < pcm.length; i += 960) {
    c.send({ type: "input_audio_buffer.append", audio: int16ToBase64(pcm.subarray(i, i + 960)) });
  }
}

/** `ms` of silence at 24 kHz. */
export const silence = (ms: number): Int16Array => new Int16Array(ms * 24);

/** Closes the clients, then the fake. */
export async function finish(fake: FakeRealtimeServer, ...clients: Client[]): Promise<void> {
  for (const c of clients) if (c.ws.readyState !== WebSocket.CLOSED) c.ws.close();
  await Promise.all(clients.map((c) => c.closed));
  await fake.close();
}
