/**
 * werift's UDP sockets on libc, through Deno's FFI, read on the call's own
 * 20 ms media clock once media flows.
 *
 * Why: werift's own `UdpTransport` sits on `node:dgram`, costly in Deno (see
 * `deno_udp_transport.ts`), and even Deno's datagram API costs a native async
 * op per packet each way: an op dispatch, a promise, an event-loop wake-up
 * for each received datagram and an address object. At 50 calls that was the
 * largest share of the bridge's CPU after the Opus encoder. Here a send is
 * one synchronous `sendto`, and reading is a loop of `recvfrom` until the
 * socket is empty.
 *
 * Who reads a socket, and when:
 * - **The call's clock.** Once a call's media runs, `CallMedia` drains the
 *   socket of its nominated ICE pair on each 20 ms tick, just before it takes
 *   a frame from the jitter buffer. A packet that arrived since the last tick reaches the
 *   buffer before that frame is taken, as if it had been read at once, so this
 *   adds no delay to the caller's audio. STUN and RTCP wait up to 20 ms, which
 *   ICE consent and RTCP reports allow for.
 * - **The shared poller**, for every other socket: calls still setting up
 *   (ICE, DTLS), calls ringing, unused candidates, TURN legs and the test
 *   callers. One timer for
 *   the whole process runs every {@linkcode POLL_INTERVAL_MS} while any such
 *   socket exists, and makes one `poll` over all of them. A DTLS flight waits
 *   at most that long.
 *
 * Linux with glibc only (`libc.so.6`, Linux socket constants), and only with
 * FFI permission; {@linkcode installUdpTransport} falls back to
 * `DenoUdpTransport` anywhere else.
 *
 * Upstream fix: none in werift's code; an ICE option to supply the socket
 * factory would let the bridge pass this transport instead of replacing
 * `UdpTransport.init`.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { UdpTransport } from "werift";
import { type Address, DenoUdpTransport, type UdpTransportOptions } from "./deno_udp_transport.ts";
import type { UdpTransportStatics } from "./werift_internals.ts";

/** How often the shared poller reads the sockets that no media clock reads. */
export const POLL_INTERVAL_MS = 2;

/** Larger than any datagram a WebRTC peer sends (see `deno_udp_transport.ts`). */
const MAX_DATAGRAM_BYTES = 2048;

const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_DGRAM_NONBLOCK_CLOEXEC = 2 | 0o4000 | 0o2000000;
const SOL_SOCKET = 1;
const SO_RCVBUF = 8;
/**
 * Receive buffer asked for each socket. A media socket is read once per
 * 20 ms tick, so its buffer must hold a tick's datagrams: at Linux's
 * default (208 KiB, ~250 small datagrams) a flood of 12,000 forged packets a
 * second, or a short stall of the process, overflows it and the kernel drops
 * the caller's packets with the forgeries. The kernel caps the request at
 * `net.core.rmem_max` and only spends the memory while datagrams wait.
 */
const RECEIVE_BUFFER_BYTES = 1 << 20;
const EINTR = 4;
const EADDRINUSE = 98;
const ECONNREFUSED = 111;
const POLLIN = 1;
const SOCKADDR_BYTES = 28; // sockaddr_in6, the larger of the two

const SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  // ssize_t results are read as i32: their values fit, and a narrower read of the register is sound.
  sendto: { parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"], result: "i32" },
  recvfrom: { parameters: ["i32", "buffer", "usize", "i32", "buffer", "buffer"], result: "i32" },
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  inet_pton: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  inet_ntop: { parameters: ["i32", "buffer", "buffer", "u32"], result: "pointer" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** libc, or why it cannot be used here. */
function loadLibc(): { libc: Libc; errno: Deno.UnsafePointerView } | { reason: string } {
  if (Deno.build.os !== "linux") return { reason: `not Linux (${Deno.build.os})` };
  try {
    const { symbols } = Deno.dlopen("libc.so.6", SYMBOLS);
    // errno lives at a fixed address per thread; every call here runs on the main thread.
    return { libc: symbols, errno: new Deno.UnsafePointerView(symbols.__errno_location()!) };
  } catch (error) {
    return { reason: (error as Error).message };
  }
}

let loaded: ReturnType<typeof loadLibc> | undefined;

function libcOrThrow(): { libc: Libc; errno: Deno.UnsafePointerView } {
  loaded ??= loadLibc();
  if ("reason" in loaded) throw new Error(`libc UDP unavailable: ${loaded.reason}`);
  return loaded;
}

/** `size_t` arguments are BigInts: one per datagram length, made once. */
const SIZES = Array.from({ length: MAX_DATAGRAM_BYTES + 1 }, (_, i) => BigInt(i));

const encoder = new TextEncoder();
// Every read happens synchronously on one thread, so one set of buffers serves all sockets.
const readBuffer = new Uint8Array(MAX_DATAGRAM_BYTES);
const fromBuffer = new Uint8Array(SOCKADDR_BYTES);
const fromLength = new Uint32Array(1);
const fromLengthBytes = new Uint8Array(fromLength.buffer);

/** A `sockaddr_in`/`sockaddr_in6` for `host` (an IP literal of `family`), or null. */
function sockaddr(libc: Libc, family: 4 | 6, host: string, port: number): Uint8Array | null {
  const out = new Uint8Array(family === 4 ? 16 : 28);
  const view = new DataView(out.buffer);
  view.setUint16(0, family === 4 ? AF_INET : AF_INET6, true);
  view.setUint16(2, port, false);
  const text = encoder.encode(host.replace(/^\[|\]$/g, "") + "\0");
  const ok = libc.inet_pton(
    family === 4 ? AF_INET : AF_INET6,
    text,
    out.subarray(family === 4 ? 4 : 8),
  );
  return ok === 1 ? out : null;
}

/** The textual address of a `sockaddr` libc filled in. */
function hostOf(libc: Libc, addr: Uint8Array): string {
  if (addr[0] === AF_INET) return `${addr[4]}.${addr[5]}.${addr[6]}.${addr[7]}`;
  const text = new Uint8Array(46);
  libc.inet_ntop(AF_INET6, addr.subarray(8, 24), text, text.length);
  return new TextDecoder().decode(text.subarray(0, text.indexOf(0)));
}

const done = Promise.resolve();

/** A non-blocking UDP socket with the interface of werift's `UdpTransport`. */
export class LibcUdpTransport {
  /** werift tells transports apart by this tag. */
  readonly type = "udp";
  /** Set by werift: called with each datagram and its sender. */
  onData: (data: Buffer, addr: Address) => void = () => {};
  /** True once `close()` was called. */
  closed = false;
  readonly #libc: Libc;
  readonly #errno: Deno.UnsafePointerView;
  readonly #fd: number;
  readonly #family: 4 | 6;
  readonly #host: string;
  readonly #port: number;
  #owned = false;
  // Nearly every datagram of a call comes from, and goes to, one address: keep both decoded.
  #lastFrom: Address | undefined;
  #receivingFrom: Address | undefined;
  readonly #lastFromRaw = new Uint8Array(SOCKADDR_BYTES);
  #sendTo: { host: string; port: number; raw: Uint8Array } | undefined;
  readonly #resolving = new Map<string, Promise<string | undefined>>();

  private constructor(fd: number, family: 4 | 6, host: string, port: number) {
    const { libc, errno } = libcOrThrow();
    this.#libc = libc;
    this.#errno = errno;
    this.#fd = fd;
    this.#family = family;
    this.#host = host;
    this.#port = port;
    poller.add(this);
  }

  /** True when libc sockets work in this process (Linux, glibc, FFI allowed). */
  static get available(): boolean {
    loaded ??= loadLibc();
    return !("reason" in loaded);
  }

  /** Binds a socket as werift's `UdpTransport.init` does. */
  static init(type: "udp4" | "udp6", options: UdpTransportOptions = {}): Promise<LibcUdpTransport> {
    try {
      const { libc, errno } = libcOrThrow();
      const family = type === "udp6" ? 6 : 4;
      const host = options.interfaceAddresses?.[type] ?? (family === 6 ? "::" : "0.0.0.0");
      const fd = libc.socket(family === 4 ? AF_INET : AF_INET6, SOCK_DGRAM_NONBLOCK_CLOEXEC, 0);
      if (fd < 0) throw new Error(`socket() failed, errno ${errno.getInt32()}`);
      // Best effort: a smaller buffer is what every socket had before.
      libc.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, Int32Array.of(RECEIVE_BUFFER_BYTES), 4);
      try {
        const port = bind(libc, errno, fd, family, host, options);
        return Promise.resolve(new LibcUdpTransport(fd, family, host, port));
      } catch (error) {
        libc.close(fd);
        throw error;
      }
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The bound address, as `node:dgram`'s `socket.address()` gives it. */
  get address(): { address: string; port: number; family: string } {
    return { address: this.#host, port: this.#port, family: this.#family === 6 ? "IPv6" : "IPv4" };
  }

  /** IP family of the socket: 4 or 6. */
  get addressFamily(): 4 | 6 {
    return this.#family;
  }

  /** Bound port. */
  get port(): number {
    return this.#port;
  }

  /**
   * Sends one datagram to `addr`, or to the last sender when absent; a
   * hostname is resolved first. Like `node:dgram` without a callback, a
   * failed send is dropped: UDP gives no delivery guarantee to report anyway.
   */
  send = (data: Uint8Array, addr?: Address): Promise<void> => {
    const to = addr ?? this.#lastFrom;
    if (this.closed || !to) return done;
    let target = this.#sendTo;
    if (!target || target.host !== to[0] || target.port !== to[1]) {
      const raw = sockaddr(this.#libc, this.#family, to[0], to[1]);
      if (!raw) return this.#sendToHostname(data, to);
      target = this.#sendTo = { host: to[0], port: to[1], raw };
    }
    const size = SIZES[data.byteLength] ?? BigInt(data.byteLength);
    this.#libc.sendto(this.#fd, data, size, 0, target.raw, target.raw.byteLength);
    return done;
  };

  /**
   * Whether the socket's owner reads it (with {@linkcode drain}, on its media
   * clock) instead of the shared poller.
   */
  set ownerReads(on: boolean) {
    if (this.closed || on === this.#owned) return;
    this.#owned = on;
    if (on) poller.delete(this);
    else poller.add(this);
  }

  /** Reads every datagram waiting on the socket and hands each to `onData`; returns how many. */
  drain(): number {
    let count = 0;
    while (!this.closed) {
      fromLength[0] = SOCKADDR_BYTES;
      const n = this.#libc.recvfrom(
        this.#fd,
        readBuffer,
        SIZES[MAX_DATAGRAM_BYTES]!,
        0,
        fromBuffer,
        fromLengthBytes,
      );
      if (n < 0) {
        const errno = this.#errno.getInt32();
        // An ICMP error for an earlier send, or a signal: the next datagram may be there.
        if (errno === ECONNREFUSED || errno === EINTR) continue;
        return count; // EAGAIN: the socket is empty
      }
      count++;
      // werift keeps packets (STUN attributes, DTLS flights) beyond this call.
      const data = Buffer.allocUnsafe(n);
      data.set(readBuffer.subarray(0, n));
      const from = this.#from();
      // A nested drain (a handler that reads this socket) restores the outer sender after it.
      const outer = this.#receivingFrom;
      this.#receivingFrom = from;
      try {
        this.onData(data, from);
      } catch {
        // One bad packet must not stop this socket's other packets.
      } finally {
        this.#receivingFrom = outer;
      }
    }
    return count;
  }

  /** Closes the socket; the port is free when the returned promise resolves. Idempotent. */
  close = (): Promise<void> => {
    if (!this.closed) {
      this.closed = true;
      poller.delete(this);
      this.#libc.close(this.#fd);
    }
    return done;
  };

  /**
   * The sender of the datagram `onData` is handling right now; undefined
   * outside that call. werift's ICE drops the sender of every non-STUN
   * datagram, so the media fast path reads it here to keep only the
   * nominated pair's media. While the sender stays the same, so does the
   * object: a reader may compare by identity.
   */
  get receivingFrom(): Address | undefined {
    return this.#receivingFrom;
  }

  /** The fd, for the shared poller. */
  get fd(): number {
    return this.#fd;
  }

  #from(): Address {
    const size = this.#family === 4 ? 8 : 24;
    const last = this.#lastFromRaw;
    let same = this.#lastFrom !== undefined;
    for (let i = 0; same && i < size; i++) same = last[i] === fromBuffer[i];
    if (!same) {
      last.set(fromBuffer.subarray(0, size));
      this.#lastFrom = [hostOf(this.#libc, fromBuffer), (fromBuffer[2]! << 8) | fromBuffer[3]!];
    }
    return this.#lastFrom!;
  }

  async #sendToHostname(data: Uint8Array, to: Address): Promise<void> {
    let resolving = this.#resolving.get(to[0]);
    if (!resolving) {
      resolving = Deno.resolveDns(to[0], this.#family === 4 ? "A" : "AAAA").then(
        (ips) => ips[0],
        () => undefined,
      );
      this.#resolving.set(to[0], resolving);
    }
    const ip = await resolving;
    if (ip && sockaddr(this.#libc, this.#family, ip, to[1])) await this.send(data, [ip, to[1]]);
  }
}

function bind(
  libc: Libc,
  errno: Deno.UnsafePointerView,
  fd: number,
  family: 4 | 6,
  host: string,
  options: UdpTransportOptions,
): number {
  const tryPort = (port: number): boolean => {
    const addr = sockaddr(libc, family, host, port);
    if (!addr) throw new Error(`cannot bind UDP to ${host}: not an IPv${family} address`);
    if (libc.bind(fd, addr, addr.byteLength) === 0) return true;
    const code = errno.getInt32();
    if (code === EADDRINUSE) return false;
    throw new Error(`bind(${host}:${port}) failed, errno ${code}`);
  };
  const [min, max] = options.port ? [options.port, options.port] : options.portRange ?? [0, 0];
  for (let port = min; port <= max; port++) {
    if (!tryPort(port)) continue;
    const addr = new Uint8Array(SOCKADDR_BYTES);
    const length = Uint32Array.of(SOCKADDR_BYTES);
    libc.getsockname(fd, addr, new Uint8Array(length.buffer));
    return (addr[2]! << 8) | addr[3]!;
  }
  if (min === max) throw new Deno.errors.AddrInUse(`UDP port ${min} is in use`);
  throw new Error(`no free UDP port in ${min}-${max}`);
}

/** The process-wide poller of sockets no media clock reads; see the module doc. */
class Poller {
  #sockets: LibcUdpTransport[] = [];
  #fds = new Uint8Array(0);
  #count = 0n;
  #timer: ReturnType<typeof setInterval> | undefined;

  add(socket: LibcUdpTransport): void {
    this.#sockets.push(socket);
    this.#rebuild();
  }

  delete(socket: LibcUdpTransport): void {
    const i = this.#sockets.indexOf(socket);
    if (i < 0) return;
    this.#sockets.splice(i, 1);
    this.#rebuild();
  }

  #rebuild(): void {
    // struct pollfd { int fd; short events; short revents; }
    this.#fds = new Uint8Array(this.#sockets.length * 8);
    this.#count = BigInt(this.#sockets.length);
    const view = new DataView(this.#fds.buffer);
    this.#sockets.forEach((s, i) => {
      view.setInt32(i * 8, s.fd, true);
      view.setInt16(i * 8 + 4, POLLIN, true);
    });
    if (this.#sockets.length > 0) {
      this.#timer ??= setInterval(() => this.#poll(), POLL_INTERVAL_MS);
    } else if (this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  #poll(): void {
    const { libc } = libcOrThrow();
    const fds = this.#fds;
    if (libc.poll(fds, this.#count, 0) <= 0) return;
    // Draining can close or hand over sockets, which rebuilds the list: walk a snapshot.
    const sockets = this.#sockets.slice();
    sockets.forEach((socket, i) => {
      if (fds[i * 8 + 6] !== 0) socket.drain();
    });
  }
}

const poller = new Poller();

/** The transport this process gives werift: libc where it works, Deno's own elsewhere. */
export function udpTransportKind(): "libc" | "deno" {
  return LibcUdpTransport.available ? "libc" : "deno";
}

/**
 * Makes every werift UDP socket the transport {@linkcode udpTransportKind}
 * names. Installed once, by `installWeriftPatches()`.
 */
export function installUdpTransport(): void {
  (UdpTransport as UdpTransportStatics).init = udpTransportKind() === "libc"
    ? LibcUdpTransport.init
    : DenoUdpTransport.init;
}
