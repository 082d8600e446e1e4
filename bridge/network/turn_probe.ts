/**
 * One TURN allocation (RFC 8656), bounded in time, with its failure sorted
 * into a cause an operator can act on.
 *
 * SHARED API — used by `deno task doctor` and the start-up `BRIDGE_NETWORK`
 * line (helper "doctor") as well as by each call's gathering
 * (`bridge/webrtc/ice_gathering.ts`). Keep {@linkcode probeTurn}'s signature
 * and {@linkcode TurnProbeResult}'s shape stable:
 * `probeTurn(server, { timeoutMs, tlsOptions? })` →
 * `{ ok: true, url, transport, relayed, mapped, ms }` or
 * `{ ok: false, url, transport, cause, message, ms }`, where `url` is the
 * server's display URL (never credentials) and `cause` is one of
 * `"auth" | "timeout" | "unreachable" | "tls" | "error"`.
 *
 * The allocation is werift's own TURN client (`TurnProtocol` and its
 * transports, exported by `werift`, assembled as its `createTurnClient`
 * does): the code a call's relay candidate runs on, so a probe that passes
 * means a call's allocation passes. Its TCP/TLS connect timeout is set to the
 * probe's bound; a UDP allocation that gets no answer is cut off by the bound
 * here (werift would retransmit for ~6.4 s).
 *
 * Why not `createTurnClient` itself: once werift holds the integrity key it
 * drops every response without MESSAGE-INTEGRITY, and a server rejecting the
 * credentials (401/441) cannot sign its answer. Wrong credentials then look
 * like a server that never answers, and cost the whole budget. Here the
 * client's STUN handler is wrapped, for this allocation only, to end the
 * request at once on such an answer (cause `auth`). A forged 401 could at
 * worst make a call skip TURN, which dropping packets achieves as well.
 *
 * @module
 */
import type { Buffer } from "node:buffer";
import { isIP } from "node:net";
import type { ConnectionOptions } from "node:tls";
import {
  parseMessage,
  StunOverTurnProtocol,
  TcpTransport,
  TlsTransport,
  TurnProtocol,
  UdpTransport,
} from "werift";
import type { TurnServer, TurnTransport } from "./ice_servers.ts";

/** Why an allocation failed. */
export type TurnFailureCause = "auth" | "timeout" | "unreachable" | "tls" | "error";

/** An address and port. */
export interface TurnEndpoint {
  host: string;
  port: number;
}

/** A relay was allocated. */
export interface TurnProbeOk {
  ok: true;
  /** The server's display URL: scheme, host, port, `?transport=tcp`; never credentials. */
  url: string;
  transport: TurnTransport;
  /** The relayed transport address (what the answer's relay candidate carries). */
  relayed: TurnEndpoint;
  /** Our address as the TURN server saw it. */
  mapped: TurnEndpoint;
  ms: number;
}

/** No relay was allocated. */
export interface TurnProbeFailure {
  ok: false;
  url: string;
  transport: TurnTransport;
  cause: TurnFailureCause;
  /** What failed, e.g. `401 Unauthorized`, `connection refused`; never credentials. */
  message: string;
  ms: number;
}

/** {@linkcode probeTurn}'s answer. */
export type TurnProbeResult = TurnProbeOk | TurnProbeFailure;

/** TLS settings for `turns:` (werift's `turnTlsOptions`), e.g. `{ ca }` from `ICE_TURN_CA_FILE`. */
export type TurnTlsOptions = Omit<ConnectionOptions, "host" | "port" | "socket">;

/** Bounds and settings of one allocation. */
export interface TurnProbeOptions {
  /** Give up (cause `timeout`) after this long, connect and TLS included. */
  timeoutMs: number;
  /** For `turns:`: trust (a `ca`) and name checks, as for `node:tls` `connect`. */
  tlsOptions?: TurnTlsOptions | undefined;
  /** Local UDP port range for a UDP allocation's socket (`RTP_PORT_MIN`/`MAX`). */
  portRange?: [number, number] | undefined;
}

/** An allocation kept open: a call's relay. The caller owns `relay` and must close it. */
export type TurnAllocation =
  | { result: TurnProbeOk; relay: StunOverTurnProtocol }
  | { result: TurnProbeFailure; relay?: undefined };

/**
 * Allocates a relay on `server` over its transport with its credentials,
 * giving up after `timeoutMs`. An allocation that completes after the bound
 * is released at once, so nothing outlives the answer but the attempt's own
 * retransmissions.
 */
export async function allocateTurn(
  server: TurnServer,
  options: TurnProbeOptions,
): Promise<TurnAllocation> {
  const started = performance.now();
  const base = { url: server.display, transport: server.transport };
  const attempt = openRelay(server, options);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), options.timeoutMs);
  });
  const settled = await Promise.race([
    attempt.then((relay) => ({ relay }), (error: unknown) => ({ error })),
    expired,
  ]);
  clearTimeout(timer);
  const ms = Math.round(performance.now() - started);
  if (settled === "timeout") {
    // Too late for this answer: release a late allocation instead of leaking it.
    attempt.then((relay) => relay.close(), () => {});
    const message = `no allocation within ${options.timeoutMs} ms`;
    return { result: { ok: false, ...base, cause: "timeout", message, ms } };
  }
  if ("error" in settled) {
    return { result: { ok: false, ...base, ...classifyTurnError(settled.error, server), ms } };
  }
  const { relayedAddress, mappedAddress } = settled.relay.turn;
  return {
    result: {
      ok: true,
      ...base,
      relayed: { host: relayedAddress[0], port: relayedAddress[1] },
      mapped: { host: mappedAddress[0], port: mappedAddress[1] },
      ms,
    },
    relay: settled.relay,
  };
}

