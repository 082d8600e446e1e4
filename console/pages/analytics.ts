/**
 * Analytics: per local day and per WhatsApp number over a date range in a
 * time zone, the calls, how they ended, talk time, turn latency p50/p95,
 * cost, outcomes and end reasons (`store/call_analytics.ts`).
 *
 *   GET /analytics?from=YYYY-MM-DD&to=YYYY-MM-DD&tz=Area/City&number=<phone_number_id>
 *
 * Every field is optional: the last 30 days in UTC, every number. Tables
 * carry every figure and work without JavaScript; `static/analytics.js` draws
 * charts from the tables with uPlot (served locally under `/static/vendor/`).
 *
 * @module
 */
import { Hono } from "hono";
import { z } from "zod";
import type { ConsoleDeps, ConsoleEnv } from "../server/context.ts";
import { renderPage } from "../server/layout.ts";
import { type CallAnalytics, localDays } from "../../store/call_analytics.ts";
import { analyticsBody, type AnalyticsForm } from "./analytics_view.ts";
import { isTimeZone } from "../../lib/agent_settings/schema.ts";

/** The range shown without a `from`, in days, today included. */
export const DEFAULT_RANGE_DAYS = 30;

const DAY = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "a day as YYYY-MM-DD");

/** The query string; an empty field counts as absent (a form sends every field). */
export const AnalyticsQuerySchema = z.object({
  from: DAY.optional(),
  to: DAY.optional(),
  tz: z.string().max(64).regex(
    /^[A-Za-z][A-Za-z0-9_+\-/]*$/,
    "an IANA time zone like Europe/London",
  )
    .refine(isTimeZone, "an unknown time zone").optional(),
  number: z.string().regex(/^\d{1,32}$/, "a phone_number_id (digits)").optional(),
});

/** The local day (`YYYY-MM-DD`) of `at` in `timeZone`. */
export function dayIn(at: Date, timeZone: string): string {
  // en-CA formats dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(at);
}

/** `day` moved by `days` (negative: back). */
export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

type Resolved = { ok: true; form: AnalyticsForm } | {
  ok: false;
  form: AnalyticsForm;
  errors: string[];
};

/** The form as given, defaults filled in, or what is wrong with it. */
export function resolveQuery(raw: Record<string, string>, now: Date): Resolved {
  const given = Object.fromEntries(Object.entries(raw).filter(([, v]) => v.trim() !== ""));
  const parsed = AnalyticsQuerySchema.safeParse(given);
  const echo: AnalyticsForm = {
    from: raw.from ?? "",
    to: raw.to ?? "",
    tz: raw.tz ?? "UTC",
    number: raw.number ?? "",
  };
  if (!parsed.success) {
    const errors = parsed.error.issues.map((i) => `${fieldName(i.path[0])}: ${i.message}`);
    return { ok: false, form: echo, errors };
  }
  const tz = parsed.data.tz ?? "UTC";
  const to = parsed.data.to ?? dayIn(now, tz);
  const from = parsed.data.from ?? addDays(to, -(DEFAULT_RANGE_DAYS - 1));
  try {
    localDays(from, to);
  } catch (error) {
    const message = error instanceof RangeError ? error.message : String(error);
    return { ok: false, form: { ...echo, from, to, tz }, errors: [`Dates: ${message}`] };
  }
  return { ok: true, form: { from, to, tz, number: parsed.data.number ?? "" } };
}

function fieldName(key: PropertyKey | undefined): string {
  return { from: "From", to: "To", tz: "Time zone", number: "Number" }[String(key)] ?? "Query";
}

/** The page's routes. */
export function analyticsRoutes(deps: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  app.get("/analytics", async (c) => {
    const now = deps.now();
    const resolved = resolveQuery(c.req.query(), now);
    const numbersPromise = deps.store.analyticsNumbers();
    let data: CallAnalytics | null = null;
    let errors = resolved.ok ? [] : resolved.errors;
    if (resolved.ok) {
      const { form } = resolved;
      try {
        data = await deps.store.callAnalytics({
          from: form.from,
          to: form.to,
          timeZone: form.tz,
          phoneNumberId: form.number === "" ? undefined : form.number,
        });
      } catch (error) {
        // A zone this runtime knows but the database does not: the user's input, not a fault.
        if (!/time zone .* not recognized/.test(String(error))) throw error;
        errors = [`Time zone: the database does not know ${form.tz}`];
      }
    }
    const form = resolved.form;
    if (data === null) c.status(400);
    return renderPage(c, {
      title: "Analytics",
      section: "/analytics",
      ...(data === null ? {} : {
        scripts: ["analytics.js"],
        styles: ["vendor/uPlot.min.css", "analytics.css"],
      }),
      body: analyticsBody(c, {
        form,
        errors,
        numbers: await numbersPromise,
        today: dayIn(now, isTimeZone(form.tz) ? form.tz : "UTC"),
        data,
      }),
    });
  });
  return app;
}
