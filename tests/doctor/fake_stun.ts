/**
 * A scripted STUN server on loopback for the probe's unit tests: answers
 * Binding requests with a mapped address of the test's choosing (to play a
 * NAT), after dropping the first `drop` requests (to prove retransmission).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { classes, Message, methods, parseMessage } from "werift";

/** A running fake. */
export interface FakeStun {
  port: number;
  /** Binding requests received (dropped ones included). */
  requests: number;
  close(): void;
}

/** Options of {@linkcode startFakeStun}. */
export interface FakeStunOptions {
  hostname?: string;
  /** Requests ignored before the first answer. @default 0 */
  drop?: number;
  /** The mapped address to report for a source; default the source itself. */
  mapped?: (from: Deno.NetAddr) => [string, number];
  /** Answer with an error response instead (code, reason). */
  error?: [number, string];
  /** Send a stray answer (another transaction id) before the real one. */
  stray?: boolean;
}

/** Starts the fake on `hostname` (default 127.0.0.1), any port. */
export function startFakeStun(options: FakeStunOptions = {}): FakeStun {
  const socket = Deno.listenDatagram({
    transport: "udp",
    hostname: options.hostname ?? "127.0.0.1",
    port: 0,
  });
  const state: FakeStun = {
    port: (socket.addr as Deno.NetAddr).port,
    requests: 0,
    close: () => socket.close(),
  };
  (async () => {
    for await (const [data, addr] of socket) {
      const request = parseMessage(Buffer.from(data));
      if (!request || request.messageClass !== classes.REQUEST) continue;
      state.requests++;
      if (state.requests <= (options.drop ?? 0)) continue;
      const from = addr as Deno.NetAddr;
      if (options.stray) {
        const stray = new Message(methods.BINDING, classes.RESPONSE);
        stray.setAttribute("XOR-MAPPED-ADDRESS", ["192.0.2.66", 6666]);
        await socket.send(stray.bytes, from);
      }
      const answer = new Message(
        methods.BINDING,
        options.error ? classes.ERROR : classes.RESPONSE,
        request.transactionId,
      );
      if (options.error) answer.setAttribute("ERROR-CODE", options.error);
      else {
        answer.setAttribute(
          "XOR-MAPPED-ADDRESS",
          options.mapped?.(from) ?? [from.hostname, from.port],
        );
      }
      await socket.send(answer.bytes, from);
    }
  })().catch(() => {});
  return state;
}
