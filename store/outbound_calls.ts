/**
 * Business-initiated call requests by Idempotency-Key
 * (`wa_outbound_call_requests`): the API reserves the key before anything
 * reaches Graph, so a retried request replays the first answer and never
 * places a second `connect` (which would ring the customer twice).
 *
 * @module
 */
import { z } from "zod";
import { jsonColumn } from "./json_column.ts";
import type { SqlAdapter } from "./adapter.ts";

/** Where a request is. */
export type OutboundCallRequestStatus = "pending" | "placed" | "refused" | "failed" | "unknown";

/** One stored request. */
export interface OutboundCallRequest {
  id: number;
  phoneNumberId: string;
  idempotencyKey: string;
  requestHash: string;
  user: string;
  status: OutboundCallRequestStatus;
  callId: string | null;
  /** The API answer to replay (`{status, body}`), once completed. */
  response: unknown;
}

/** What reserving a key found. */
export type OutboundReserveResult =
  | { kind: "reserved"; request: OutboundCallRequest }
  | { kind: "existing"; request: OutboundCallRequest };

/** The store's outbound call request methods. */
export interface OutboundCallStore {
  /** Reserves the key (status `pending`), or returns the request that already holds it. */
  reserveOutboundCall(input: {
    phoneNumberId: string;
    idempotencyKey: string;
    requestHash: string;
    user: string;
  }): Promise<OutboundReserveResult>;
  /** Records how the request ended and the answer a retry replays. */
  completeOutboundCall(
    id: number,
    outcome: {
      status: Exclude<OutboundCallRequestStatus, "pending">;
      callId?: string;
      response: unknown;
    },
  ): Promise<void>;
  /** Frees a key whose request never reached Graph (the bridge was down): a retry may place it. */
  releaseOutboundCall(id: number): Promise<void>;
  /** The request that placed `callId`, if any. */
  outboundCallRequestFor(callId: string): Promise<OutboundCallRequest | null>;
}

const RequestSchema = z.object({
  id: z.coerce.number().int(),
  phoneNumberId: z.string(),
  idempotencyKey: z.string(),
  requestHash: z.string(),
  user: z.string(),
  status: z.enum(["pending", "placed", "refused", "failed", "unknown"]),
  callId: z.string().nullable(),
  response: jsonColumn,
});

const SELECT = `id, phone_number_id as "phoneNumberId", idempotency_key as "idempotencyKey",
  request_hash as "requestHash", user_key as "user", status, call_id as "callId", response`;

/** The methods over `db`, spread into `createStore`. */
export function outboundCallMethods(db: SqlAdapter): OutboundCallStore {
  return {
    async reserveOutboundCall(input) {
      const inserted = await db.query(
        `insert into public.wa_outbound_call_requests
           (phone_number_id, idempotency_key, request_hash, user_key)
         values ($1, $2, $3, $4)
         on conflict (phone_number_id, idempotency_key) do nothing
         returning ${SELECT}`,
        [input.phoneNumberId, input.idempotencyKey, input.requestHash, input.user],
      );
      if (inserted[0] !== undefined) {
        return { kind: "reserved", request: RequestSchema.parse(inserted[0]) };
      }
      const rows = await db.query(
        `select ${SELECT} from public.wa_outbound_call_requests
         where phone_number_id = $1 and idempotency_key = $2`,
        [input.phoneNumberId, input.idempotencyKey],
      );
      return { kind: "existing", request: RequestSchema.parse(rows[0]) };
    },

    async completeOutboundCall(id, outcome) {
      await db.query(
        `update public.wa_outbound_call_requests
         set status = $2, call_id = coalesce($3, call_id), response = $4::text::jsonb,
             updated_at = now()
         where id = $1`,
        [id, outcome.status, outcome.callId ?? null, JSON.stringify(outcome.response ?? null)],
      );
    },

    async releaseOutboundCall(id) {
      await db.query(
        `delete from public.wa_outbound_call_requests where id = $1 and status = 'pending'`,
        [id],
      );
    },

    async outboundCallRequestFor(callId) {
      const rows = await db.query(
        `select ${SELECT} from public.wa_outbound_call_requests where call_id = $1
         order by id desc limit 1`,
        [callId],
      );
      return rows[0] === undefined ? null : RequestSchema.parse(rows[0]);
    },
  };
}
