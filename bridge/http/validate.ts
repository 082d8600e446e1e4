/**
 * The one way the bridge's routes validate input: Hono's validator running a
 * zod schema from `lib/bridge_api/schema.ts`. A request the schema refuses
 * gets 400 naming the fields at fault; the handler reads the typed value with
 * `c.req.valid("json")` or `c.req.valid("param")`.
 *
 * A body that is not JSON makes Hono throw a 400 `HTTPException`, which the
 * app's error handler answers.
 *
 * @module
 */
import type { Context } from "hono";
import { validator } from "hono/validator";
import type { z } from "zod";
import { invalidRequestBody } from "../../lib/bridge_api/schema.ts";

/** The validation function: the parsed value, or the 400 naming what `schema` refused. */
function check<Schema extends z.ZodType>(schema: Schema, what: "body" | "path") {
  return (value: unknown, c: Context): z.output<Schema> | Response => {
    const parsed = schema.safeParse(value);
    return parsed.success ? parsed.data : c.json(invalidRequestBody(what, parsed.error), 400);
  };
}

/** Validates the JSON body with `schema`. */
export const zodJson = <Schema extends z.ZodType>(schema: Schema) =>
  validator("json", check(schema, "body"));

/** Validates the path parameters with `schema`. */
export const zodParam = <Schema extends z.ZodType>(schema: Schema) =>
  validator("param", check(schema, "path"));
