/**
 * Agent settings per business number in `agent_settings`, every saved version
 * in `agent_settings_history`. A save names the version it edited
 * (`expectedVersion`, 0 for a number without settings) and fails with a
 * conflict when another save came first; the new row, its history row and
 * the console's audit entry (`audit_log.ts`: who, when, before, after) are
 * written in one transaction, so none exists without the others.
 *
 * @module
 */
import { z } from "zod";
import type { SqlAdapter, SqlExecutor } from "./adapter.ts";
import { skipScanCte } from "./skip_scan.ts";
import { insertAudit } from "./audit_log.ts";
import { type AgentSettings, AgentSettingsSchema } from "../lib/agent_settings/schema.ts";
// Used at call time only, so the import cycle with store.ts is harmless.
import { jsonParam } from "./store.ts";

/** The current settings of a number. */
export const agentSettingsRecordSchema = z.object({
  phoneNumberId: z.string(),
  settings: AgentSettingsSchema,
  version: z.coerce.number().int(),
  updatedAt: z.coerce.date(),
  updatedBy: z.string().nullable(),
});

/** The current settings of a number, as stored. */
export type AgentSettingsRecord = z.infer<typeof agentSettingsRecordSchema>;

/** One saved version of a number's settings. */
export const agentSettingsVersionSchema = z.object({
  phoneNumberId: z.string(),
  version: z.coerce.number().int(),
  settings: AgentSettingsSchema,
  changedBy: z.string().nullable(),
  changedAt: z.coerce.date(),
});

/** One saved version, as stored. */
export type AgentSettingsVersion = z.infer<typeof agentSettingsVersionSchema>;

/** A number the console lists: one with settings, or one calls have reached. */
export const agentNumberSchema = z.object({
  phoneNumberId: z.string(),
  /** `null`: no settings saved (the environment's defaults apply). */
  version: z.coerce.number().int().nullable(),
  updatedAt: z.coerce.date().nullable(),
  updatedBy: z.string().nullable(),
});

/** A number the console lists. */
export type AgentNumber = z.infer<typeof agentNumberSchema>;

/** Input of {@linkcode AgentSettingsStore.saveAgentSettings}. */
export interface SaveAgentSettings {
  phoneNumberId: string;
  settings: AgentSettings;
  /** The version the editor started from; 0 when the number had no settings. */
  expectedVersion: number;
  /** Who saves: the console user (token `sub` and e-mail); the version keeps the e-mail, else the id. */
  actor: { id: string; email: string | null };
  /** @default now (the database's clock) */
  at?: Date | undefined;
}

/** How a save ended. */
export type SaveAgentSettingsResult =
  | { ok: true; record: AgentSettingsRecord }
  | { ok: false; reason: "conflict"; currentVersion: number };

/** The audit log's `action` of a save. */
export const AGENT_SETTINGS_AUDIT_ACTION = "agent_settings.update";

/** The agent-settings part of the store. */
export interface AgentSettingsStore {
  /** The number's current settings, or `null` when none were saved. */
  getAgentSettings(phoneNumberId: string): Promise<AgentSettingsRecord | null>;
  /**
   * Numbers with settings and numbers calls reached (`voice_calls`), up to
   * `limit` of each, by `phone_number_id`.
   */
  listAgentNumbers(limit: number): Promise<AgentNumber[]>;
  /** Saved versions of the number's settings, newest first. */
  listAgentSettingsHistory(phoneNumberId: string, limit: number): Promise<AgentSettingsVersion[]>;
  /** Saves a new version if `expectedVersion` is still current (see the module doc). */
  saveAgentSettings(save: SaveAgentSettings): Promise<SaveAgentSettingsResult>;
}

const RECORD_SELECT = `phone_number_id as "phoneNumberId", settings, version,
  updated_at as "updatedAt", updated_by as "updatedBy"`;

const currentSchema = z.object({ settings: AgentSettingsSchema, version: z.coerce.number() });

