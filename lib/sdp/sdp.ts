/**
 * SDP (RFC 8866) as a list of lines: parse, edit and serialize without losing
 * anything the code does not understand. Session-level lines come first, then
 * one section per `m=` line; every line keeps its position, so
 * `serializeSdp(parseSdp(x).value)` reproduces a well-formed CRLF input byte for
 * byte.
 *
 * Parsers return a {@linkcode Result} instead of throwing: SDP arrives from the
 * network and hostile input must never escape as an exception.
 *
 * @module
 */

/** Outcome of parsing untrusted text: the value, or why it was rejected. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: string };

/** One `<type>=<value>` line, e.g. `{ type: "a", value: "mid:audio" }`. */
export interface SdpLine {
  /** The single lowercase letter before `=`. */
  type: string;
  /** Everything after `=`, trailing whitespace removed. */
  value: string;
}

/** A media section: its `m=` line first, then the lines up to the next `m=`. */
export type SdpSection = SdpLine[];

/** A parsed session description. */
export interface Sdp {
  /** Lines before the first `m=`, starting with `v=0`. */
  session: SdpLine[];
  /** One entry per `m=` line, in order. */
  media: SdpSection[];
}

/** Upper bound on accepted input; real offers are ~1.5 KB. */
export const MAX_SDP_LENGTH = 65_536;

const LINE = /^([a-z])=(.*)$/;
// RFC 8866 forbids NUL, CR and LF inside a value; any other C0 control is hostile too.
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;

/** Quotes untrusted text for an error message, cut to 120 characters. */
export function excerpt(text: string): string {
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text);
}

/**
 * Parses an SDP. Accepts LF or CRLF line endings, ignores blank lines and
 * trailing whitespace, and keeps every other line (known or not) in order.
 */
export function parseSdp(text: string): Result<Sdp> {
  if (typeof text !== "string") return { ok: false, error: "SDP must be a string" };
  if (text.length > MAX_SDP_LENGTH) {
    return { ok: false, error: `SDP is ${text.length} characters, limit is ${MAX_SDP_LENGTH}` };
  }
  const session: SdpLine[] = [];
  const media: SdpSection[] = [];
  let current = session;
  const rows = text.split("\n");
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!.trimEnd(); // also drops the CR of CRLF
    if (row === "") continue;
    if (CONTROL.test(row)) {
      return { ok: false, error: `line ${i + 1} contains a control character` };
    }
    const match = LINE.exec(row);
    if (!match) {
      return {
        ok: false,
        error: `line ${i + 1}: expected "<letter>=<value>", got ${excerpt(row)}`,
      };
    }
    const line = { type: match[1]!, value: match[2]! };
    if (session.length === 0 && !(line.type === "v" && line.value === "0")) {
      return { ok: false, error: `SDP must start with "v=0", got ${excerpt(row)}` };
    }
    if (line.type === "m") {
      current = [];
      media.push(current);
    }
    current.push(line);
  }
  if (session.length === 0) return { ok: false, error: "SDP is empty" };
  return { ok: true, value: { session, media } };
}

/** Serializes with CRLF after every line, including the last. */
export function serializeSdp(sdp: Sdp): string {
  let out = "";
  for (const line of sdp.session) out += `${line.type}=${line.value}\r\n`;
  for (const section of sdp.media) {
    for (const line of section) out += `${line.type}=${line.value}\r\n`;
  }
  return out;
}

/** Builds an `a=` line: `a=name` for a flag, `a=name:value` otherwise. */
export function attribute(name: string, value?: string): SdpLine {
  return { type: "a", value: value === undefined ? name : `${name}:${value}` };
}

/**
 * Splits an `a=` line into name and value; `value` is `undefined` for a flag
 * such as `a=rtcp-mux`. Returns `undefined` for other line types.
 */
export function splitAttribute(
  line: SdpLine,
): { name: string; value: string | undefined } | undefined {
  if (line.type !== "a") return undefined;
  const colon = line.value.indexOf(":");
  if (colon < 0) return { name: line.value, value: undefined };
  return { name: line.value.slice(0, colon), value: line.value.slice(colon + 1) };
}

function isAttribute(line: SdpLine, name: string): boolean {
  return line.type === "a" &&
    line.value.startsWith(name) &&
    (line.value.length === name.length || line.value[name.length] === ":");
}

/** Values of every `a=name` line, in order (`""` for a flag). */
export function getAttributes(lines: readonly SdpLine[], name: string): string[] {
  const values: string[] = [];
  for (const line of lines) {
    if (isAttribute(line, name)) values.push(line.value.slice(name.length + 1));
  }
  return values;
}

/** Value of the first `a=name` line (`""` for a flag), or `undefined` if absent. */
export function getAttribute(lines: readonly SdpLine[], name: string): string | undefined {
  const line = lines.find((l) => isAttribute(l, name));
  return line === undefined ? undefined : line.value.slice(name.length + 1);
}

