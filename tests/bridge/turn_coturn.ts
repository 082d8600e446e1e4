/**
 * A real coturn (`turnserver`) for the TURN tests: long-term credentials,
 * plain UDP/TCP and TLS listeners on one address, a self-signed certificate
 * made with `openssl` for the TLS one, and a bounded wait until it listens.
 *
 * @module
 */

/** Whether `cmd` is on PATH. */
export function which(cmd: string): boolean {
  try {
    return new Deno.Command("which", { args: [cmd], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}

/** coturn and openssl are both installed (else the tests are skipped, visibly). */
export const haveCoturn = which("turnserver") && which("openssl");

/** The first non-loopback IPv4 of this host: the answer never announces loopback relays. */
export const hostIp = Deno.networkInterfaces().find((i) =>
  i.family === "IPv4" && !i.address.startsWith("127.")
)?.address;

/** A running coturn. */
export interface Coturn {
  ip: string;
  /** UDP and TCP (`turn:ip:port`, `turn:ip:port?transport=tcp`). */
  port: number;
  /** TLS (`turns:ip:tlsPort`). */
  tlsPort: number;
  /** PEM of the self-signed certificate coturn's TLS listener presents (its own CA). */
  certPem: string;
  username: string;
  credential: string;
  stop(): Promise<void>;
}

/** A TCP port free on `ip` now (coturn binds TCP and UDP on it). */
export function freePort(ip: string): number {
  const probe = Deno.listen({ hostname: ip, port: 0 });
  const port = probe.addr.port;
  probe.close();
  return port;
}

/** Makes a self-signed P-256 certificate for `ip` in `dir`; returns its paths and PEM. */
export async function selfSignedCert(
  dir: string,
  ip: string,
): Promise<{ cert: string; key: string; pem: string }> {
  const cert = `${dir}/cert.pem`;
  const key = `${dir}/key.pem`;
  const out = await new Deno.Command("openssl", {
    args: [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "1",
      "-subj",
      "/CN=turn.test",
      "-addext",
      `subjectAltName=IP:${ip}`,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`openssl: ${new TextDecoder().decode(out.stderr)}`);
  return { cert, key, pem: await Deno.readTextFile(cert) };
}

/**
 * Starts coturn on `ip` with user `bridge` (on `port` if given); resolves once
 * its TCP and TLS ports accept.
 */
export async function startCoturn(
  ip: string,
  relayPorts: [number, number],
  port = freePort(ip),
): Promise<Coturn> {
  const dir = await Deno.makeTempDir({ prefix: "coturn-" });
  const { cert, key, pem } = await selfSignedCert(dir, ip);
  let tlsPort = freePort(ip);
  while (tlsPort === port) tlsPort = freePort(ip);
  const username = "bridge";
  const credential = "s3cret-turn-credential";
  const child = new Deno.Command("turnserver", {
    args: [
      "-n",
      "--no-cli",
      "--no-dtls",
      "--lt-cred-mech",
      "--realm=test",
      `--user=${username}:${credential}`,
      `--listening-ip=${ip}`,
      `--relay-ip=${ip}`,
      `--listening-port=${port}`,
      `--tls-listening-port=${tlsPort}`,
      `--cert=${cert}`,
      `--pkey=${key}`,
      `--min-port=${relayPorts[0]}`,
      `--max-port=${relayPorts[1]}`,
      "--allow-loopback-peers",
      "--log-file=stdout",
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    await child.status;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    for (const p of [port, tlsPort]) await waitListening(ip, p);
  } catch (error) {
    await stop();
    throw error;
  }
  return { ip, port, tlsPort, certPem: pem, username, credential, stop };
}

async function waitListening(ip: string, port: number): Promise<void> {
  for (let i = 0; i < 50; i++) {
    try {
      (await Deno.connect({ hostname: ip, port })).close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`coturn did not listen on ${ip}:${port} within 2.5 s`);
}
