/**
 * DTMF over RTP (RFC 4733 `telephone-event`): payload parsing and encoding, a
 * detector that turns the redundant packet stream into one digit per key
 * press, and a generator for the packets of one key press.
 *
 * WhatsApp carries DTMF only this way (`telephone-event/8000`, PT 126).
 *
 * @module
 */

/** Event codes 0–15 (RFC 4733 §3.2), in order. */
const DIGITS = "0123456789*#ABCD";

/** A DTMF key. */
export type DtmfDigit =
  | "0"
  | "1"
  | "2"
  | "3"
  | "4"
  | "5"
  | "6"
  | "7"
  | "8"
  | "9"
  | "*"
  | "#"
  | "A"
  | "B"
  | "C"
  | "D";

/** One telephone-event payload (RFC 4733 §2.3). */
export interface TelephoneEvent {
  /** Event code, 0–255. */
  code: number;
  /** The DTMF key for codes 0–15; `null` for any other event (unknown to us). */
  digit: DtmfDigit | null;
  /** E bit: this packet reports the end of the event. */
  end: boolean;
  /** Power level in -dBm0, 0–63 (larger is quieter). */
  volume: number;
  /** Duration so far, in RTP timestamp units since the event's timestamp. */
  duration: number;
}

/** Why a telephone-event payload could not be parsed. */
export interface TelephoneEventParseError {
  /** The payload is shorter than the 4-byte event. */
  code: "truncated";
  message: string;
}

/** Result of {@linkcode parseTelephoneEvent}. */
export type TelephoneEventParseResult =
  | { ok: true; event: TelephoneEvent }
  | { ok: false; error: TelephoneEventParseError };

function digitOf(code: number): DtmfDigit | null {
  return code < DIGITS.length ? (DIGITS[code] as DtmfDigit) : null;
}

/** Parses the first 4-byte event of a telephone-event payload. Never throws. */
export function parseTelephoneEvent(payload: Uint8Array): TelephoneEventParseResult {
  if (payload.length < 4) {
    return {
      ok: false,
      error: { code: "truncated", message: `${payload.length} bytes, need 4` },
    };
  }
  const code = payload[0]!;
  const flags = payload[1]!;
  return {
    ok: true,
    event: {
      code,
      digit: digitOf(code),
      end: (flags & 0x80) !== 0,
      volume: flags & 0x3f,
      duration: (payload[2]! << 8) | payload[3]!,
    },
  };
}

/**
 * Encodes one telephone-event payload.
 *
 * @throws {RangeError} when code, volume or duration is out of its field.
 */
export function encodeTelephoneEvent(
  event: Pick<TelephoneEvent, "code" | "end" | "volume" | "duration">,
): Uint8Array {
  const { code, end, volume, duration } = event;
  if (!(code >= 0 && code <= 255)) throw new RangeError(`event code ${code} not in 0..255`);
  if (!(volume >= 0 && volume <= 63)) throw new RangeError(`volume ${volume} not in 0..63`);
  if (!(duration >= 0 && duration <= 0xffff)) {
    throw new RangeError(`duration ${duration} not in 0..65535`);
  }
  return Uint8Array.of(code, (end ? 0x80 : 0) | volume, duration >>> 8, duration & 0xff);
}

/** A key press reported by {@linkcode DtmfDetector}. */
export interface DtmfDigitEvent {
  digit: DtmfDigit;
  code: number;
  /** RTP timestamp of the event (its start). */
  timestamp: number;
  volume: number;
}

interface SeenEvent {
  timestamp: number;
  code: number;
  /** Largest duration seen, to recognize the next segment of a long event. */
  duration: number;
  ended: boolean;
}

/** How many recent events are remembered to drop their late repeats. */
const HISTORY = 8;

