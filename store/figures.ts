/**
 * A call's cost and latency figures in `voice_call_figures`, one row per
 * call, written when the call is settled (again: replaced).
 *
 * @module
 */
import { z } from "zod";
import type { SqlAdapter } from "./adapter.ts";

const ms = z.coerce.number().nullable();

/** A row of `voice_call_figures`. */
export const callFiguresSchema = z.object({
  callId: z.string(),
  costUsd: z.coerce.number(),
  /** The cost breakdown (`bridge/figures/settle.ts`'s `CallCost`). */
  cost: z.json(),
  turnCount: z.coerce.number().int(),
  turnP50Ms: ms,
  turnP95Ms: ms,
  webhookToAcceptMs: ms,
  acceptToFirstAudioMs: ms,
  /** The latency figures (`CallLatency`), each turn included. */
  latency: z.json(),
  settledAt: z.coerce.date(),
});

/** A call's figures, as stored. */
export type CallFigures = z.infer<typeof callFiguresSchema>;

/** Input of {@linkcode FiguresStore.saveFigures}. */
export type NewCallFigures = Omit<CallFigures, "settledAt">;

/** Cost and latency records of a {@linkcode Store}. */
export interface FiguresStore {
  /** Stores the call's figures, replacing any settled before. */
  saveFigures(figures: NewCallFigures): Promise<CallFigures>;
  /** The call's figures, or `null` before it was settled. */
  getFigures(callId: string): Promise<CallFigures | null>;
}

const SELECT = `call_id as "callId", cost_usd as "costUsd", cost, turn_count as "turnCount",
  turn_p50_ms as "turnP50Ms", turn_p95_ms as "turnP95Ms",
  webhook_to_accept_ms as "webhookToAcceptMs", accept_to_first_audio_ms as "acceptToFirstAudioMs",
  latency, settled_at as "settledAt"`;

/** The figures methods over `db`. */
export function figuresMethods(db: SqlAdapter): FiguresStore {
  return {
    async saveFigures(f) {
      const rows = await db.query(
        `insert into public.voice_call_figures (call_id, cost_usd, cost, turn_count, turn_p50_ms,
           turn_p95_ms, webhook_to_accept_ms, accept_to_first_audio_ms, latency)
         values ($1, $2, $3::text::jsonb, $4, $5, $6, $7, $8, $9::text::jsonb)
         on conflict (call_id) do update set cost_usd = excluded.cost_usd, cost = excluded.cost,
           turn_count = excluded.turn_count, turn_p50_ms = excluded.turn_p50_ms,
           turn_p95_ms = excluded.turn_p95_ms, webhook_to_accept_ms = excluded.webhook_to_accept_ms,
           accept_to_first_audio_ms = excluded.accept_to_first_audio_ms,
           latency = excluded.latency, settled_at = now()
         returning ${SELECT}`,
        [
          f.callId,
          f.costUsd,
          JSON.stringify(f.cost),
          f.turnCount,
          f.turnP50Ms,
          f.turnP95Ms,
          f.webhookToAcceptMs,
          f.acceptToFirstAudioMs,
          JSON.stringify(f.latency),
        ],
      );
      return callFiguresSchema.parse(rows[0]);
    },

    async getFigures(callId) {
      const rows = await db.query(
        `select ${SELECT} from public.voice_call_figures where call_id = $1`,
        [callId],
      );
      return rows[0] === undefined ? null : callFiguresSchema.parse(rows[0]);
    },
  };
}
