/**
 * The console's way to ask a WhatsApp user for call permission and to call
 * them: the same Edge Functions the API documents (`wa-call-permissions`,
 * `wa-outbound-calls`), over HTTP with the service role key.
 *
 * Why HTTP and not an in-process import of the functions' modules: the
 * orchestration (idempotency reservation → Meta's limits → bridge offer →
 * Graph `connect` → bridge session, and the permission request's Graph send)
 * lives in the functions together with the secrets it needs
 * (`WHATSAPP_ACCESS_TOKEN`, `VOICE_BRIDGE_SECRET`). In production those are
 * Supabase secrets while the console runs in the bridge's container, so
 * calling the functions keeps one code path, one idempotency table and one
 * place that holds the Graph token. Reading a permission needs no Graph call
 * and no secret, so the page reads it from the store with the same pure
 * decision (`lib/whatsapp/call_permission_decision.ts`).
 *
 * Environment: `CONSOLE_FUNCTIONS_URL` (`…/functions/v1`; default
 * `${SUPABASE_URL}/functions/v1`) and `SUPABASE_SERVICE_ROLE_KEY`;
 * `WHATSAPP_PHONE_NUMBER_ID` pre-fills the business number;
 * `WA_CALL_PERMISSION_LIMITS` / `WA_CONNECTED_CALLS_PER_DAY` as the functions read them.
 *
 * @module
 */
import { z } from "zod";
import {
  META_PERMISSION_LIMITS,
  type PermissionLimits,
  SANDBOX_PERMISSION_LIMITS,
} from "../../lib/whatsapp/call_permission_decision.ts";

/** A function's answer: its status, its JSON body (validated loosely), and whether it was a replay. */
export interface FunctionAnswer {
  status: number;
  body: Record<string, unknown>;
  /** `Idempotent-Replayed: true`: the first answer for this key, nothing sent again. */
  replayed: boolean;
}

/** Body of `POST wa-call-permissions/requests`, as the function takes it. */
export interface PermissionRequestInput {
  user: string;
  phone_number_id: string;
  message:
    | { type: "interactive"; body_text?: string }
    | { type: "template"; name: string; language: string; body_parameters?: string[] };
}

/** Body of `POST wa-outbound-calls`, as the function takes it. */
export interface CallRequestInput {
  user: string;
  phone_number_id: string;
  purpose?: {
    instructions?: string;
    greeting?: string;
    variables?: Record<string, string>;
  };
}

/** What the Call a customer page needs beyond the store. */
export interface OutboundService {
  /** The business number pre-filled in the forms (`WHATSAPP_PHONE_NUMBER_ID`). */
  defaultPhoneNumberId?: string | undefined;
  /** Meta's limits as the functions apply them, for the page's decision. */
  limits: PermissionLimits;
  /** Sends a call permission request; `key` makes a retry a replay. */
  requestPermission(key: string, input: PermissionRequestInput): Promise<FunctionAnswer>;
  /** Places a business-initiated call; `key` makes a retry a replay (never rings twice). */
  placeCall(key: string, input: CallRequestInput): Promise<FunctionAnswer>;
}

/** Options of {@linkcode functionsOutbound}. */
export interface FunctionsOutboundOptions {
  /** `…/functions/v1`. */
  functionsUrl: string;
  serviceRoleKey: string;
  defaultPhoneNumberId?: string | undefined;
  limits?: PermissionLimits;
  fetch?: typeof fetch;
  /** Per request; the functions answer within their own Graph and bridge bounds. Default 20 s. */
  timeoutMs?: number;
}

const AnswerBodySchema = z.record(z.string(), z.unknown());

/** {@linkcode OutboundService} over the functions at `functionsUrl`. */
export function functionsOutbound(options: FunctionsOutboundOptions): OutboundService {
  const base = options.functionsUrl.replace(/\/+$/, "");
  const doFetch = options.fetch ?? fetch;
  const post = async (path: string, key: string, body: unknown): Promise<FunctionAnswer> => {
    const res = await doFetch(`${base}/${path}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${options.serviceRoleKey}`,
        "content-type": "application/json",
        "idempotency-key": key,
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 20_000),
    });
    const parsed = AnswerBodySchema.safeParse(await res.json().catch(() => undefined));
    return {
      status: res.status,
      body: parsed.success ? parsed.data : { error: "unreadable_answer" },
      replayed: res.headers.get("idempotent-replayed") === "true",
    };
  };
  return {
    defaultPhoneNumberId: options.defaultPhoneNumberId,
    limits: options.limits ?? META_PERMISSION_LIMITS,
    requestPermission: (key, input) => post("wa-call-permissions/requests", key, input),
    placeCall: (key, input) => post("wa-outbound-calls", key, input),
  };
}

const EnvSchema = z.object({
  CONSOLE_FUNCTIONS_URL: z.url().optional(),
  SUPABASE_URL: z.url().optional(),
  SUPABASE_SERVICE_ROLE_KEY: z.string().min(1).optional(),
  WHATSAPP_PHONE_NUMBER_ID: z.string().regex(/^\d{1,30}$/).optional(),
  WA_CALL_PERMISSION_LIMITS: z.enum(["meta", "sandbox"]).optional(),
  WA_CONNECTED_CALLS_PER_DAY: z.coerce.number().int().positive().optional(),
});

/** Meta's limits as `WA_CALL_PERMISSION_LIMITS` and `WA_CONNECTED_CALLS_PER_DAY` select them. */
export function limitsFromConsoleEnv(get: (name: string) => string | undefined): PermissionLimits {
  const env = readEnv(get);
  const base = env.WA_CALL_PERMISSION_LIMITS === "sandbox"
    ? SANDBOX_PERMISSION_LIMITS
    : META_PERMISSION_LIMITS;
  return {
    ...base,
    connectedCallsPerDay: env.WA_CONNECTED_CALLS_PER_DAY ?? base.connectedCallsPerDay,
  };
}

function readEnv(get: (name: string) => string | undefined) {
  const raw = Object.fromEntries(
    Object.keys(EnvSchema.shape).map((k) => [k, get(k) || undefined]),
  );
  return EnvSchema.parse(raw);
}

/**
 * The service the environment describes, or `undefined` (the page then says
 * what to set) without a functions URL or the service role key.
 */
export function outboundFromEnv(
  get: (name: string) => string | undefined,
): OutboundService | undefined {
  const env = readEnv(get);
  const functionsUrl = env.CONSOLE_FUNCTIONS_URL ??
    (env.SUPABASE_URL === undefined
      ? undefined
      : `${env.SUPABASE_URL.replace(/\/+$/, "")}/functions/v1`);
  if (functionsUrl === undefined || env.SUPABASE_SERVICE_ROLE_KEY === undefined) return undefined;
  return functionsOutbound({
    functionsUrl,
    serviceRoleKey: env.SUPABASE_SERVICE_ROLE_KEY,
    defaultPhoneNumberId: env.WHATSAPP_PHONE_NUMBER_ID,
    limits: limitsFromConsoleEnv(get),
  });
}
