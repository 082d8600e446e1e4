/**
 * A real coturn (`turnserver`) for tests: STUN and TURN with long-term
 * credentials on the addresses given, optionally a TLS listener whose
 * certificate a throwaway CA (made with `openssl` in a temp dir, removed on
 * stop) signed. It runs here, or wherever a spawner puts it (inside a network
 * namespace), and is ready once `ss`, run the same way, lists every listener
 * it should have: a bounded wait that fails with coturn's log.
 *
 * @module
 */
import { missingTool, mustRun, type Spawned, spawnProcess } from "./command.ts";
import { freePort } from "./net.ts";

/** Starts a long-running `cmd args` where coturn belongs (here, or inside a namespace). */
export type Spawn = (cmd: string, args: string[]) => Spawned;

/** Long-term TURN credentials. */
export interface TurnUser {
  username: string;
  credential: string;
}

/** The user coturn accepts unless told otherwise. */
export const TURN_USER: Readonly<TurnUser> = {
  username: "bridge",
  credential: "s3cret-turn-credential",
};

/** Options of {@linkcode startCoturn}. */
export interface CoturnOptions {
  /** STUN and TURN (UDP and TCP) addresses; the first is the TLS certificate's and the relay's. */
  listen: readonly string[];
  /** Their port. @default a free one on `listen[0]`, in this process's namespace */
  port?: number;
  /** The address relays are allocated on. @default listen[0] */
  relayIp?: string;
  /** Relay ports, inclusive. */
  relayPorts: readonly [number, number];
  /** @default TURN_USER */
  user?: TurnUser;
  /** A TLS listener (`turns:`) on every listening address. Absent: no TLS. */
  tls?: { port?: number };
  /** Where coturn and `ss` run. @default this host, this namespace */
  spawn?: Spawn;
  /** Bound on the wait for every listener. @default 10_000 */
  readyTimeoutMs?: number;
}

/** coturn's TLS listener and what a client must trust for it. */
export interface CoturnTls {
  port: number;
  /** PEM of the CA that signed coturn's certificate (for `tlsOptions.ca`). */
  caPem: string;
  /** The same CA as a file (for `ICE_TURN_CA_FILE`). */
  caFile: string;
}

/** A running coturn. */
export interface Coturn extends TurnUser {
  /** `listen[0]`. */
  ip: string;
  /** STUN/TURN over UDP and TCP. */
  port: number;
  relayPorts: readonly [number, number];
  tls: CoturnTls | undefined;
  /** coturn's log so far (its last 64 KiB). */
  log(): string;
  /** Stops coturn and removes its certificate directory. Idempotent. */
  stop(): Promise<void>;
}

/** A running coturn with a TLS listener. */
export type TlsCoturn = Coturn & { tls: CoturnTls };

const LOG_KEEP = 64 * 1024;

/** Why coturn cannot run here (a skip reason), or undefined; TLS needs `openssl` too. */
export function coturnMissing(opts: { tls?: boolean } = {}): string | undefined {
  return missingTool("turnserver", "ss", ...(opts.tls ? ["openssl"] : []));
}

/**
 * coturn on loopback `listen` addresses (no TLS), relaying on 49400–49500 and
 * ready within 5 s: the one the STUN, TURN and doctor tests of this host share.
 */
export function startLoopbackCoturn(listen: readonly string[] = ["127.0.0.1"]): Promise<Coturn> {
  return startCoturn({ listen, relayPorts: [49400, 49500], readyTimeoutMs: 5000 });
}

/** Starts coturn; resolves once every listener is up, else stops it and throws with its log. */
export function startCoturn(opts: CoturnOptions & { tls: { port?: number } }): Promise<TlsCoturn>;
export function startCoturn(opts: CoturnOptions): Promise<Coturn>;
export async function startCoturn(opts: CoturnOptions): Promise<Coturn> {
  const ip = opts.listen[0];
  if (ip === undefined) throw new Error("coturn needs a listening address");
  const port = opts.port ?? freePort(ip);
  const user = opts.user ?? TURN_USER;
  const spawn = opts.spawn ?? ((cmd, args) => spawnProcess(cmd, args));
  const tls = await prepareTls(opts, ip, port);
  const proc = spawn("turnserver", coturnArgs(opts, port, user, tls));
  const log = collectLog(proc.child.stdout);
  void proc.child.stderr.cancel().catch(() => {});
  const stop = async () => {
    await proc.stop();
    if (tls) await Deno.remove(tls.dir, { recursive: true }).catch(() => {});
  };
  const server: Coturn = { ip, port, relayPorts: opts.relayPorts, tls, ...user, log, stop };
  try {
    await waitListening(spawn, proc, expectedListeners(server, opts.listen), opts, log);
  } catch (error) {
    await stop();
    throw error;
  }
  return server;
}

/** The TLS port and certificates (in a new temp dir), or undefined without `opts.tls`. */
async function prepareTls(
  opts: CoturnOptions,
  ip: string,
  port: number,
): Promise<(CoturnTls & { dir: string }) | undefined> {
  if (!opts.tls) return undefined;
  const dir = await Deno.makeTempDir({ prefix: "coturn-" });
  try {
    const certs = await makeCertificates(dir, ip);
    return { dir, port: opts.tls.port ?? otherFreePort(ip, port), ...certs };
  } catch (error) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw error;
  }
}

