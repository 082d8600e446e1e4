/**
 * STUN Binding over UDP (RFC 8489): what public address a server sees for a
 * local socket. Used by `deno task doctor` and the start-up `BRIDGE_NETWORK`
 * line only; calls never use it (the bridge gathers host candidates and
 * announces `PUBLIC_IP`).
 *
 * Messages are encoded and parsed with werift's own STUN `Message` (the code
 * its ICE agent uses), so this file holds only the transaction logic:
 * retransmission, matching by transaction id, and a bounded wait.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { classes, Message, methods, parseMessage } from "werift";

/** A STUN server as configured: `host:port`. */
export interface StunServer {
  host: string;
  port: number;
}

/** An IPv4 address and port. */
export interface Endpoint {
  host: string;
  port: number;
}

/**
 * `STUN_SERVERS`' default: two public servers run by different operators on
 * different addresses, so the NAT mapping test compares two destinations.
 */
export const DEFAULT_STUN_SERVERS = "stun.l.google.com:19302,stun.cloudflare.com:3478";

/** `host:port`, e.g. `stun.l.google.com:19302`. */
export function formatServer(server: StunServer): string {
  return `${server.host}:${server.port}`;
}

/**
 * Parses `STUN_SERVERS` (comma-separated `host:port`; `none` asks no server,
 * for hosts and load tests that must send nothing off the machine); throws
 * naming the bad entry.
 */
export function parseStunServers(text: string | undefined): StunServer[] {
  if (text?.trim() === "none") return [];
  const source = text === undefined || text.trim() === "" ? DEFAULT_STUN_SERVERS : text;
  return source.split(",").map((s) => s.trim()).filter((s) => s !== "").map((entry) => {
    const match = /^([A-Za-z0-9.-]+):(\d{1,5})$/.exec(entry);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65535) {
      throw new Error(`STUN_SERVERS: "${entry}" is not host:port`);
    }
    return { host: match[1]!, port };
  });
}

/** A Binding request and the transaction id its answer must carry. */
export function encodeBindingRequest(): { bytes: Uint8Array; transactionId: Uint8Array } {
  const message = new Message(methods.BINDING, classes.REQUEST);
  return { bytes: new Uint8Array(message.bytes), transactionId: message.transactionId };
}

/** What one datagram said about a transaction. */
export type BindingAnswer =
  | { kind: "mapped"; mapped: Endpoint }
  | { kind: "error"; code: number; reason: string };

/**
 * The Binding answer in `bytes` and the transaction id (hex) it answers, or
 * undefined when the datagram is no STUN Binding answer (stray traffic is ignored).
 */
export function decodeBindingAnswer(
  bytes: Uint8Array,
): { transactionId: string; answer: BindingAnswer } | undefined {
  const message = parseMessage(Buffer.from(bytes));
  if (!message || message.messageMethod !== methods.BINDING) return undefined;
  const transactionId = message.transactionIdHex;
  if (message.messageClass === classes.ERROR) {
    const [code, reason] = message.getAttributeValue("ERROR-CODE") as [number, string] ??
      [0, "no ERROR-CODE"];
    return { transactionId, answer: { kind: "error", code, reason } };
  }
  if (message.messageClass !== classes.RESPONSE) return undefined;
  // RFC 8489 servers send XOR-MAPPED-ADDRESS; RFC 3489 ones only MAPPED-ADDRESS.
  const address = (message.getAttributeValue("XOR-MAPPED-ADDRESS") ??
    message.getAttributeValue("MAPPED-ADDRESS")) as [string, number] | undefined;
  const answer: BindingAnswer = address
    ? { kind: "mapped", mapped: { host: address[0], port: address[1] } }
    : { kind: "error", code: 0, reason: "answer without a mapped address" };
  return { transactionId, answer };
}

/** Why a Binding got no mapped address. */
export type StunFailureCause = "dns" | "unreachable" | "timeout" | "error";

/** The outcome of one Binding transaction. */
export type StunResult =
  | { ok: true; server: string; address: string; mapped: Endpoint; local: Endpoint; ms: number }
  | { ok: false; server: string; cause: StunFailureCause; message: string; ms: number };

