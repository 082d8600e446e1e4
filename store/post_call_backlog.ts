/**
 * Calls whose post-call work never finished: the bridge that held them died
 * first, or the database was down longer than the runner's retries. Found by
 * what a finished run leaves behind (the analysis row, and the `call.analyzed`
 * outbox row when webhooks are on), so any bridge can finish them later.
 *
 * @module
 */
import { z } from "zod";
import type { SqlAdapter } from "./adapter.ts";

/** Input of {@linkcode PostCallBacklogStore.listPostCallBacklog}. */
export interface PostCallBacklogQuery {
  /** Calls that ended between these: old enough that no run is still under way, recent enough to matter. */
  endedAfter: Date;
  endedBefore: Date;
  /** Whether a finished run also leaves a `call.analyzed` outbox row. */
  webhooks: boolean;
  /** At most this many, oldest first. */
  limit: number;
}

/** The post-call catch-up's part of the store. */
export interface PostCallBacklogStore {
  /** Ended calls that had a bridge session and lack what a finished post-call run writes. */
  listPostCallBacklog(query: PostCallBacklogQuery): Promise<string[]>;
}

const row = z.object({ callId: z.string() });

/** {@linkcode PostCallBacklogStore} over `db`. */
export function postCallBacklogMethods(db: SqlAdapter): PostCallBacklogStore {
  return {
    async listPostCallBacklog({ endedAfter, endedBefore, webhooks, limit }) {
      const rows = await db.query(
        `select v.call_id as "callId" from public.voice_calls v
         where v.status in ('completed', 'failed', 'rejected')
           and v.bridge_session_id is not null
           and v.ended_at > $1::timestamptz and v.ended_at <= $2::timestamptz
           and (
             not exists (select from public.voice_call_analysis a where a.call_id = v.call_id)
             or ($3 and not exists (
               select from public.voice_call_webhooks w
               where w.call_id = v.call_id and w.type = 'call.analyzed'))
           )
         order by v.ended_at limit $4`,
        [
          endedAfter.toISOString(),
          endedBefore.toISOString(),
          webhooks,
          Math.max(0, Math.trunc(limit)),
        ],
      );
      return rows.map((r) => row.parse(r).callId);
    },
  };
}
