/**
 * The one way the functions read JSON: the text parsed, then checked with a
 * zod schema's `safeParse`. A request body that fails answers 413 (too
 * large) or 400, the 400 naming the fields at fault, never their values.
 *
 * @module
 */

import type { z } from "zod";
import { MAX_WEBHOOK_BODY_BYTES, readBodyLimited } from "./body.ts";
import { issueLines } from "../../../lib/bridge_api/schema.ts";

/** JSON text checked against a schema: the value, or why not. */
export type JsonResult<T> =
  | { ok: true; data: T }
  | { ok: false; reason: "not_json" }
  /** `json` is the parsed value the schema refused. */
  | { ok: false; reason: "invalid"; json: unknown; issues: string[] };

/** A request body read with {@link readJsonBody}: the value, or the response refusing it. */
export type JsonBody<T> = { ok: true; data: T } | { ok: false; response: Response };

/** Parses `text` and checks it with `schema`; never throws. */
export function parseJson<Schema extends z.ZodType>(
  text: string,
  schema: Schema,
): JsonResult<z.output<Schema>> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: "not_json" };
  }
  const parsed = schema.safeParse(json);
  return parsed.success
    ? { ok: true, data: parsed.data }
    : { ok: false, reason: "invalid", json, issues: issueLines(parsed.error) };
}

/** Reads `req`'s body under `maxBytes` and checks it with `schema`. */
export async function readJsonBody<Schema extends z.ZodType>(
  req: Request,
  schema: Schema,
  maxBytes: number = MAX_WEBHOOK_BODY_BYTES,
): Promise<JsonBody<z.output<Schema>>> {
  const body = await readBodyLimited(req, maxBytes);
  if (!body.ok) return refuse(413, { error: "body too large" });
  const parsed = parseJson(new TextDecoder().decode(body.bytes), schema);
  if (parsed.ok) return parsed;
  return refuse(
    400,
    parsed.reason === "not_json"
      ? { error: "body is not JSON" }
      : { error: "invalid body", issues: parsed.issues },
  );
}

function refuse(status: 400 | 413, body: { error: string; issues?: string[] }): JsonBody<never> {
  return { ok: false, response: Response.json(body, { status }) };
}
