/**
 * What the internal APIs (`wa-call-permissions`, `wa-outbound-calls`,
 * `wa-webhook-voice-calls`) share around their own logic: the service role
 * bearer check, JSON problem answers, the sub-path under the function's name
 * and the `Idempotency-Key` replay rules. One copy, so the functions cannot
 * drift apart on who is let in or what a retry gets back.
 *
 * @module
 */

import { bearerMatches } from "../../../lib/auth/secret.ts";
import { z } from "zod";
import type { Store } from "../../../store/store.ts";
import { envErrorResponse, type EnvResult, type RawEnv, requireEnv } from "./env.ts";
import { readJsonBody } from "./json_body.ts";

/** What every internal API's handler is built from; tests hand in fakes. */
export interface ServiceDeps {
  /** Raw environment; read per request so a missing variable is a 500 naming it. */
  env: RawEnv;
  store: () => Promise<Store>;
  /** Used by the clients built from `env`. */
  fetch?: typeof fetch;
  /** Unix ms. Default `Date.now`. */
  now?: () => number;
}

/** `Idempotency-Key`: printable ASCII, as the IETF draft and Stripe use it. */
export const IdempotencyKeySchema = z.string().regex(/^[\x21-\x7e]{1,255}$/, {
  error: "Idempotency-Key must be 1-255 printable ASCII characters",
});

/** A JSON error answer: `{ error, ...extra }` with `status`. */
export function problem(
  status: number,
  error: string,
  extra: Record<string, unknown> = {},
): Response {
  return Response.json({ error, ...extra }, { status });
}

/**
 * `null` when `req` presents the service role key as its bearer token
 * (compared in constant time); otherwise the answer to send: 500 naming the
 * missing variable, or 401 with the unread body discarded.
 */
export async function refuseUnlessServiceRole(
  parsed: EnvResult,
  req: Request,
): Promise<Response | null> {
  const auth = requireEnv(parsed, ["SUPABASE_SERVICE_ROLE_KEY"]);
  if (!auth.ok) return envErrorResponse(auth.problems);
  if (await bearerMatches(req.headers.get("authorization"), auth.env.SUPABASE_SERVICE_ROLE_KEY)) {
    return null;
  }
  await req.body?.cancel();
  return problem(401, "unauthorized");
}

/** The path after `/<name>` in `req`'s URL, trailing slashes dropped (`""` for the root). */
export function functionSubPath(req: Request, name: string): string {
  const path = new URL(req.url).pathname.replace(/\/+$/, "");
  return path.slice(path.indexOf(name) + name.length);
}

/** Lowercase hex SHA-256 of `text`'s UTF-8 bytes. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** An idempotent POST as read by {@link readIdempotentPost}. */
export interface IdempotentPost<T> {
  key: string;
  data: T;
  /** The body's `phone_number_id`, else `WHATSAPP_PHONE_NUMBER_ID`. */
  phoneNumberId: string;
}

/**
 * Reads a POST that must carry an `Idempotency-Key`: the key, the body
 * checked with `schema`, and the business number (the body's, else
 * `defaultPhoneNumberId`); or the 400/413 refusing it.
 */
export async function readIdempotentPost<T extends { phone_number_id?: string | undefined }>(
  req: Request,
  schema: z.ZodType<T>,
  defaultPhoneNumberId: string | undefined,
): Promise<{ ok: true; post: IdempotentPost<T> } | { ok: false; response: Response }> {
  const key = await idempotencyKey(req);
  if (!key.ok) return key;
  const body = await readJsonBody(req, schema);
  if (!body.ok) return body;
  const phoneNumberId = body.data.phone_number_id ?? defaultPhoneNumberId;
  if (phoneNumberId === undefined) return { ok: false, response: phoneNumberIdRequired() };
  return { ok: true, post: { key: key.key, data: body.data, phoneNumberId } };
}

/** The request's `Idempotency-Key`, or the 400 to answer (body discarded). */
export async function idempotencyKey(
  req: Request,
): Promise<{ ok: true; key: string } | { ok: false; response: Response }> {
  const key = IdempotencyKeySchema.safeParse(req.headers.get("idempotency-key") ?? "");
  if (key.success) return { ok: true, key: key.data };
  await req.body?.cancel();
  return {
    ok: false,
    response: problem(400, "idempotency_key_required", { detail: key.error.issues[0]?.message }),
  };
}

/** A request already stored under the same `Idempotency-Key`. */
export interface StoredIdempotentRequest {
  /** Hash of the first request's content. */
  requestHash: string | null;
  /** Still being handled by the first request. */
  pending: boolean;
  /** The first answer, `{ status, body }`, once it is not pending. */
  response: unknown;
}

/**
 * The answer to a retry: 422 when the key came with other content, 409 while
 * the first request is still in progress, else the first answer replayed
 * with `idempotent-replayed: true`.
 */
export function replayIdempotent(stored: StoredIdempotentRequest, requestHash: string): Response {
  if (stored.requestHash !== requestHash) return problem(422, "idempotency_key_reused");
  if (stored.pending) return problem(409, "request_in_progress");
  const replay = stored.response as { status: number; body: unknown };
  return Response.json(replay.body, {
    status: replay.status,
    headers: { "idempotent-replayed": "true" },
  });
}

/** 400 when a request names no business number and `WHATSAPP_PHONE_NUMBER_ID` is unset. */
export function phoneNumberIdRequired(): Response {
  return problem(400, "phone_number_id_required", {
    detail: "name phone_number_id or set WHATSAPP_PHONE_NUMBER_ID",
  });
}
