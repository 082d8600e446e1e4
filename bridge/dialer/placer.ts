/**
 * How the dialer places a call: through `wa-outbound-calls` over HTTP with
 * the service role key, the same path as the public API, so permission
 * checks, Meta's limits, the offer, Graph `connect` and the key's replay are
 * written once. The Idempotency-Key is the placement's (recipient +
 * placement number): a dialer that resumes another's lapsed lease replays the
 * first answer and never rings the user twice.
 *
 * @module
 */
import { z } from "zod";
import type { CallPurpose } from "../../lib/bridge_api/schema.ts";

/** One call to place. */
export interface Placement {
  phoneNumberId: string;
  user: string;
  purpose?: CallPurpose | undefined;
  idempotencyKey: string;
  bizOpaqueCallbackData: string;
}

/** What placing found. */
export type PlaceResult =
  /** Meta took the call: it rings (or rang, on a replay). */
  | { kind: "placed"; callId: string }
  /** No valid permission: final, nothing rang. */
  | { kind: "no_permission"; detail: string }
  /** Nothing rang; try again later (a limit, the bridge full or down). */
  | { kind: "later"; retryAt?: number | undefined; detail: string }
  /** Meta refused, or its answer is unknown: final for this attempt, never resent. */
  | { kind: "failed"; detail: string }
  /** The key is being placed elsewhere, or the API did not answer: leave the lease to lapse. */
  | { kind: "unsure"; detail: string };

/** Places calls. */
export interface CallPlacer {
  place(p: Placement): Promise<PlaceResult>;
}

const NO_PERMISSION = new Set([
  "no_permission",
  "permission_expired",
  "permission_declined",
  "permission_revoked",
]);

const AnswerSchema = z.looseObject({
  call: z.looseObject({ id: z.string() }).optional(),
  error: z.string().optional(),
  meta_code: z.number().nullable().optional(),
  retry_at: z.union([z.string(), z.number()]).nullable().optional(),
});

/** Reads an answer of `POST /wa-outbound-calls`. */
export function placeResultOf(status: number, body: unknown): PlaceResult {
  const parsed = AnswerSchema.safeParse(body);
  const a = parsed.success ? parsed.data : {};
  const error = a.error ?? `http_${status}`;
  if ((status === 200 || status === 201) && a.call) return { kind: "placed", callId: a.call.id };
  if (NO_PERMISSION.has(error) || a.meta_code === 138006) {
    return { kind: "no_permission", detail: error };
  }
  if (status === 429 || a.meta_code === 138012 || status === 503) {
    const at = a.retry_at == null ? undefined : new Date(a.retry_at).getTime();
    return { kind: "later", retryAt: Number.isFinite(at) ? at : undefined, detail: error };
  }
  if (error === "request_in_progress" || status >= 500 && status !== 502 && status !== 504) {
    return { kind: "unsure", detail: error };
  }
  return { kind: "failed", detail: a.meta_code ? `${error}:${a.meta_code}` : error };
}

/** A placer over `wa-outbound-calls` at `functionsUrl` (…/functions/v1). */
export function httpCallPlacer(opts: {
  functionsUrl: string;
  serviceRoleKey: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}): CallPlacer {
  const doFetch = opts.fetch ?? fetch;
  return {
    async place(p) {
      let res: Response;
      try {
        res = await doFetch(`${opts.functionsUrl.replace(/\/$/, "")}/wa-outbound-calls`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${opts.serviceRoleKey}`,
            "content-type": "application/json",
            "idempotency-key": p.idempotencyKey,
          },
          body: JSON.stringify({
            user: p.user,
            phone_number_id: p.phoneNumberId,
            biz_opaque_callback_data: p.bizOpaqueCallbackData,
            ...(p.purpose === undefined ? {} : { purpose: p.purpose }),
          }),
          signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
        });
      } catch (error) {
        // The request may have reached Meta: only the same key may try again.
        return { kind: "unsure", detail: `fetch_failed: ${String(error).slice(0, 200)}` };
      }
      const body: unknown = await res.json().catch(() => null);
      return placeResultOf(res.status, body);
    },
  };
}
