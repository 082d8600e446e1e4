/**
 * A real coturn inside a test's public namespace, listening on TCP (and TLS
 * with a throwaway CA made with openssl at test time), for the TURN cases.
 *
 * @module
 */
import type { NatLab, NsProcess } from "../support/netns.ts";
import { mustRun, run } from "../support/netns.ts";

/** The TURN user and password coturn accepts. */
export const TURN_USER = "bridge";
export const TURN_PASSWORD = "netcases-turn-pass-7d1e";
/** coturn's relay port range. */
export const RELAY_PORTS: [number, number] = [49300, 49400];

/** A running coturn. */
export interface Coturn {
  addr: string;
  tcpPort: number;
  tlsPort: number;
  /** The CA that signed coturn's certificate (PEM file), for ICE_TURN_CA_FILE. */
  caFile: string;
  /** coturn's log so far. */
  log(): string;
  stop(): Promise<void>;
}

/** Why coturn cannot run here (not installed, or no openssl for its certificate), or undefined. */
export function coturnMissing(): string | undefined {
  for (
    const [cmd, args, what] of [
      ["turnserver", ["--help"], "no turnserver (coturn)"],
      ["openssl", ["version"], "no openssl"],
    ] as const
  ) {
    try {
      new Deno.Command(cmd, { args: [...args], stdout: "null", stderr: "null" }).outputSync();
    } catch {
      return what;
    }
  }
  return undefined;
}

/** A CA and a server certificate for `ip` (IP SAN), in `dir`. */
export async function makeCertificates(dir: string, ip: string): Promise<void> {
  const o = (args: string[]) => mustRun("openssl", args);
  await o([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    `${dir}/ca.key`,
    "-out",
    `${dir}/ca.pem`,
    "-days",
    "1",
    "-subj",
    "/CN=netcases test CA",
  ]);
  await o([
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    `${dir}/turn.key`,
    "-out",
    `${dir}/turn.csr`,
    "-subj",
    "/CN=turn.test",
  ]);
  await Deno.writeTextFile(
    `${dir}/ext.cnf`,
    `subjectAltName=IP:${ip}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`,
  );
  await o([
    "x509",
    "-req",
    "-in",
    `${dir}/turn.csr`,
    "-CA",
    `${dir}/ca.pem`,
    "-CAkey",
    `${dir}/ca.key`,
    "-CAcreateserial",
    "-out",
    `${dir}/turn.pem`,
    "-days",
    "1",
    "-extfile",
    `${dir}/ext.cnf`,
  ]);
}

/** Starts coturn on `addr` in the lab's public namespace; resolves once both ports listen. */
export async function startCoturn(lab: NatLab, addr: string): Promise<Coturn> {
  const dir = await Deno.makeTempDir({ prefix: "netcases-turn-" });
  await makeCertificates(dir, addr);
  const tcpPort = 3478;
  const tlsPort = 5349;
  const proc: NsProcess = lab.lab.spawn(lab.ns.public, "turnserver", [
    "-n",
    "--no-cli",
    "--no-dtls",
    "--lt-cred-mech",
    "--realm=netcases",
    `--user=${TURN_USER}:${TURN_PASSWORD}`,
    `--listening-ip=${addr}`,
    `--relay-ip=${addr}`,
    `--listening-port=${tcpPort}`,
    `--tls-listening-port=${tlsPort}`,
    `--cert=${dir}/turn.pem`,
    `--pkey=${dir}/turn.key`,
    `--min-port=${RELAY_PORTS[0]}`,
    `--max-port=${RELAY_PORTS[1]}`,
    `--pidfile=${dir}/turnserver.pid`,
    "--log-file=stdout",
    "--simple-log",
  ]);
  let log = "";
  void (async () => {
    const dec = new TextDecoder();
    try {
      for await (const c of proc.child.stdout) log += dec.decode(c);
    } catch {
      // Stopped.
    }
  })();
  void proc.child.stderr.cancel().catch(() => {});
  const end = performance.now() + 10_000;
  while (true) {
    const ss = (await run("ip", ["netns", "exec", lab.ns.public, "ss", "-ltn"])).stdout;
    if (ss.includes(`${addr}:${tcpPort}`) && ss.includes(`${addr}:${tlsPort}`)) break;
    if (performance.now() > end) throw new Error(`coturn did not listen: ${log.slice(-1000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    addr,
    tcpPort,
    tlsPort,
    caFile: `${dir}/ca.pem`,
    log: () => log,
    stop: async () => {
      await proc.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