/** Bounds of one transaction. */
export interface BindingOptions {
  /** Give up after this long in all. */
  timeoutMs: number;
  /** First retransmission timeout, doubled after each send (RFC 8489 §6.2.1). @default 500 */
  rtoMs?: number;
  /** Resolves a host name to IPv4 addresses. @default Deno.resolveDns "A" */
  resolve?: (host: string, signal: AbortSignal) => Promise<string[]>;
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

const defaultResolve = (host: string, signal: AbortSignal) =>
  Deno.resolveDns(host, "A", { signal });

/**
 * One UDP socket running STUN transactions: answers are matched to requests
 * by transaction id, so several servers can be asked from the same local
 * port (what the NAT mapping test needs).
 */
export class StunClient {
  readonly #socket: Deno.DatagramConn;
  readonly #pending = new Map<string, (answer: BindingAnswer) => void>();
  #closed = false;

  /** Wraps an open socket; {@linkcode StunClient.open} makes one. */
  constructor(socket: Deno.DatagramConn) {
    this.#socket = socket;
    void this.#receive();
  }

  /** A client on a fresh socket (`0.0.0.0`, any port unless given). */
  static open(hostname = "0.0.0.0", port = 0): StunClient {
    return new StunClient(Deno.listenDatagram({ transport: "udp", hostname, port }));
  }

  /** The socket's local address. */
  get local(): Endpoint {
    const addr = this.#socket.addr as Deno.NetAddr;
    return { host: addr.hostname, port: addr.port };
  }

  /** Asks `server` for this socket's mapped address, within `options.timeoutMs`. */
  async binding(server: StunServer, options: BindingOptions): Promise<StunResult> {
    const started = performance.now();
    const label = formatServer(server);
    const ms = () => Math.round(performance.now() - started);
    const fail = (cause: StunFailureCause, message: string): StunResult => ({
      ok: false,
      server: label,
      cause,
      message,
      ms: ms(),
    });
    const deadline = AbortSignal.timeout(options.timeoutMs);
    let address = server.host;
    if (!IPV4.test(server.host)) {
      try {
        const found = await (options.resolve ?? defaultResolve)(server.host, deadline);
        if (found[0] === undefined) return fail("dns", `${server.host} has no IPv4 address`);
        address = found[0];
      } catch (error) {
        return deadline.aborted
          ? fail("timeout", `no DNS answer for ${server.host} in ${options.timeoutMs} ms`)
          : fail(classify(error) === "unreachable" ? "unreachable" : "dns", describe(error));
      }
    }
    const { bytes, transactionId } = encodeBindingRequest();
    const key = Buffer.from(transactionId).toString("hex");
    const answered = new Promise<BindingAnswer>((resolve) => this.#pending.set(key, resolve));
    let rto = options.rtoMs ?? 500;
    try {
      while (!deadline.aborted) {
        await this.#socket.send(bytes, { transport: "udp", hostname: address, port: server.port });
        const answer = await Promise.race([answered, wait(rto, deadline)]);
        if (answer) {
          if (answer.kind === "error") {
            return fail("error", `STUN error ${answer.code} ${answer.reason}`.trim());
          }
          return {
            ok: true,
            server: label,
            address,
            mapped: answer.mapped,
            local: this.local,
            ms: ms(),
          };
        }
        rto *= 2;
      }
      return fail("timeout", `no answer from ${label} (${address}) in ${options.timeoutMs} ms`);
    } catch (error) {
      return fail(classify(error), describe(error));
    } finally {
      this.#pending.delete(key);
    }
  }

  /** Closes the socket; pending transactions end at their timeout. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.close();
  }

  async #receive(): Promise<void> {
    while (!this.#closed) {
      let data: Uint8Array;
      try {
        [data] = await this.#socket.receive();
      } catch (error) {
        // An ICMP error surfaced on the socket: the sender's timeout reports it. Closed: done.
        if (this.#closed || error instanceof Deno.errors.BadResource) return;
        continue;
      }
      const decoded = decodeBindingAnswer(data);
      if (decoded) this.#pending.get(decoded.transactionId)?.(decoded.answer);
    }
  }
}

/** One Binding from a socket of its own, closed afterwards. */
export async function probeStun(server: StunServer, options: BindingOptions): Promise<StunResult> {
  let client: StunClient;
  try {
    client = StunClient.open();
  } catch (error) {
    return {
      ok: false,
      server: formatServer(server),
      cause: "error",
      message: describe(error),
      ms: 0,
    };
  }
  try {
    return await client.binding(server, options);
  } finally {
    client.close();
  }
}

/** Resolves after `ms` with undefined, or at once when `signal` aborts. */
function wait(ms: number, signal: AbortSignal): Promise<undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve(undefined);
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

function classify(error: unknown): StunFailureCause {
  const text = describe(error);
  return /unreachable|no route|os error (101|113)/i.test(text) ? "unreachable" : "error";
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
