/**
 * werift's UDP sockets on Deno's own datagram API instead of `node:dgram`.
 *
 * Every RTP, RTCP, STUN and DTLS packet of a call passes through werift's
 * `UdpTransport`, which is built on `node:dgram`. Deno 2.9 implements that
 * module in JavaScript over its native datagram ops, adding per packet an
 * event emission, `Buffer` wrapping, an address lookup deferred to the next
 * tick, regular expressions to classify addresses and a `Buffer.concat` per
 * send; it also receives each datagram into a fresh buffer of the socket's
 * receive-buffer size (64 KiB by default). On this project's 2-core machine a
 * send plus a receive cost 39–57 µs through `node:dgram` and 12–17 µs through
 * `Deno.listenDatagram`, and the layer made about a quarter of the bridge's
 * garbage under load, whose collections delay the media clock.
 *
 * {@linkcode DenoUdpTransport} offers the members of werift's `UdpTransport`
 * that werift uses. It needs Deno's `net` unstable API, which `deno.json`
 * enables. Where libc sockets work, `installUdpTransport()` (in
 * `libc_udp_transport.ts`) installs the cheaper libc transport instead.
 *
 * @module
 */
import { Buffer } from "node:buffer";

/** werift's transport address: host and port. */
export type Address = [string, number];

/** The subset of werift's `UdpTransport` options the bridge can set. */
export interface UdpTransportOptions {
  /** Bind exactly this port. */
  port?: number;
  /** Bind the first free port in `[min, max]`. */
  portRange?: [number, number];
  /** Bind address per socket type, e.g. `{ udp4: "10.0.0.5" }`; all interfaces when absent. */
  interfaceAddresses?: { udp4?: string; udp6?: string };
}

/**
 * Larger than any datagram a WebRTC peer sends (they stay under the path MTU,
 * RFC 8261 §5); a larger one would be truncated and fail its integrity check.
 */
const MAX_DATAGRAM_BYTES = 2048;

// Shared, so a send allocates no closures.
const ignore = (): void => {};

/** A UDP socket with the interface of werift's `UdpTransport`. */
export class DenoUdpTransport {
  /** werift tells transports apart by this tag. */
  readonly type = "udp";
  /** Set by werift: called with each datagram and its sender. */
  onData: (data: Buffer, addr: Address) => void = () => {};
  /** True once `close()` was called. */
  closed = false;
  #conn: Deno.DatagramConn;
  #family: 4 | 6;
  #lastFrom: Address | undefined;
  #receivingFrom: Address | undefined;
  #receiving: Promise<void>;
  // Nearly every send of a call goes to one address: reuse its object.
  #sendTo: Deno.NetAddr | undefined;

  private constructor(conn: Deno.DatagramConn, family: 4 | 6) {
    this.#conn = conn;
    this.#family = family;
    this.#receiving = this.#receive();
  }

  /** Binds a socket as werift's `UdpTransport.init` does. */
  static init(
    type: "udp4" | "udp6",
    options: UdpTransportOptions = {},
  ): Promise<DenoUdpTransport> {
    const hostname = options.interfaceAddresses?.[type] ?? (type === "udp6" ? "::" : "0.0.0.0");
    const family = type === "udp6" ? 6 : 4;
    try {
      return Promise.resolve(new DenoUdpTransport(bind(hostname, options), family));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The bound address, as `node:dgram`'s `socket.address()` gives it. */
  get address(): { address: string; port: number; family: string } {
    const { hostname, port } = this.#conn.addr as Deno.NetAddr;
    return { address: hostname, port, family: this.#family === 6 ? "IPv6" : "IPv4" };
  }

  /** IP family of the socket: 4 or 6. */
  get addressFamily(): 4 | 6 {
    return this.#family;
  }

  /** Bound port. */
  get port(): number {
    return this.address.port;
  }

  /**
   * The sender of the datagram `onData` is handling right now; undefined
   * outside that call (see `LibcUdpTransport.receivingFrom`). While the
   * sender stays the same, so does the object.
   */
  get receivingFrom(): Address | undefined {
    return this.#receivingFrom;
  }

  /**
   * Sends one datagram to `addr` (hostnames are resolved), or to the last
   * sender when absent. Like `node:dgram` without a callback, a failed send
   * is dropped: UDP gives no delivery guarantee to report anyway.
   */
  send = (data: Uint8Array, addr?: Address): Promise<void> => {
    const to = addr ?? this.#lastFrom;
    if (this.closed || !to) return Promise.resolve();
    let target = this.#sendTo;
    if (!target || target.hostname !== to[0] || target.port !== to[1]) {
      target = this.#sendTo = { transport: "udp", hostname: to[0], port: to[1] };
    }
    return this.#conn.send(data, target).then(ignore, ignore);
  };

  /**
   * Closes the socket. Resolves once its pending receive has ended, which is
   * when the port is actually free again. Idempotent.
   */
  close = (): Promise<void> => {
    if (!this.closed) {
      this.closed = true;
      this.#conn.close();
    }
    return this.#receiving;
  };

  async #receive(): Promise<void> {
    const buf = new Uint8Array(MAX_DATAGRAM_BYTES);
    while (!this.closed) {
      let received: [Uint8Array, Deno.Addr];
      try {
        received = await this.#conn.receive(buf);
      } catch (error) {
        if (this.closed || error instanceof Deno.errors.BadResource) return;
        // A transient error (e.g. an ICMP report) that loses no datagram.
        continue;
      }
      const [view, from] = received;
      // werift keeps packets (STUN attributes, DTLS flights) beyond this call,
      // so each gets its own copy of the shared receive buffer.
      const data = Buffer.allocUnsafe(view.byteLength);
      data.set(view);
      const { hostname, port } = from as Deno.NetAddr;
      const last = this.#lastFrom;
      const addr: Address = last?.[0] === hostname && last[1] === port ? last : [hostname, port];
      this.#lastFrom = addr;
      this.#receivingFrom = addr;
      try {
        this.onData(data, addr);
      } catch {
        // One bad packet must not stop this socket's other packets.
      } finally {
        this.#receivingFrom = undefined;
      }
    }
  }
}

function bind(hostname: string, options: UdpTransportOptions): Deno.DatagramConn {
  const listen = (port: number) => Deno.listenDatagram({ transport: "udp", hostname, port });
  if (options.port) return listen(options.port);
  if (!options.portRange) return listen(0);
  const [min, max] = options.portRange;
  for (let port = min; port <= max; port++) {
    try {
      return listen(port);
    } catch (error) {
      if (!(error instanceof Deno.errors.AddrInUse)) throw error;
    }
  }
  throw new Error(`no free UDP port in ${min}-${max}`);
}
