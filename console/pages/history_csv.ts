/**
 * The history as CSV (RFC 4180): CRLF line ends, a field quoted when it
 * holds a comma, a quote, CR or LF, quotes doubled. Safe to open in a
 * spreadsheet: a cell starting with `=`, `+`, `-`, `@` (or tab / CR, which
 * some spreadsheets skip before a formula) gets a leading `'`, so a caller's
 * words or a profile name can never run as a formula (OWASP "CSV Injection").
 * Streamed a batch at a time, so 100,000 calls never sit in memory.
 *
 * @module
 */
import type { CallHistoryRow } from "../../store/call_history.ts";

/** One side of a call as the reader may see it (`call_format.ts` partyLabel). */
export type PartyOf = (row: CallHistoryRow, side: "from" | "to") => string;

/** Characters that make a spreadsheet read a cell as a formula. */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One field, quoted when needed and defused when it could be a formula. */
export function csvCell(value: string | number | null): string {
  if (value === null) return "";
  let text = String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One record: fields joined by commas, ended by CRLF. */
export function csvLine(values: readonly (string | number | null)[]): string {
  return `${values.map(csvCell).join(",")}\r\n`;
}

/** The export's columns, in order. */
export const CSV_HEADER = [
  "call_id",
  "started_at",
  "direction",
  "from",
  "to",
  "phone_number_id",
  "test_call",
  "status",
  "duration_seconds",
  "end_reason",
  "meta_error_code",
  "outcome",
  "cost_usd",
] as const;

/**
 * The record of `row`; `party` renders a side as the user may see it (`—`,
 * nothing known, is an empty cell).
 */
export function csvRecord(row: CallHistoryRow, party: PartyOf): string {
  const side = (s: "from" | "to") => {
    const label = party(row, s);
    return label === "—" ? null : label;
  };
  const started = row.offeredAt ?? row.createdAt;
  return csvLine([
    row.callId,
    started.toISOString(),
    row.direction,
    side("from"),
    side("to"),
    row.phoneNumberId,
    row.testCall ? "true" : "false",
    row.status,
    row.durationSeconds,
    row.endReason,
    row.metaErrorCode,
    row.outcome,
    row.costUsd,
  ]);
}

/** A byte stream of the whole CSV: the header, then each batch as it is read. */
export function csvStream(
  batches: AsyncIterable<CallHistoryRow[]>,
  party: PartyOf,
  onDone: (rows: number) => void = () => {},
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const iterator = batches[Symbol.asyncIterator]();
  let rows = 0;
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(encoder.encode(csvLine(CSV_HEADER)));
        return;
      }
      const next = await iterator.next();
      if (next.done) {
        onDone(rows);
        controller.close();
        return;
      }
      rows += next.value.length;
      controller.enqueue(encoder.encode(next.value.map((r) => csvRecord(r, party)).join("")));
    },
    async cancel() {
      await iterator.return?.(undefined);
    },
  });
}
