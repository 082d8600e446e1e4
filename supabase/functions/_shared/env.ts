/**
 * Environment of the WhatsApp Edge Functions, validated with zod (credentials
 * are compared in `lib/auth/secret.ts`). Parsing never throws: a function reads its
 * variables at request time and answers 500 naming what is missing or
 * malformed, never echoing a value (most of them are secrets).
 *
 * @module
 */

import { z } from "zod";
import { DEFAULT_GRAPH_URL } from "../../../lib/whatsapp/graph.ts";
import { MAX_CONNECTED_WAIT_MS } from "../../../lib/bridge_api/schema.ts";

/**
 * Default of `WA_MEDIA_CONNECT_WAIT_MS`: past DTLS's 1 + 2 + 4 s retransmit
 * series, under the bridge's default `MEDIA_CONNECT_TIMEOUT_MS` (10 s) so the
 * function rejects a ringing call before the bridge would hang up an
 * accepted one, and far inside Meta's 30–60 s accept window.
 */
export const DEFAULT_MEDIA_CONNECT_WAIT_MS = 8_000;

/** Raw variables, as `Deno.env.toObject()` returns them. */
export type RawEnv = Readonly<Record<string, string | undefined>>;

// Supabase and shells hand out unset variables as "", which must count as unset.
const blankToUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const secret = z.preprocess(blankToUndefined, z.string().optional());
const httpUrl = z.preprocess(
  blankToUndefined,
  z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
);

/** Every variable the functions read. All optional here; each route demands its own. */
export const FunctionsEnvSchema = z.object({
  /** Token Meta echoes on the GET verification request. */
  WHATSAPP_VERIFY_TOKEN: secret,
  /** App Secret keying `X-Hub-Signature-256`. */
  WHATSAPP_APP_SECRET: secret,
  /** Graph API token for pre_accept/accept/reject/terminate. */
  WHATSAPP_ACCESS_TOKEN: secret,
  WHATSAPP_GRAPH_URL: z.preprocess(
    blankToUndefined,
    z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).default(DEFAULT_GRAPH_URL),
  ),
  /** Where `functions.invoke` reaches the sibling function. */
  SUPABASE_URL: httpUrl,
  /** Internal credential between the two functions. */
  SUPABASE_SERVICE_ROLE_KEY: secret,
  VOICE_BRIDGE_URL: httpUrl,
  VOICE_BRIDGE_SECRET: secret,
  /** Bound on the wait between pre_accept and accept for the bridge's ICE and DTLS. */
  WA_MEDIA_CONNECT_WAIT_MS: z.preprocess(
    blankToUndefined,
    z.coerce.number().int().min(100).max(MAX_CONNECTED_WAIT_MS).default(
      DEFAULT_MEDIA_CONNECT_WAIT_MS,
    ),
  ),
  /** The business's existing chat bot, which keeps receiving `messages` webhooks. */
  WA_MESSAGES_FORWARD_URL: httpUrl,
  /** Default business number of the `wa-call-permissions` API when a request names none. */
  WHATSAPP_PHONE_NUMBER_ID: z.preprocess(blankToUndefined, z.string().regex(/^\d+$/).optional()),
  /**
   * Meta's call permission limits in force: `meta` (1 request/24 h, 2/7 days)
   * or `sandbox` (sandbox accounts and public test numbers: 25/day, 100/week).
   */
  WA_CALL_PERMISSION_LIMITS: z.preprocess(
    blankToUndefined,
    z.enum(["meta", "sandbox"]).default("meta"),
  ),
  /** Connected business-initiated calls per user per 24 h when Graph has not said (`max_allowed`). */
  WA_CONNECTED_CALLS_PER_DAY: z.preprocess(
    blankToUndefined,
    z.coerce.number().int().min(1).max(10_000).default(100),
  ),
  /**
   * How long a business-initiated call rings before it is terminated at Meta
   * and recorded `no_answer`: Meta documents no ring timeout for these calls
   * (https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/business-initiated-calls).
   */
  WA_OUTBOUND_RING_TIMEOUT_S: z.preprocess(
    blankToUndefined,
    z.coerce.number().int().min(5).max(300).default(45),
  ),
  /**
   * How long a business-initiated call's `connect`/status webhook waits for the
   * call to be stored (Meta may send it before Graph's `connect` answer is handled).
   */
  WA_OUTBOUND_SESSION_WAIT_MS: z.preprocess(
    blankToUndefined,
    z.coerce.number().int().min(0).max(30_000).default(5_000),
  ),
  /** Store database; both absent means embedded PGlite (see `storeConfigFromEnv`). */
  DATABASE_URL: secret,
  SUPABASE_DB_URL: secret,
});

/** Parsed environment. */
export type FunctionsEnv = z.infer<typeof FunctionsEnvSchema>;

/** Name of a variable the functions read. */
export type EnvName = keyof FunctionsEnv;

/** Outcome of {@link parseFunctionsEnv}; `problems` name variables, never values. */
export type EnvResult =
  | { ok: true; env: FunctionsEnv }
  | { ok: false; problems: string[] };

/** Validates `raw`; a malformed variable is reported by name and reason only. */
export function parseFunctionsEnv(raw: RawEnv): EnvResult {
  const r = FunctionsEnvSchema.safeParse(raw);
  if (r.success) return { ok: true, env: r.data };
  // Zod messages may quote the input, so only the path and our own wording are kept.
  return {
    ok: false,
    problems: r.error.issues.map((i) => `${String(i.path[0] ?? "(env)")}: invalid value`),
  };
}

/** The environment with `K` guaranteed present. */
export type EnvWith<K extends EnvName> =
  & FunctionsEnv
  & { [P in K]-?: NonNullable<FunctionsEnv[P]> };

/** Either the environment with `names` set, or the problems preventing it. */
export type EnvCheck<K extends EnvName> =
  | { ok: true; env: EnvWith<K> }
  | { ok: false; problems: string[] };

/** Checks that `names` are set in a parsed environment. */
export function requireEnv<K extends EnvName>(parsed: EnvResult, names: readonly K[]): EnvCheck<K> {
  if (!parsed.ok) return parsed;
  const missing = names.filter((n) => parsed.env[n] === undefined);
  if (missing.length > 0) return { ok: false, problems: missing.map((n) => `${n}: missing`) };
  return { ok: true, env: parsed.env as EnvWith<K> };
}

/** 500 naming the variables at fault; the body never holds a value. */
export function envErrorResponse(problems: readonly string[]): Response {
  return Response.json(
    { error: "function misconfigured: environment variables", problems },
    { status: 500 },
  );
}