/** True when an `a=name` line is present. */
export function hasAttribute(lines: readonly SdpLine[], name: string): boolean {
  return lines.some((l) => isAttribute(l, name));
}

/**
 * Returns `lines` with `replacement` in place of the first line that `match`es,
 * the other matching lines dropped, and `replacement` appended if none matched.
 */
export function upsertLine(
  lines: readonly SdpLine[],
  match: (line: SdpLine) => boolean,
  replacement: SdpLine,
): SdpLine[] {
  let placed = false;
  const out = lines.flatMap((line) => {
    if (!match(line)) return [line];
    if (placed) return [];
    placed = true;
    return [replacement];
  });
  if (!placed) out.push(replacement);
  return out;
}

/** Returns `lines` with exactly one `a=name[:value]`, where the first one was (else appended). */
export function setAttribute(lines: readonly SdpLine[], name: string, value?: string): SdpLine[] {
  return upsertLine(lines, (l) => isAttribute(l, name), attribute(name, value));
}

/**
 * Returns `lines` without the `a=name` lines, or only without those whose value
 * (`""` for a flag) satisfies `matches`.
 */
export function removeAttribute(
  lines: readonly SdpLine[],
  name: string,
  matches: (value: string) => boolean = () => true,
): SdpLine[] {
  return lines.filter((l) => !(isAttribute(l, name) && matches(l.value.slice(name.length + 1))));
}

function integer(token: string | undefined, max: number): number | undefined {
  if (token === undefined || !/^\d{1,10}$/.test(token)) return undefined;
  const n = Number(token);
  return n <= max ? n : undefined;
}

function tokens(value: string): string[] {
  const trimmed = value.trim();
  return trimmed === "" ? [] : trimmed.split(/[ \t]+/);
}

/** An `m=` line: `m=<media> <port>[/<count>] <proto> <fmt> ...`. */
export interface MediaLine {
  media: string;
  port: number;
  /** The `/<count>` suffix of the port, when present. */
  portCount?: number;
  proto: string;
  /** Formats (payload types for RTP), as written. */
  formats: string[];
}

/** Parses the value of an `m=` line. */
export function parseMediaLine(value: string): Result<MediaLine> {
  const [media, portField, proto, ...formats] = tokens(value);
  if (media === undefined || portField === undefined || proto === undefined) {
    return { ok: false, error: `m= line needs media, port and proto, got ${excerpt(value)}` };
  }
  const [portText, countText, extra] = portField.split("/");
  const port = integer(portText, 65535);
  const portCount = countText === undefined ? undefined : integer(countText, 65535);
  if (
    port === undefined || (countText !== undefined && portCount === undefined) ||
    extra !== undefined
  ) {
    return { ok: false, error: `m= line has an invalid port ${excerpt(portField)}` };
  }
  return {
    ok: true,
    value: portCount === undefined
      ? { media, port, proto, formats }
      : { media, port, portCount, proto, formats },
  };
}

/** Formats an {@linkcode MediaLine} as the value of an `m=` line. */
export function formatMediaLine(m: MediaLine): string {
  const port = m.portCount === undefined ? `${m.port}` : `${m.port}/${m.portCount}`;
  return [m.media, port, m.proto, ...m.formats].join(" ");
}

/** An `a=rtpmap:<pt> <name>/<clock>[/<channels>]` value. */
export interface Rtpmap {
  payloadType: number;
  /** Encoding name as written (compare case-insensitively). */
  encodingName: string;
  clockRate: number;
  channels?: number;
}

/** Parses the value of an `a=rtpmap` attribute (after `rtpmap:`). */
export function parseRtpmap(value: string): Result<Rtpmap> {
  const [ptText, encoding, ...rest] = tokens(value);
  const payloadType = integer(ptText, 127);
  if (payloadType === undefined || encoding === undefined || rest.length > 0) {
    return {
      ok: false,
      error: `rtpmap must be "<pt> <name>/<clock>[/<channels>]", got ${excerpt(value)}`,
    };
  }
  const [encodingName, clockText, channelText, extra] = encoding.split("/");
  const clockRate = integer(clockText, 0xffffffff);
  const channels = channelText === undefined ? undefined : integer(channelText, 255);
  if (
    !encodingName || clockRate === undefined || extra !== undefined ||
    (channelText !== undefined && channels === undefined)
  ) {
    return { ok: false, error: `rtpmap has an invalid encoding ${excerpt(encoding)}` };
  }
  return {
    ok: true,
    value: channels === undefined
      ? { payloadType, encodingName, clockRate }
      : { payloadType, encodingName, clockRate, channels },
  };
}

/** An `a=fmtp:<pt> <parameters>` value. */
export interface Fmtp {
  payloadType: number;
  /** The parameter string exactly as written, e.g. `minptime=10;useinbandfec=1`. */
  parameters: string;
}

