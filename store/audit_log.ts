/**
 * The console's audit log (`console_audit_log`): every change made in the
 * console with who, when, what, and the value before and after. Append-only
 * (the table refuses updates and deletes). {@linkcode insertAudit} writes an
 * entry on a given executor, so a change and its entry commit together:
 *
 * ```ts
 * await db.transaction(async (tx) => {
 *   const before = await readSettings(tx, id);
 *   await writeSettings(tx, id, after);
 *   await insertAudit(tx, { actorId: user.id, actorEmail: user.email, action: "agent_settings.update", target: id, before, after });
 * });
 * ```
 *
 * @module
 */
import { z } from "zod";
import type { SqlAdapter, SqlExecutor, SqlParam } from "./adapter.ts";
import { jsonParam } from "./store.ts";

/** A row of `console_audit_log`. */
export const auditRecordSchema = z.object({
  // bigserial: postgres.js returns it as a string
  id: z.coerce.number().int(),
  occurredAt: z.coerce.date(),
  actorId: z.string(),
  actorEmail: z.string().nullable(),
  action: z.string(),
  target: z.string().nullable(),
  before: z.json().nullable(),
  after: z.json().nullable(),
});

/** An audit entry as stored. */
export type AuditRecord = z.infer<typeof auditRecordSchema>;

/** Input of {@linkcode AuditLogStore.recordAudit} and {@linkcode insertAudit}. */
export const newAuditSchema = z.object({
  actorId: z.string().min(1).max(200),
  actorEmail: z.string().max(320).nullable().optional(),
  /** Lower-case dotted words, e.g. `agent_settings.update`. */
  action: z.string().regex(/^[a-z][a-z0-9_.]{0,99}$/),
  target: z.string().max(500).nullable().optional(),
  /** Any JSON value; `undefined`/`null` for none (e.g. no settings before the first save). */
  before: z.unknown().optional(),
  after: z.unknown().optional(),
  /** Default: the database's now(). */
  occurredAt: z.date().optional(),
});

/** A change to record. */
export type NewAuditEntry = z.input<typeof newAuditSchema>;

/** Which entries {@linkcode AuditLogStore.listAudit} returns, newest first. */
export const auditFilterSchema = z.object({
  target: z.string().optional(),
  action: z.string().optional(),
  actorId: z.string().optional(),
  /** Only entries older than this id (the last id of the previous page). */
  beforeId: z.number().int().positive().optional(),
  limit: z.number().int().min(1).max(500).default(50),
});

/** Filter of {@linkcode AuditLogStore.listAudit}. */
export type AuditFilter = z.input<typeof auditFilterSchema>;

/** The audit log of a {@linkcode Store}. */
export interface AuditLogStore {
  /** Records one change. */
  recordAudit(entry: NewAuditEntry): Promise<AuditRecord>;
  /** Entries matching `filter`, newest first (by time, then id). */
  listAudit(filter?: AuditFilter): Promise<AuditRecord[]>;
}

const SELECT = `id, occurred_at as "occurredAt", actor_id as "actorId", actor_email as "actorEmail",
  action, target, before, after`;

/** Writes `entry` on `tx` (a transaction or the adapter), in the caller's transaction if any. */
export async function insertAudit(tx: SqlExecutor, entry: NewAuditEntry): Promise<AuditRecord> {
  const e = newAuditSchema.parse(entry);
  const rows = await tx.query(
    `insert into public.console_audit_log (actor_id, actor_email, action, target, before, after, occurred_at)
     values ($1, $2, $3, $4, $5::text::jsonb, $6::text::jsonb, coalesce($7::timestamptz, now()))
     returning ${SELECT}`,
    [
      e.actorId,
      e.actorEmail ?? null,
      e.action,
      e.target ?? null,
      e.before === undefined ? null : jsonParam(e.before),
      e.after === undefined ? null : jsonParam(e.after),
      e.occurredAt?.toISOString() ?? null,
    ],
  );
  return auditRecordSchema.parse(rows[0]);
}

/** The audit log methods over `db`. */
export function auditLogMethods(db: SqlAdapter): AuditLogStore {
  return {
    recordAudit: (entry) => insertAudit(db, entry),

    async listAudit(filter = {}) {
      const f = auditFilterSchema.parse(filter);
      const where: string[] = [];
      const params: SqlParam[] = [];
      const add = (sql: string, value: SqlParam) => {
        params.push(value);
        where.push(sql.replace("?", `$${params.length}`));
      };
      if (f.target !== undefined) add("target = ?", f.target);
      if (f.action !== undefined) add("action = ?", f.action);
      if (f.actorId !== undefined) add("actor_id = ?", f.actorId);
      if (f.beforeId !== undefined) {
        // Keyset paging in (occurred_at, id) order, from the entry with that id.
        add(
          "(occurred_at, id) < (select occurred_at, id from public.console_audit_log where id = ?)",
          f.beforeId,
        );
      }
      params.push(f.limit);
      const rows = await db.query(
        `select ${SELECT} from public.console_audit_log
         ${where.length ? `where ${where.join(" and ")}` : ""}
         order by occurred_at desc, id desc limit $${params.length}`,
        params,
      );
      return rows.map((row) => auditRecordSchema.parse(row));
    },
  };
}
