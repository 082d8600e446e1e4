/**
 * Live call updates through PostgreSQL `LISTEN/NOTIFY` (PGlite has it too), so
 * every console process sees the calls of every bridge, whichever holds them:
 *
 * - {@linkcode LIVE_CHANNEL}, bridge → consoles: a {@linkcode LiveSnapshot} of
 *   each call about twice a second, and a {@linkcode LiveEnded} when it ends;
 * - {@linkcode LIVE_COMMAND_CHANNEL}, console → bridges: {@linkcode LiveCommand}
 *   (end a call); only the bridge holding the call acts on it;
 * - {@linkcode LIVE_WATCH_CHANNEL}, console → bridges: someone is watching,
 *   so bridges publish snapshots only while a console wants them.
 *
 * Payloads are JSON checked with zod on receipt, and shorter than NOTIFY's
 * 8000-byte limit ({@linkcode NOTIFY_MAX_BYTES}). They carry no phone numbers:
 * the console joins them with the call's row and masks per user.
 *
 * @module
 */
import { z } from "zod";
import type { SqlAdapter } from "./adapter.ts";
import { CALL_SELECT, type CallRecord, callRecordSchema, LIVE_CALL_STATUSES } from "./store.ts";

/** Bridge → consoles: snapshots and ends. */
export const LIVE_CHANNEL = "voice_live";
/** Console → bridges: commands. */
export const LIVE_COMMAND_CHANNEL = "voice_live_command";
/** Console → bridges: a console has viewers. */
export const LIVE_WATCH_CHANNEL = "voice_live_watch";

/** The channels this module speaks on. */
export type LiveChannel =
  | typeof LIVE_CHANNEL
  | typeof LIVE_COMMAND_CHANNEL
  | typeof LIVE_WATCH_CHANNEL;

/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more. */
export const NOTIFY_MAX_BYTES = 7999;

/** Longest text of one live transcript line, characters. */
export const LIVE_LINE_MAX_CHARS = 300;

/** One line of the live transcript: finished, or still being spoken (`partial`). */
export const liveLineSchema = z.object({
  speaker: z.enum(["caller", "agent"]),
  text: z.string().max(LIVE_LINE_MAX_CHARS),
  partial: z.boolean(),
});

/** A live transcript line. */
export type LiveLine = z.infer<typeof liveLineSchema>;

/** A call as its bridge sees it now. */
export const liveSnapshotSchema = z.object({
  kind: z.literal("snapshot"),
  callId: z.string().min(1).max(200),
  /** The bridge process holding the call. */
  bridgeId: z.string().min(1).max(100),
  /** The bridge session's state: `answered`, `accepted`, `active`, `ending`. */
  state: z.string().max(20),
  /** When the bridge took the call, epoch ms. */
  startedAt: z.number(),
  /** When Meta accepted it, epoch ms; null before. */
  acceptedAt: z.number().nullable(),
  /** Which agent speaks: `openai`, `echo`. */
  agent: z.string().max(40),
  /** RMS over the last window, dBFS (-90 … 0); null before media flows. */
  levels: z.object({ caller: z.number().nullable(), agent: z.number().nullable() }),
  /** The last lines, oldest first; a partial line is the one being spoken. */
  lines: z.array(liveLineSchema).max(20),
  /** When the snapshot was taken, epoch ms. */
  at: z.number(),
});

/** A snapshot of one call. */
export type LiveSnapshot = z.infer<typeof liveSnapshotSchema>;

/** A call left its bridge. */
export const liveEndedSchema = z.object({
  kind: z.literal("ended"),
  callId: z.string().min(1).max(200),
  bridgeId: z.string().min(1).max(100),
  reason: z.string().max(200),
  at: z.number(),
});

/** The end of a call. */
export type LiveEnded = z.infer<typeof liveEndedSchema>;

/**
 * Snapshots of several calls of one bridge in one NOTIFY: a bridge with many
 * calls sends a few NOTIFYs a round instead of one per call.
 */
export const liveBatchSchema = z.object({
  kind: z.literal("batch"),
  snapshots: z.array(liveSnapshotSchema).max(500),
});

/** Several snapshots. */
export type LiveBatch = z.infer<typeof liveBatchSchema>;

/** What {@linkcode LIVE_CHANNEL} carries. */
export const liveMessageSchema = z.discriminatedUnion("kind", [
  liveSnapshotSchema,
  liveEndedSchema,
  liveBatchSchema,
]);

/** A message on {@linkcode LIVE_CHANNEL}. */
export type LiveMessage = z.infer<typeof liveMessageSchema>;

/** What {@linkcode LIVE_COMMAND_CHANNEL} carries: end a call, on behalf of `actor` (a user id). */
export const liveCommandSchema = z.object({
  action: z.literal("end"),
  callId: z.string().min(1).max(200),
  actor: z.string().min(1).max(200),
});

/** A command to the bridges. */
export type LiveCommand = z.infer<typeof liveCommandSchema>;

/** What {@linkcode LIVE_WATCH_CHANNEL} carries: publish for the next `ttlMs`. */
export const liveWatchSchema = z.object({ ttlMs: z.number().int().min(1).max(120_000) });

/** A console's interest. */
export type LiveWatch = z.infer<typeof liveWatchSchema>;

/** Parses a payload with `schema`, or null when it is not JSON or does not match. */
export function parsePayload<T>(schema: z.ZodType<T>, payload: string): T | null {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return null;
  }
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : null;
}

/** Bytes of `text` as UTF-8, which is what NOTIFY's limit counts (no copy made). */
export function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c < 0xdc00 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4; // a surrogate pair: one code point past U+FFFF
      i++;
    } else bytes += 3; // a lone surrogate is encoded as U+FFFD, also three bytes
  }
  return bytes;
}

/** Store methods for live updates. */
export interface LiveStore {
  /**
   * `LISTEN channel` until the returned function is called. Throws when the
   * backend cannot listen (an adapter without `listen`).
   */
  listen(channel: LiveChannel, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  /** `NOTIFY channel, payload`; throws RangeError at {@linkcode NOTIFY_MAX_BYTES} + 1 or more. */
  notify(channel: LiveChannel, payload: string): Promise<void>;
  /** Calls not ended yet (`offered` … `active`), newest first. */
  listLiveCalls(limit?: number): Promise<CallRecord[]>;
}

/** {@linkcode LiveStore} over `db`. */
export function liveMethods(db: SqlAdapter): LiveStore {
  return {
    listen(channel, onPayload) {
      if (db.listen === undefined) {
        return Promise.reject(new Error("this database adapter cannot LISTEN"));
      }
      return db.listen(channel, onPayload);
    },

    async notify(channel, payload) {
      const bytes = utf8Bytes(payload);
      if (bytes > NOTIFY_MAX_BYTES) {
        throw new RangeError(`NOTIFY payload of ${bytes} bytes (limit ${NOTIFY_MAX_BYTES})`);
      }
      await db.query("select pg_notify($1, $2)", [channel, payload]);
    },

    async listLiveCalls(limit = 200) {
      const statuses = LIVE_CALL_STATUSES;
      const list = statuses.map((_, i) => `$${i + 2}`).join(", ");
      const rows = await db.query(
        `select ${CALL_SELECT}
         from public.voice_calls where status in (${list})
         order by created_at desc limit $1`,
        [limit, ...statuses],
      );
      return rows.map((row) => callRecordSchema.parse(row));
    },
  };
}
