/**
 * The business numbers the console's "Talk to your agent" page offers: each
 * `phone_number_id` the call records know, with its display number (the
 * `to` of its latest WhatsApp call to it). One index probe per number (a
 * skip scan over `voice_calls_phone_number_id_idx`), so the list costs the
 * same with 100 calls or 100,000.
 *
 * @module
 */
import { z } from "zod";
import type { SqlAdapter } from "./adapter.ts";
import { skipScanCte } from "./skip_scan.ts";

/** A business number calls have reached. */
export const knownNumberSchema = z.object({
  phoneNumberId: z.string(),
  /** The number as callers dial it; `null` when only test calls reached it. */
  displayNumber: z.string().nullable(),
});

/** A business number the records know. */
export type KnownNumber = z.infer<typeof knownNumberSchema>;

/** The talk page's part of the store. */
export interface TalkNumberStore {
  /** Up to `limit` numbers, by `phone_number_id`. */
  knownBusinessNumbers(limit: number): Promise<KnownNumber[]>;
}

/** {@linkcode TalkNumberStore} over `db`. */
export function talkNumberMethods(db: SqlAdapter): TalkNumberStore {
  return {
    async knownBusinessNumbers(limit) {
      // A recursive skip scan: each step is one probe of the phone_number_id index.
      const rows = await db.query(
        `with recursive ${skipScanCte("ids", "id", "public.voice_calls", "phone_number_id")}
         select ids.id as "phoneNumberId",
           (select v.to_number from public.voice_calls v
            where v.phone_number_id = ids.id and v.direction = 'user_initiated'
              and not v.test_call and v.to_number is not null
            order by v.created_at desc limit 1) as "displayNumber"
         from ids where ids.id is not null
         limit $1`,
        [Math.max(0, Math.trunc(limit))],
      );
      return rows.map((row) => knownNumberSchema.parse(row));
    },
  };
}