/** A free port on `ip` other than `taken` (coturn's plain and TLS ports must differ). */
function otherFreePort(ip: string, taken: number): number {
  for (let i = 0; i < 10; i++) {
    const port = freePort(ip);
    if (port !== taken) return port;
  }
  throw new Error(`no second free port on ${ip}`);
}

function coturnArgs(
  opts: CoturnOptions,
  port: number,
  user: TurnUser,
  tls: { port: number; dir: string } | undefined,
): string[] {
  return [
    "-n",
    "--no-cli",
    "--no-dtls",
    ...(tls
      ? [
        `--tls-listening-port=${tls.port}`,
        `--cert=${tls.dir}/turn.pem`,
        `--pkey=${tls.dir}/turn.key`,
      ]
      : ["--no-tls"]),
    "--lt-cred-mech",
    "--realm=test",
    `--user=${user.username}:${user.credential}`,
    ...opts.listen.map((ip) => `--listening-ip=${ip}`),
    `--relay-ip=${opts.relayIp ?? opts.listen[0]}`,
    `--listening-port=${port}`,
    `--min-port=${opts.relayPorts[0]}`,
    `--max-port=${opts.relayPorts[1]}`,
    "--allow-loopback-peers",
    // coturn never removes its pid file; root's default would be a shared /var/run/turnserver.pid.
    "--pidfile=/dev/null",
    "--log-file=stdout",
    "--simple-log",
  ];
}

/** Every `proto addr:port` coturn must list: UDP and TCP on each address, and TLS's TCP. */
function expectedListeners(server: Coturn, listen: readonly string[]): string[] {
  return listen.flatMap((ip) => [
    `udp ${ip}:${server.port}`,
    `tcp ${ip}:${server.port}`,
    ...(server.tls ? [`tcp ${ip}:${server.tls.port}`] : []),
  ]);
}

async function waitListening(
  spawn: Spawn,
  proc: Spawned,
  expected: string[],
  opts: CoturnOptions,
  log: () => string,
): Promise<void> {
  let exited = false;
  void proc.child.status.then(() => exited = true);
  const timeoutMs = opts.readyTimeoutMs ?? 10_000;
  const end = performance.now() + timeoutMs;
  let missing = expected;
  while (performance.now() < end && !exited) {
    const listed = await listeners(spawn);
    missing = expected.filter((l) => !listed.has(l));
    if (missing.length === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  const why = exited ? "exited" : `did not list ${missing.join(", ")} within ${timeoutMs} ms`;
  throw new Error(`coturn ${why}: ${log().slice(-1000)}`);
}

/** Listening sockets as `proto addr:port`, from `ss` run by `spawn` (bounded: killed after 5 s). */
async function listeners(spawn: Spawn): Promise<Set<string>> {
  const ss = spawn("ss", ["-Hlntu"]);
  void ss.child.stderr.cancel().catch(() => {});
  const timer = setTimeout(() => void ss.stop(), 5_000);
  try {
    const text = await new Response(ss.child.stdout).text();
    return new Set(
      text.split("\n").map((line) => {
        const cols = line.trim().split(/\s+/);
        return `${cols[0]} ${cols[4]}`;
      }),
    );
  } finally {
    clearTimeout(timer);
    await ss.stop();
  }
}

/** Reads coturn's stdout as it comes, keeping the last {@linkcode LOG_KEEP} characters. */
function collectLog(stdout: ReadableStream<Uint8Array>): () => string {
  let log = "";
  void (async () => {
    const dec = new TextDecoder();
    try {
      for await (const chunk of stdout) log = (log + dec.decode(chunk)).slice(-LOG_KEEP);
    } catch {
      // Stopped.
    }
  })();
  return () => log;
}

/**
 * A throwaway CA and a server certificate for `ip` (IP SAN, not a CA itself)
 * in `dir`, all P-256: what a TLS client trusts is the CA, as in production.
 */
export async function makeCertificates(
  dir: string,
  ip: string,
): Promise<{ caPem: string; caFile: string }> {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  const caFile = `${dir}/ca.pem`;
  await mustRun("openssl", [
    "req",
    "-x509",
    ...ec,
    ...["-keyout", `${dir}/ca.key`, "-out", caFile, "-days", "1", "-subj", "/CN=test TURN CA"],
  ]);
  await mustRun("openssl", [
    "req",
    ...ec,
    ...["-keyout", `${dir}/turn.key`, "-out", `${dir}/turn.csr`, "-subj", "/CN=turn.test"],
  ]);
  await Deno.writeTextFile(
    `${dir}/ext.cnf`,
    `subjectAltName=IP:${ip}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`,
  );
  await mustRun("openssl", [
    "x509",
    "-req",
    ...["-in", `${dir}/turn.csr`, "-CA", caFile, "-CAkey", `${dir}/ca.key`, "-CAcreateserial"],
    ...["-out", `${dir}/turn.pem`, "-days", "1", "-extfile", `${dir}/ext.cnf`],
  ]);
  return { caPem: await Deno.readTextFile(caFile), caFile };
}
