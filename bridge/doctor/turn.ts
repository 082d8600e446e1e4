/**
 * The doctor's TURN rows: one allocation per TURN URL of `ICE_SERVERS` (a
 * server listed over UDP, TCP and TLS gets three rows), with the configured
 * credentials, through `turn_probe.ts` (the code a call's relay runs on).
 * Rows show the redacted display URL, never credentials.
 *
 * @module
 */
import type { IceServer, TurnServer } from "../network/ice_servers.ts";
import type { TurnProbeResult, TurnTlsOptions } from "../network/turn_probe.ts";
import { type CheckRow, fail, ok, skip } from "./check.ts";

const GROUP = "turn";

/** The fix for each way an allocation fails. */
export const TURN_FIXES: Record<Exclude<TurnProbeResult, { ok: true }>["cause"], string> = {
  auth:
    "the TURN server refuses these credentials: check username/credential in ICE_SERVERS (time-limited REST credentials expire; the realm must match the server's)",
  timeout:
    "no answer from the TURN server: allow outbound traffic to its port and transport (UDP 3478, TCP 3478, TLS 5349), and check that it runs",
  unreachable:
    "the TURN server cannot be reached: check its host name and port, DNS, and this host's route out",
  tls:
    "the TLS handshake failed: the server's certificate must match its host name and be trusted (ICE_TURN_CA_FILE for a private CA)",
  error: "the allocation failed: see the message and the TURN server's log",
};

/** The row for one allocation. */
export function turnRow(result: TurnProbeResult): CheckRow {
  const name = `${result.url} (${result.transport})`;
  if (result.ok) {
    return ok(
      GROUP,
      name,
      `relay ${result.relayed.host}:${result.relayed.port}, seen as ${result.mapped.host}:${result.mapped.port} (${result.ms} ms)`,
    );
  }
  return fail(
    GROUP,
    name,
    `${result.cause}: ${result.message} (${result.ms} ms)`,
    TURN_FIXES[result.cause],
  );
}

/** Allocates on `server`; injected so rows can be tested without a server. */
export type TurnProber = (
  server: TurnServer,
  options: { timeoutMs: number; tlsOptions?: TurnTlsOptions | undefined },
) => Promise<TurnProbeResult>;

/** One row per TURN URL (at once), or a skipped row when none is configured. */
export async function checkTurn(
  servers: readonly IceServer[],
  options: { timeoutMs: number; tlsOptions?: TurnTlsOptions | undefined; probe: TurnProber },
): Promise<CheckRow[]> {
  const turn = servers.filter((s): s is TurnServer => s.kind === "turn");
  if (turn.length === 0) return [skip(GROUP, "TURN servers", "none in ICE_SERVERS")];
  const results = await Promise.all(
    turn.map((s) =>
      options.probe(s, { timeoutMs: options.timeoutMs, tlsOptions: options.tlsOptions })
    ),
  );
  return results.map(turnRow);
}
