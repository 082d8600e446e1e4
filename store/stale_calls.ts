/**
 * Closing calls nobody closed: a record still live past the longest call a
 * bridge allows (a lost terminate webhook, a bridge that died mid-call) is
 * ended here, a bounded batch at a time, in one atomic statement.
 *
 * @module
 */
import { z } from "zod";
import type { SqlAdapter } from "./adapter.ts";

/** What {@linkcode StaleCallStore.closeStaleCalls} ended: each call and its new status. */
export interface ClosedStaleCall {
  callId: string;
  status: "completed" | "failed";
}

/** Input of {@linkcode StaleCallStore.closeStaleCalls}. */
export interface StaleCallQuery {
  /** Calls created before this and still live are closed. */
  createdBefore: Date;
  /** At most this many, oldest first. */
  limit: number;
  /** Written as `end_reason`, e.g. `reconciled_stale`. */
  endReason: string;
  /** `ended_at` for calls that have none. */
  now: Date;
}

/** The reconciler's part of the store. */
export interface StaleCallStore {
  /**
   * Ends up to `limit` calls still live and created before `createdBefore`:
   * `completed` when they had been accepted, else `failed`. A call a writer
   * ends meanwhile is left alone (rows locked by another writer are skipped).
   */
  closeStaleCalls(query: StaleCallQuery): Promise<ClosedStaleCall[]>;
}

const closedSchema = z.object({ callId: z.string(), status: z.enum(["completed", "failed"]) });

const LIVE = `('offered', 'ringing', 'pre_accepted', 'accepted', 'active')`;

/** {@linkcode StaleCallStore} over `db`. */
export function staleCallMethods(db: SqlAdapter): StaleCallStore {
  return {
    async closeStaleCalls({ createdBefore, limit, endReason, now }) {
      const rows = await db.query(
        `update public.voice_calls v set
           status = case when v.status in ('accepted', 'active') then 'completed' else 'failed' end,
           end_reason = $3,
           ended_at = coalesce(v.ended_at, $4::timestamptz)
         where v.call_id in (
           select call_id from public.voice_calls
           where status in ${LIVE} and created_at < $1::timestamptz
           order by created_at limit $2
           for update skip locked)
         and v.status in ${LIVE}
         returning v.call_id as "callId", v.status`,
        [createdBefore.toISOString(), Math.max(0, Math.trunc(limit)), endReason, now.toISOString()],
      );
      return rows.map((row) => closedSchema.parse(row));
    },
  };
}