/**
 * Turns telephone-event packets into key presses, each reported exactly once.
 *
 * An event is identified by its RTP timestamp (RFC 4733 §2.5.1: every packet
 * of one event carries the event's start timestamp), so the repeated updates
 * and the usually triple end packets all collapse to it. A digit is reported
 * on the first packet seen of its event, whatever it is: this is the lowest
 * latency, works when the start packets were lost (end-only), and needs no
 * timeout when the end packets are lost. Events over 65535 ticks long are sent
 * as segments whose timestamps continue the previous one (§2.5.1.3); those are
 * recognized as the same key press.
 */
export class DtmfDetector {
  readonly #seen: SeenEvent[] = [];

  /**
   * Offers one telephone-event packet (an {@linkcode RtpPacket} fits) and
   * returns the key press it starts, or `null` for a repeat, a continuation, a
   * non-DTMF event or a malformed payload.
   */
  push(packet: { timestamp: number; payload: Uint8Array }): DtmfDigitEvent | null {
    const parsed = parseTelephoneEvent(packet.payload);
    if (!parsed.ok || parsed.event.digit === null) return null;
    const { code, digit, end, volume, duration } = parsed.event;
    const timestamp = packet.timestamp >>> 0;
    const known = this.#seen.find((e) => e.timestamp === timestamp && e.code === code);
    if (known) {
      known.duration = Math.max(known.duration, duration);
      known.ended ||= end;
      return null;
    }
    const continues = this.#seen.some((e) =>
      e.code === code && !e.ended && ((e.timestamp + e.duration) >>> 0) === timestamp
    );
    this.#seen.push({ timestamp, code, duration, ended: end });
    if (this.#seen.length > HISTORY) this.#seen.shift();
    return continues ? null : { digit, code, timestamp, volume };
  }
}

/** One packet of a generated key press; send all with the same RTP timestamp. */
export interface TelephoneEventPacket {
  payload: Uint8Array;
  /** RTP marker: set on the first packet of the event only. */
  marker: boolean;
  /** Duration field of this packet, in timestamp units. */
  durationTicks: number;
  /** E bit: one of the final (retransmitted) end packets. */
  end: boolean;
}

/** Options of {@linkcode telephoneEventPackets}. */
export interface TelephoneEventOptions {
  /** Key press length (default 100 ms). */
  durationMs?: number;
  /** Power level in -dBm0, 0–63 (default 10). */
  volume?: number;
  /** Interval between updates (default 50 ms, RFC 4733 §2.5.1.2's suggestion). */
  packetIntervalMs?: number;
  /** RTP clock of telephone-event (default 8000). */
  clockRate?: number;
}

/**
 * The packets of one key press (RFC 4733 §2.5.1): updates every
 * `packetIntervalMs` with a growing duration, the first one marked, then the
 * end packet with the full duration sent three times.
 *
 * @throws {RangeError} for a digit other than 0–9, *, #, A–D, a non-positive
 * duration or interval, a duration over 65535 ticks, or a volume not in 0–63.
 */
export function telephoneEventPackets(
  digit: DtmfDigit,
  options: TelephoneEventOptions = {},
): TelephoneEventPacket[] {
  const { durationMs = 100, volume = 10, packetIntervalMs = 50, clockRate = 8000 } = options;
  const code = DIGITS.indexOf(digit);
  if (digit.length !== 1 || code < 0) throw new RangeError(`not a DTMF digit: ${digit}`);
  if (!(durationMs > 0 && packetIntervalMs > 0 && clockRate > 0)) {
    throw new RangeError("durationMs, packetIntervalMs and clockRate must be positive");
  }
  const total = Math.round((durationMs * clockRate) / 1000);
  const step = Math.round((packetIntervalMs * clockRate) / 1000);
  if (total > 0xffff) throw new RangeError(`${total} ticks exceed one event segment (65535)`);
  const packets: TelephoneEventPacket[] = [];
  const add = (durationTicks: number, end: boolean) =>
    packets.push({
      payload: encodeTelephoneEvent({ code, end, volume, duration: durationTicks }),
      marker: packets.length === 0,
      durationTicks,
      end,
    });
  for (let d = step; d < total; d += step) add(d, false);
  for (let i = 0; i < 3; i++) add(total, true);
  return packets;
}