/** Parses the value of an `a=fmtp` attribute (after `fmtp:`). */
export function parseFmtp(value: string): Result<Fmtp> {
  const match = /^(\d{1,3})(?:[ \t]+(.*))?$/.exec(value);
  const payloadType = integer(match?.[1], 127);
  if (!match || payloadType === undefined) {
    return { ok: false, error: `fmtp must be "<pt> <parameters>", got ${excerpt(value)}` };
  }
  return { ok: true, value: { payloadType, parameters: match[2] ?? "" } };
}

/** An `a=rtcp-fb:<pt|*> <type> [<subtype>]` value. */
export interface RtcpFb {
  /** `"*"` applies to every payload type. */
  payloadType: number | "*";
  /** The feedback type and parameters, e.g. `transport-cc` or `nack pli`. */
  feedback: string;
}

/** Parses the value of an `a=rtcp-fb` attribute (after `rtcp-fb:`). */
export function parseRtcpFb(value: string): Result<RtcpFb> {
  const match = /^(\*|\d{1,3})[ \t]+(\S.*)$/.exec(value);
  const payloadType = match?.[1] === "*" ? "*" : integer(match?.[1], 127);
  if (!match || payloadType === undefined) {
    return { ok: false, error: `rtcp-fb must be "<pt|*> <feedback>", got ${excerpt(value)}` };
  }
  return { ok: true, value: { payloadType, feedback: match[2]! } };
}

/** An ICE candidate (RFC 8839 §5.1). */
export interface Candidate {
  foundation: string;
  /** 1 = RTP, 2 = RTCP. */
  component: number;
  /** `udp` or `tcp` as written (compare case-insensitively). */
  transport: string;
  priority: number;
  /** IP address, FQDN or mDNS name. */
  address: string;
  port: number;
  /** `host`, `srflx`, `prflx`, `relay`, … */
  type: string;
  relatedAddress?: string;
  relatedPort?: number;
  /** `active`, `passive` or `so` for TCP candidates. */
  tcpType?: string;
  /** Other `name value` pairs (e.g. `generation 0`, `network-cost 50`), in order. */
  extensions: [string, string][];
}

/**
 * Parses the value of an `a=candidate` attribute (after `candidate:`; a
 * leading `candidate:` is accepted too, as trickle JSON carries it).
 */
export function parseCandidate(value: string): Result<Candidate> {
  const fields = tokens(value.startsWith("candidate:") ? value.slice(10) : value);
  const fail = (why: string): Result<Candidate> => ({
    ok: false,
    error: `candidate ${excerpt(value)}: ${why}`,
  });
  if (fields.length < 8) return fail("needs at least 8 fields");
  const [foundation, componentText, transport, priorityText, address, portText, typ, type] =
    fields as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
  const component = integer(componentText, 256);
  if (component === undefined || component < 1) {
    return fail(`invalid component ${excerpt(componentText)}`);
  }
  const priority = integer(priorityText, 0xffffffff);
  if (priority === undefined) return fail(`invalid priority ${excerpt(priorityText)}`);
  const port = integer(portText, 65535);
  if (port === undefined) return fail(`invalid port ${excerpt(portText)}`);
  if (typ !== "typ") return fail(`expected "typ" before the candidate type, got ${excerpt(typ)}`);
  const candidate: Candidate = {
    foundation,
    component,
    transport,
    priority,
    address,
    port,
    type,
    extensions: [],
  };
  const rest = fields.slice(8);
  if (rest.length % 2 !== 0) {
    return fail(`extension ${excerpt(rest[rest.length - 1]!)} has no value`);
  }
  for (let i = 0; i < rest.length; i += 2) {
    const name = rest[i]!;
    const field = rest[i + 1]!;
    if (name === "raddr") candidate.relatedAddress = field;
    else if (name === "rport") {
      const relatedPort = integer(field, 65535);
      if (relatedPort === undefined) return fail(`invalid rport ${excerpt(field)}`);
      candidate.relatedPort = relatedPort;
    } else if (name === "tcptype") candidate.tcpType = field;
    else candidate.extensions.push([name, field]);
  }
  return { ok: true, value: candidate };
}

/** Formats a {@linkcode Candidate} as the value of an `a=candidate` attribute. */
export function formatCandidate(c: Candidate): string {
  const parts = [
    c.foundation,
    c.component,
    c.transport,
    c.priority,
    c.address,
    c.port,
    "typ",
    c.type,
  ];
  if (c.relatedAddress !== undefined) parts.push("raddr", c.relatedAddress);
  if (c.relatedPort !== undefined) parts.push("rport", c.relatedPort);
  if (c.tcpType !== undefined) parts.push("tcptype", c.tcpType);
  for (const [name, value] of c.extensions) parts.push(name, value);
  return parts.join(" ");
}