/** The unsigned error a server sent to an authenticated request: the credentials were refused. */
class CredentialsRejected extends Error {
  constructor(readonly code: number, readonly reason: string) {
    super(`${code} ${reason}`);
  }
}

/** The members of werift's `TurnProtocol` the auth hook reaches (private in its typings). */
interface TurnInternals {
  handleSTUNMessage(data: Buffer, addr: readonly [string, number]): void;
  transactions: Record<string, { integrityKey?: unknown; fail(error: Error): void } | undefined>;
}

/** werift's `createStunOverTurnClient`, with the credentials-rejected hook (see the module doc). */
async function openRelay(
  server: TurnServer,
  options: TurnProbeOptions,
): Promise<StunOverTurnProtocol> {
  const address: [string, number] = [server.host, server.port];
  const connectTimeoutMs = Math.max(1, options.timeoutMs);
  const transport = server.transport === "udp"
    ? await UdpTransport.init(isIP(server.host) === 6 ? "udp6" : "udp4", {
      ...(options.portRange ? { portRange: options.portRange } : {}),
    })
    : server.transport === "tcp"
    ? await TcpTransport.init(address, { connectTimeoutMs })
    : await TlsTransport.init(address, options.tlsOptions ?? {}, { connectTimeoutMs });
  // werift's own transports; its `Transport` typing predates `exactOptionalPropertyTypes`.
  const stream = transport as ConstructorParameters<typeof TurnProtocol>[4];
  const turn = new TurnProtocol(address, server.username, server.credential, 600, stream);
  const internals = turn as unknown as TurnInternals;
  const handle = internals.handleSTUNMessage.bind(turn);
  internals.handleSTUNMessage = (data, addr) => {
    const message = parseMessage(data);
    const pending = message && internals.transactions[message.transactionIdHex];
    const code = message?.getAttributeValue("ERROR-CODE") as [number, string] | undefined;
    if (pending?.integrityKey && code && AUTH_CODES.has(code[0])) {
      pending.fail(new CredentialsRejected(code[0], code[1]));
      return;
    }
    handle(data, addr);
  };
  try {
    await turn.connectionMade();
  } catch (error) {
    await turn.close().catch(() => {});
    throw error;
  }
  return new StunOverTurnProtocol(turn);
}

/**
 * Allocates on `server` and releases the allocation: whether a call could
 * relay through it now, with these credentials and this trust.
 */
export async function probeTurn(
  server: TurnServer,
  options: { timeoutMs: number; tlsOptions?: TurnTlsOptions | undefined },
): Promise<TurnProbeResult> {
  const { result, relay } = await allocateTurn(server, options);
  await relay?.close().catch(() => {});
  return result;
}

const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EADDRNOTAVAIL",
  "EPIPE",
]);

/** STUN error codes that mean the credentials (or their realm) are wrong. */
const AUTH_CODES = new Set([401, 431, 441]);

/**
 * Sorts an allocation error: a STUN error response (werift's
 * `TransactionFailed`), a transaction timeout, a socket error, a TLS error.
 * The message never holds the credentials (they are cut out if an error
 * quoted them).
 */
export function classifyTurnError(
  error: unknown,
  server: Pick<TurnServer, "credential">,
): { cause: TurnFailureCause; message: string } {
  // A credential too short to find safely in text is too short to be quoted by accident.
  const scrub = (text: string) =>
    server.credential.length >= 4 ? text.replaceAll(server.credential, "[REDACTED]") : text;
  if (error instanceof CredentialsRejected) {
    return { cause: "auth", message: scrub(error.message) };
  }
  const stunError = stunErrorCode(error);
  if (stunError) {
    const [code, reason] = stunError;
    return { cause: AUTH_CODES.has(code) ? "auth" : "error", message: scrub(`${code} ${reason}`) };
  }
  const name = error instanceof Error ? error.constructor.name : "";
  if (name === "TransactionTimeout") return { cause: "timeout", message: "no answer from server" };
  const code = (error as { code?: unknown } | null)?.code;
  const text = scrub(error instanceof Error ? error.message || name : String(error));
  if (typeof code === "string" && UNREACHABLE_CODES.has(code)) {
    return { cause: "unreachable", message: `${code}: ${text}` };
  }
  if (/timed out/i.test(text)) return { cause: "timeout", message: text };
  if (isTlsError(code, text)) return { cause: "tls", message: text };
  if (/refused|unreachable|reset|not found|no route/i.test(text)) {
    return { cause: "unreachable", message: text };
  }
  return { cause: "error", message: text };
}

function stunErrorCode(error: unknown): [number, string] | undefined {
  const response = (error as { response?: { getAttributeValue?: (n: string) => unknown } })
    ?.response;
  const value = response?.getAttributeValue?.("ERROR-CODE");
  if (!Array.isArray(value) || typeof value[0] !== "number") return undefined;
  return [value[0], String(value[1] ?? "")];
}

function isTlsError(code: unknown, text: string): boolean {
  if (
    typeof code === "string" &&
    /^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED)/.test(code)
  ) {
    return true;
  }
  return /certificate|tls|ssl|handshake|UnknownIssuer|NotValidForName|InvalidData/i.test(text);
}
