/**
 * The one way the bridge's routes validate input: Hono's validator running a
 * zod schema from `lib/bridge_api/schema.ts`. A request the schema refuses
 * gets 400 naming the fields at fault; the handler reads the typed value with
 * `c.req.valid("json")`, `c.req.valid("param")` or `c.req.valid("header")`.
 *
 * The body is read whatever its content type says: an empty one is `{}` (a
 * bare `DELETE`), and one that is not JSON gets 400.
 *
 * @module
 */
import type { Context, Env, MiddlewareHandler } from "hono";
import { validator } from "hono/validator";
import type { z } from "zod";
import { invalidRequestBody } from "../../lib/bridge_api/schema.ts";

/** The validation function: the parsed value, or the 400 naming what `schema` refused. */
function check<Schema extends z.ZodType>(schema: Schema, what: "body" | "path" | "headers") {
  return (value: unknown, c: Context): z.output<Schema> | Response => {
    const parsed = schema.safeParse(value);
    return parsed.success ? parsed.data : c.json(invalidRequestBody(what, parsed.error), 400);
  };
}

/** Validates the JSON body with `schema`. */
export function zodJson<Schema extends z.ZodType>(schema: Schema): MiddlewareHandler<
  Env,
  string,
  { in: { json: z.input<Schema> }; out: { json: z.output<Schema> } }
> {
  const validate = check(schema, "body");
  return async (c, next) => {
    // Hono's own json validator reads nothing without a JSON content type, and
    // refuses an empty body with one; a client's bare DELETE must work either way.
    const text = await c.req.text();
    let value: unknown = {};
    if (text.trim() !== "") {
      try {
        value = JSON.parse(text);
      } catch {
        return c.json({ error: "body is not JSON" }, 400);
      }
    }
    const result = validate(value, c);
    if (result instanceof Response) return result;
    c.req.addValidatedData("json", result as object);
    await next();
  };
}

/** Validates the path parameters with `schema`. */
export const zodParam = <Schema extends z.ZodType>(schema: Schema) =>
  validator("param", check(schema, "path"));

/** Validates the request headers with `schema` (names lowercased). */
export const zodHeader = <Schema extends z.ZodType>(schema: Schema) =>
  validator("header", check(schema, "headers"));
