/**
 * Free ports and this host's address, for servers a test or bench starts.
 *
 * @module
 */

/** A TCP port nothing listens on right now on `hostname` (the OS picks it). */
export function freePort(hostname = "127.0.0.1"): number {
  const listener = Deno.listen({ hostname, port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/**
 * The first non-loopback IPv4 address of this host, or undefined: an SDP
 * answer never announces loopback candidates, so a relay must sit on a real
 * interface. (A function: importing this module needs no `--allow-sys`.)
 */
export function hostIp(): string | undefined {
  return Deno.networkInterfaces().find((i) => i.family === "IPv4" && !i.address.startsWith("127."))
    ?.address;
}
