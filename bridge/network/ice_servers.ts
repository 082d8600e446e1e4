/**
 * `ICE_SERVERS` entries as typed servers, and which of them a call uses.
 *
 * werift takes one STUN and only the FIRST TURN URL of its `iceServers`, and
 * says nothing when that one fails. So the bridge parses the list itself,
 * hands werift only the STUN server, and allocates the relay on its own
 * (`bridge/webrtc/ice_gathering.ts`) from the first TURN server the
 * {@linkcode IceServerPicker} does not hold failed. A call whose allocation
 * fails marks the server failed, so the next call starts with the next one;
 * a probe (`turn_probe.ts`, at start-up and then periodically) marks servers
 * usable again.
 *
 * Parsing follows RFC 7064/7065 and werift's own parser
 * (`webrtc/src/utils.js` `parseIceServerUrl`): `turns:` is TLS (default
 * port 5349), `turn:` is UDP unless `?transport=tcp` (default port 3478).
 * Unlike werift, `turn:` over UDP does not fall back to TCP: within the
 * answer's gathering budget there is no time for a second attempt on the same
 * server; list the `?transport=tcp` and `turns:` URLs as entries of their own.
 *
 * @module
 */

/** How a client reaches a TURN server. */
export type TurnTransport = "udp" | "tcp" | "tls";

/** An `ICE_SERVERS` entry as configured (`bridge/config.ts`). */
export interface IceServerEntry {
  urls: string;
  username?: string | undefined;
  credential?: string | undefined;
}

/** A STUN server: werift gathers the server-reflexive candidate from it. */
export interface StunServer {
  kind: "stun";
  host: string;
  port: number;
  /** The URL without query or credentials, safe to log. */
  display: string;
}

/** A TURN server URL with the credentials of its entry. */
export interface TurnServer {
  kind: "turn";
  scheme: "turn" | "turns";
  host: string;
  port: number;
  transport: TurnTransport;
  /** e.g. `turns:203.0.113.5:5349`, `turn:relay.example.com:3478?transport=tcp`: never credentials. */
  display: string;
  username: string;
  credential: string;
}

/** One parsed URL of an entry. */
export type IceServer = StunServer | TurnServer;

const URL_PATTERN = /^(stun|stuns|turn|turns):(?:\/\/)?([^?#]+)(?:\?([^#]*))?$/i;

/**
 * Parses one `stun:`/`turn:`/`turns:` URL; returns an error message instead
 * for anything werift would skip without a word (unknown scheme, bad port,
 * `turns:` over UDP, an unknown transport, TURN without credentials).
 */
export function parseIceServerUrl(entry: IceServerEntry): IceServer | { error: string } {
  const match = URL_PATTERN.exec(entry.urls.trim());
  if (!match) return { error: "not a stun:, turn: or turns: URL" };
  const scheme = match[1]!.toLowerCase();
  const secure = scheme === "turns" || scheme === "stuns";
  const address = parseAuthority(match[2]!, secure ? 5349 : 3478);
  if (!address) return { error: "no valid host[:port]" };
  const display = `${scheme}:${formatHost(address.host)}:${address.port}`;
  if (scheme === "stun" || scheme === "stuns") return { kind: "stun", ...address, display };
  const param = new URLSearchParams(match[3] ?? "").get("transport")?.toLowerCase();
  if (param !== undefined && param !== "udp" && param !== "tcp") {
    return { error: `unknown transport "${param}"` };
  }
  if (scheme === "turns" && param === "udp") return { error: "turns: cannot use UDP" };
  const transport: TurnTransport = scheme === "turns" ? "tls" : param === "tcp" ? "tcp" : "udp";
  if (!entry.username || !entry.credential) return { error: "TURN needs username and credential" };
  return {
    kind: "turn",
    scheme: scheme === "turns" ? "turns" : "turn",
    ...address,
    transport,
    display: transport === "tcp" ? `${display}?transport=tcp` : display,
    username: entry.username,
    credential: entry.credential,
  };
}

/** Parses every entry; throws naming the first bad URL (never its credentials). */
export function parseIceServers(entries: readonly IceServerEntry[]): IceServer[] {
  return entries.map((entry) => {
    const parsed = parseIceServerUrl(entry);
    if ("error" in parsed) throw new Error(`"${redactUrl(entry.urls)}": ${parsed.error}`);
    return parsed;
  });
}

/** `url` without any `user:pass@` part and without query values other than `transport`, for messages. */
export function redactUrl(url: string): string {
  const [base = "", query = ""] = url.trim().split("?", 2);
  const withoutUser = base.replace(/^([a-z]+:(?:\/\/)?)[^@]*@/i, "$1");
  const transport = /(?:^|&)transport=(udp|tcp)(?:&|$)/i.exec(query)?.[1];
  return transport ? `${withoutUser}?transport=${transport}` : withoutUser;
}

function parseAuthority(
  text: string,
  defaultPort: number,
): { host: string; port: number } | undefined {
  const bracketed = /^\[([0-9a-f:.]+)\](?::(\d{1,5}))?$/i.exec(text);
  const plain = /^([A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(text);
  const match = bracketed ?? plain;
  if (!match) return undefined;
  const port = match[2] === undefined ? defaultPort : Number(match[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: match[1]!, port };
}

function formatHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/** What a call gets: werift's STUN server and the TURN servers to try, best first. */
export interface IcePick {
  stun: StunServer | undefined;
  /** Not failed first (in configured order), then failed ones, least recently failed first. */
  turn: TurnServer[];
}

/** Why a server was marked failed, as `turn_probe.ts` classifies it. */
export interface TurnFailure {
  cause: string;
  at: number;
}

/**
 * Which TURN server each call allocates on. Holds the servers in configured
 * order and the ones marked failed; a call takes them in {@linkcode pick}'s
 * order within its gathering budget.
 */
export class IceServerPicker {
  readonly stun: StunServer | undefined;
  readonly turn: readonly TurnServer[];
  #failed = new Map<TurnServer, TurnFailure>();
  #now: () => number;

  /** `servers` as {@linkcode parseIceServers} returns them. */
  constructor(servers: readonly IceServer[], now: () => number = Date.now) {
    this.stun = servers.find((s): s is StunServer => s.kind === "stun");
    this.turn = servers.filter((s): s is TurnServer => s.kind === "turn");
    this.#now = now;
  }

  /**
   * The STUN server and the TURN servers in the order a call should try
   * them: usable ones as configured, then failed ones, least recently failed
   * first, so a call never goes without trying TURN when it is configured.
   */
  pick(): IcePick {
    const usable = this.turn.filter((s) => !this.#failed.has(s));
    const failed = this.turn.filter((s) => this.#failed.has(s))
      .sort((a, b) => this.#failed.get(a)!.at - this.#failed.get(b)!.at);
    return { stun: this.stun, turn: [...usable, ...failed] };
  }

  /** Marks `server` failed (a call's allocation or a probe); later calls try others first. */
  markFailed(server: TurnServer, cause: string): void {
    this.#failed.set(server, { cause, at: this.#now() });
  }

  /** Marks `server` usable again (an allocation or a probe succeeded). Returns whether it was failed. */
  markUsable(server: TurnServer): boolean {
    return this.#failed.delete(server);
  }

  /** Why `server` is held failed, or undefined when it is usable. */
  failure(server: TurnServer): TurnFailure | undefined {
    return this.#failed.get(server);
  }
}
