/**
 * The history's query string, checked with zod: the filters of
 * `store/call_history.ts` as a form sends them (empty fields mean "any"), the
 * page cursors, and links that keep the filters while moving pages.
 *
 * @module
 */
import { z } from "zod";
import { CALL_STATUSES } from "../../store/store.ts";
import {
  type CallHistoryFilter,
  type HistoryCursor,
  TEST_CALL_CHOICES,
} from "../../store/call_history.ts";

/** Rows per page unless `limit` says otherwise. */
export const DEFAULT_PAGE_SIZE = 50;

// A form leaves untouched fields empty: those filter nothing.
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess(
    (v) => (typeof v === "string" && v.trim() === "" ? undefined : v),
    schema.optional(),
  );

const day = z.string().trim().regex(/^\d{4}-\d{2}-\d{2}$/, "use a date like 2026-12-07")
  .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)), "not a calendar date");

/** A cursor as it travels in a link: base64url of `[createdAt, callId]`. */
const cursorSchema = z.string().max(600).transform((s, ctx): HistoryCursor => {
  try {
    const bytes = Uint8Array.from(
      atob(s.replaceAll("-", "+").replaceAll("_", "/")),
      (ch) => ch.charCodeAt(0),
    );
    const parsed = z.tuple([
      z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/),
      z.string().min(1).max(256),
    ]).parse(JSON.parse(new TextDecoder().decode(bytes)));
    return { at: parsed[0], callId: parsed[1] };
  } catch {
    ctx.addIssue({
      code: "custom",
      message: "not a page of this list: start again from the first page",
    });
    return z.NEVER;
  }
});

/** The query string of `GET /calls` and `GET /calls.csv`. */
export const historyQuerySchema = z.object({
  from: optional(day),
  to: optional(day),
  number: optional(
    z.string().trim().transform((s) => s.replace(/[\s().-]/g, "").replace(/^\+/, ""))
      .pipe(
        z.string().regex(/^\d{3,20}$/, "digits only, like 4915112345678 (a + and spaces are fine)"),
      ),
  ),
  direction: optional(z.enum(["user_initiated", "business_initiated"])),
  status: optional(z.enum(CALL_STATUSES)),
  outcome: optional(z.string().trim().max(100)),
  q: optional(
    z.string().trim().max(200, "at most 200 characters")
      .refine((s) => /[\p{L}\p{N}]/u.test(s), "needs at least one letter or digit"),
  ),
  /** Test calls: absent or `include` lists them (badged), `exclude` hides them, `only` alone. */
  tests: optional(z.enum(TEST_CALL_CHOICES)),
  after: optional(cursorSchema),
  before: optional(cursorSchema),
  limit: optional(z.coerce.number().int().min(10).max(200)),
}).refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, {
  message: "the first day comes after the last day",
  path: ["to"],
}).refine((q) => q.after === undefined || q.before === undefined, {
  message: "one direction at a time",
  path: ["before"],
});

/** A checked history query. */
export type HistoryQuery = z.infer<typeof historyQuerySchema>;

/** The fields a viewer's filter form names differently (see {@linkcode toFilter}). */
export const FIELD_LABELS: Readonly<Record<string, string>> = {
  from: "From day",
  to: "To day",
  number: "Number",
  direction: "Direction",
  status: "Status",
  outcome: "Outcome",
  q: "Words in the transcript",
  tests: "Test calls",
  after: "Page",
  before: "Page",
  limit: "Rows per page",
};

/** Each problem of a failed parse as "Field: message". */
export function queryProblems(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const field = String(issue.path[0] ?? "");
    return `${FIELD_LABELS[field] ?? "Query"}: ${issue.message}`;
  });
}

/**
 * The store filter of `query`. Days are UTC: `to` includes its whole day.
 * `businessOnly` (viewers): a number matches the business's id only.
 */
export function toFilter(query: HistoryQuery, businessOnly: boolean): CallHistoryFilter {
  const dayMs = 86_400_000;
  return {
    since: query.from === undefined ? undefined : new Date(`${query.from}T00:00:00Z`),
    until: query.to === undefined
      ? undefined
      : new Date(Date.parse(`${query.to}T00:00:00Z`) + dayMs),
    number: query.number,
    numberScope: businessOnly ? "business" : "any",
    direction: query.direction,
    status: query.status,
    outcome: query.outcome,
    text: query.q,
    testCalls: query.tests,
  };
}

/** A cursor as a link carries it. */
export function encodeCursor(cursor: HistoryCursor): string {
  const json = new TextEncoder().encode(JSON.stringify([cursor.at, cursor.callId]));
  return btoa(String.fromCharCode(...json)).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
}

/** The filters of `query` as URL parameters (no cursor), for links and the export. */
export function filterParams(query: HistoryQuery): URLSearchParams {
  const params = new URLSearchParams();
  for (
    const key of [
      "from",
      "to",
      "number",
      "direction",
      "status",
      "outcome",
      "q",
      "tests",
    ] as const
  ) {
    const value = query[key];
    if (value !== undefined) params.set(key, value);
  }
  if (query.limit !== undefined) params.set("limit", String(query.limit));
  return params;
}

/** `path?filters&<dir>=<cursor>`. */
export function pageLink(
  path: string,
  query: HistoryQuery,
  move?: { dir: "after" | "before"; cursor: HistoryCursor },
): string {
  const params = filterParams(query);
  if (move) params.set(move.dir, encodeCursor(move.cursor));
  const text = params.toString();
  return text === "" ? path : `${path}?${text}`;
}
