/**
 * Whether a number answers at an instant, from its call hours: the instant is
 * turned into the number's local wall-clock time with `Intl` in its IANA time
 * zone, so daylight-saving changes move the opening hours with the clocks
 * (a 09:00 opening is 09:00 local on both sides of a change).
 *
 * @module
 */
import { type CallHours, clockMinutes, type Weekday } from "./schema.ts";

/** An instant's local date, weekday and minute of the day in a time zone. */
export interface LocalTime {
  /** `YYYY-MM-DD`. */
  date: string;
  weekday: Weekday;
  /** Minutes after local midnight, 0–1439. */
  minutes: number;
}

const WEEKDAY_BY_SHORT: Readonly<Record<string, Weekday>> = {
  Mon: "mon",
  Tue: "tue",
  Wed: "wed",
  Thu: "thu",
  Fri: "fri",
  Sat: "sat",
  Sun: "sun",
};

/** Formatters are costly to build; a bridge sees few time zones. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      weekday: "short",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      // h23: midnight is 00, never 24 as some `hour12: false` renderings give.
      hourCycle: "h23",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** `instant` as wall-clock time in `timeZone` (throws a RangeError for an unknown zone). */
export function localTime(timeZone: string, instant: Date): LocalTime {
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(instant)) parts[p.type] = p.value;
  const weekday = WEEKDAY_BY_SHORT[parts.weekday ?? ""];
  if (!weekday) throw new RangeError(`unexpected weekday ${parts.weekday}`);
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    weekday,
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
  };
}

/**
 * Whether calls are answered at `instant`: not on a holiday (a local date),
 * and within one of the weekday's intervals, `open` included and `close`
 * excluded. `undefined` hours mean always open.
 */
export function isOpen(hours: CallHours | undefined, instant: Date): boolean {
  if (!hours) return true;
  const local = localTime(hours.timeZone, instant);
  if (hours.holidays?.includes(local.date)) return false;
  const intervals = hours.weekly[local.weekday] ?? [];
  return intervals.some((i) =>
    clockMinutes(i.open)! <= local.minutes && local.minutes < clockMinutes(i.close)!
  );
}
