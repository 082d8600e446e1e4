/**
 * A real coturn (`turnserver`) for the doctor's tests: STUN and TURN on the
 * addresses given, long-term credentials `bridge:secret`, ready once it
 * answers a STUN Binding.
 *
 * @module
 */
import { probeStun } from "../../bridge/network/stun_probe.ts";

/** True when `cmd` is on PATH. */
export function which(cmd: string): boolean {
  try {
    return new Deno.Command("which", { args: [cmd], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}

/** True when running as root (namespaces need it). */
export const isRoot = Deno.uid() === 0;

/** A running coturn. */
export interface Coturn {
  port: number;
  stop(): Promise<void>;
}

/** The user coturn accepts. */
export const TURN_USER = { username: "bridge", credential: "secret-turn-pass" };

/** A UDP and TCP port free on `hostname` right now. */
export function freeUdpPort(hostname = "127.0.0.1"): number {
  const udp = Deno.listenDatagram({ transport: "udp", hostname, port: 0 });
  const port = (udp.addr as Deno.NetAddr).port;
  udp.close();
  return port;
}

/** coturn's arguments: STUN and TURN on `ips` at `port`, user {@linkcode TURN_USER}, no TLS. */
export function coturnArgs(ips: readonly string[], port: number, relayIp = ips[0]): string[] {
  return [
    "-n",
    "--no-cli",
    "--no-tls",
    "--no-dtls",
    "--lt-cred-mech",
    "--realm=doctor",
    `--user=${TURN_USER.username}:${TURN_USER.credential}`,
    ...ips.map((ip) => `--listening-ip=${ip}`),
    `--relay-ip=${relayIp}`,
    `--listening-port=${port}`,
    "--min-port=49400",
    "--max-port=49500",
    "--allow-loopback-peers",
    "--log-file=stdout",
    "--pidfile=/dev/null",
  ];
}

/** Starts coturn on `ips` (loopback), waiting at most 5 s until the first answers STUN. */
export async function startCoturn(ips: readonly string[]): Promise<Coturn> {
  const port = freeUdpPort();
  const proc = new Deno.Command("turnserver", {
    args: coturnArgs(ips, port),
    stdout: "null",
    stderr: "null",
  }).spawn();
  const stop = async () => {
    try {
      proc.kill("SIGTERM");
    } catch {
      // already gone
    }
    await proc.status;
  };
  if (!await waitForStun(ips[0]!, port)) {
    await stop();
    throw new Error(`coturn did not answer STUN on ${ips[0]}:${port} within 5 s`);
  }
  return { port, stop };
}

async function waitForStun(host: string, port: number): Promise<boolean> {
  const until = Date.now() + 5000;
  while (Date.now() < until) {
    const r = await probeStun({ host, port }, { timeoutMs: 300, rtoMs: 100 });
    if (r.ok) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
