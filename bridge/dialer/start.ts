/**
 * Starts the dialer in a bridge process when `DIALER=on` (default off in
 * production, on in `deno task dev`): it places campaign and callback calls
 * through `wa-outbound-calls` at `DIALER_FUNCTIONS_URL` (default
 * `$SUPABASE_URL/functions/v1`) with `SUPABASE_SERVICE_ROLE_KEY`.
 *
 * @module
 */
import { z } from "zod";
import { eventLogger } from "../log.ts";
import type { Store } from "../../store/store.ts";
import { Dialer, type DialerStore } from "./dialer.ts";
import { httpCallPlacer } from "./placer.ts";

/** Dialer log events. */
export type DialerLogEvent =
  | "DIALER_STARTED"
  | "DIALER_TICK_FAILED"
  | "DIALER_RECIPIENT_FAILED"
  | "DIALER_CALL_PLACED"
  | "DIALER_PLACE_UNSURE"
  | "DIALER_ATTEMPT_ENDED"
  | "DIALER_CALLBACKS_QUEUED";

const onOff = z.enum(["on", "off", "true", "false", "1", "0"]).transform((v) =>
  v === "on" || v === "true" || v === "1"
);

/** The dialer's environment. */
export const DialerEnvSchema = z.object({
  DIALER: onOff.default(false),
  DIALER_CALLBACKS: onOff.default(true),
  DIALER_FUNCTIONS_URL: z.url().optional(),
  SUPABASE_URL: z.url().optional(),
  SUPABASE_SERVICE_ROLE_KEY: z.string().min(1).optional(),
  DIALER_POLL_MS: z.coerce.number().int().min(100).max(60_000).default(2000),
  DIALER_LEASE_S: z.coerce.number().int().min(5).max(3600).default(60),
  DIALER_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(1000).default(50),
});

/**
 * A started dialer, or the reason it is not running. `stop` walks away from
 * the calls it watches (their leases lapse; the next dialer records them),
 * so a shutdown never waits for a campaign call to end.
 */
export type StartedDialer = { dialer: Dialer; stop(): Promise<void> } | { off: string };

/** Starts the dialer as `env` says. */
export function startDialerFromEnv(
  env: Record<string, string | undefined>,
  deps: { store: DialerStore | Store; hasCapacity?: () => boolean; owner?: string },
): StartedDialer {
  const parsed = DialerEnvSchema.safeParse(env);
  if (!parsed.success) throw new RangeError(`dialer: ${parsed.error.issues[0]?.message}`);
  const e = parsed.data;
  if (!e.DIALER) return { off: "DIALER is off" };
  const base = e.DIALER_FUNCTIONS_URL ??
    (e.SUPABASE_URL ? `${e.SUPABASE_URL.replace(/\/$/, "")}/functions/v1` : undefined);
  if (base === undefined || e.SUPABASE_SERVICE_ROLE_KEY === undefined) {
    throw new RangeError(
      "DIALER=on needs DIALER_FUNCTIONS_URL or SUPABASE_URL, and SUPABASE_SERVICE_ROLE_KEY",
    );
  }
  const log = eventLogger<DialerLogEvent>("dialer");
  const dialer = new Dialer({
    store: deps.store,
    placer: httpCallPlacer({ functionsUrl: base, serviceRoleKey: e.SUPABASE_SERVICE_ROLE_KEY }),
    owner: deps.owner ?? `bridge-${crypto.randomUUID().slice(0, 8)}`,
    pollMs: e.DIALER_POLL_MS,
    leaseMs: e.DIALER_LEASE_S * 1000,
    maxInFlight: e.DIALER_MAX_IN_FLIGHT,
    callbacks: e.DIALER_CALLBACKS,
    ...(deps.hasCapacity ? { hasCapacity: deps.hasCapacity } : {}),
    log,
  });
  dialer.start();
  log.info("DIALER_STARTED", { callbacks: e.DIALER_CALLBACKS, pollMs: e.DIALER_POLL_MS });
  return { dialer, stop: () => dialer.abandon() };
}