/** {@linkcode AgentSettingsStore} over `db`. */
export function agentSettingsMethods(db: SqlAdapter): AgentSettingsStore {
  return {
    async getAgentSettings(phoneNumberId) {
      const rows = await db.query(
        `select ${RECORD_SELECT} from public.agent_settings where phone_number_id = $1`,
        [phoneNumberId],
      );
      return rows[0] === undefined ? null : agentSettingsRecordSchema.parse(rows[0]);
    },

    async listAgentNumbers(limit) {
      const n = Math.max(0, Math.trunc(limit));
      // A skip scan over voice_calls' phone_number_id: one probe per distinct number.
      const rows = await db.query(
        `with recursive ${skipScanCte("ids", "id", "public.voice_calls", "phone_number_id")},
         called as (select id from ids where id is not null limit $1),
         configured as (
           select phone_number_id as id from public.agent_settings order by phone_number_id limit $1
         ),
         numbers as (select id from called union select id from configured)
         select n.id as "phoneNumberId", s.version, s.updated_at as "updatedAt",
           s.updated_by as "updatedBy"
         from numbers n left join public.agent_settings s on s.phone_number_id = n.id
         order by n.id`,
        [n],
      );
      return rows.map((row) => agentNumberSchema.parse(row));
    },

    async listAgentSettingsHistory(phoneNumberId, limit) {
      const rows = await db.query(
        `select phone_number_id as "phoneNumberId", version, settings,
           changed_by as "changedBy", changed_at as "changedAt"
         from public.agent_settings_history where phone_number_id = $1
         order by version desc limit $2`,
        [phoneNumberId, Math.max(0, Math.trunc(limit))],
      );
      return rows.map((row) => agentSettingsVersionSchema.parse(row));
    },

    async saveAgentSettings(save) {
      const settings = AgentSettingsSchema.parse(save.settings);
      return await db.transaction((tx) => saveIn(tx, { ...save, settings }));
    },
  };
}

async function saveIn(tx: SqlExecutor, save: SaveAgentSettings): Promise<SaveAgentSettingsResult> {
  const [row] = await tx.query(
    `select settings, version from public.agent_settings where phone_number_id = $1 for update`,
    [save.phoneNumberId],
  );
  const current = row === undefined ? undefined : currentSchema.parse(row);
  const currentVersion = current?.version ?? 0;
  if (currentVersion !== save.expectedVersion) {
    return { ok: false, reason: "conflict", currentVersion };
  }
  const version = currentVersion + 1;
  const at = save.at?.toISOString() ?? null;
  const changedBy = save.actor.email ?? save.actor.id;
  const params = [save.phoneNumberId, jsonParam(save.settings), version, at, changedBy];
  // A first save racing another inserts nothing (`on conflict do nothing`): a conflict too.
  const written = await tx.query(
    current === undefined
      ? `insert into public.agent_settings
           (phone_number_id, settings, version, updated_at, updated_by)
         values ($1, $2::text::jsonb, $3, coalesce($4::timestamptz, now()), $5)
         on conflict (phone_number_id) do nothing
         returning ${RECORD_SELECT}`
      : `update public.agent_settings set settings = $2::text::jsonb, version = $3,
           updated_at = coalesce($4::timestamptz, now()), updated_by = $5
         where phone_number_id = $1
         returning ${RECORD_SELECT}`,
    params,
  );
  if (written[0] === undefined) return { ok: false, reason: "conflict", currentVersion: version };
  const record = agentSettingsRecordSchema.parse(written[0]);
  await tx.query(
    `insert into public.agent_settings_history
       (phone_number_id, version, settings, changed_by, changed_at)
     values ($1, $2, $3::text::jsonb, $4, $5::timestamptz)`,
    [save.phoneNumberId, version, params[1]!, changedBy, record.updatedAt.toISOString()],
  );
  // A failing audit write throws, and the transaction takes the save back with it.
  await insertAudit(tx, {
    actorId: save.actor.id,
    actorEmail: save.actor.email,
    action: AGENT_SETTINGS_AUDIT_ACTION,
    target: save.phoneNumberId,
    before: current?.settings ?? null,
    after: record.settings,
    occurredAt: record.updatedAt,
  });
  return { ok: true, record };
}
