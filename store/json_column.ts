/**
 * A JSON column as the backends hand it back: PostgreSQL's driver parses
 * `jsonb`, while a text column or another driver may give the JSON text.
 *
 * @module
 */

import { z } from "zod";

/** Zod for a JSON column: a string is parsed when it is JSON, else kept as is. */
export const jsonColumn: z.ZodType<unknown> = z.unknown().transform((v) => {
  if (typeof v !== "string") return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
});
