/**
 * The console role of a Supabase user, from the token's `app_metadata`
 * (which only the service role can write, unlike `user_metadata`):
 * `console_role`, else `role`. A user without one gets no access: Supabase
 * projects accept sign-ups by default, so a silent `viewer` would show the
 * calls to anyone who signs up.
 *
 * @module
 */
import { z } from "zod";
import { type Role, ROLES } from "../context.ts";

const appMetadata = z.object({
  console_role: z.unknown().optional(),
  role: z.unknown().optional(),
}).loose();

/** A role, or why there is none. */
export type RoleResult = { ok: true; role: Role } | {
  ok: false;
  reason: "no_role" | "unknown_role";
};

/** The console role in the claims' `app_metadata`. */
export function roleFromClaims(claims: Record<string, unknown>): RoleResult {
  const meta = appMetadata.safeParse(claims.app_metadata ?? {});
  if (!meta.success) return { ok: false, reason: "no_role" };
  const value = meta.data.console_role ?? meta.data.role;
  if (value === undefined || value === null || value === "") {
    return { ok: false, reason: "no_role" };
  }
  const role = ROLES.find((r) => r === value);
  return role === undefined ? { ok: false, reason: "unknown_role" } : { ok: true, role };
}
