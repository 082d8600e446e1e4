/**
 * `deno task calling-settings callback-permission [on|off|status]`: turns
 * Meta's callback permission prompt on or off for a business number, or shows
 * it (`POST`/`GET /{phone-number-id}/settings`). With it on, a user who calls
 * the business is asked to allow calls back, and the dialer's callbacks
 * (bridge/dialer/) may call missed callers who said yes.
 *
 * Reads `WHATSAPP_ACCESS_TOKEN`, `WHATSAPP_PHONE_NUMBER_ID` (or
 * `--phone-number-id=`), `WHATSAPP_GRAPH_URL` (default Graph v23.0).
 *
 * @module
 */
import {
  type CallbackPermissionStatus,
  GraphCallingSettingsClient,
} from "../lib/whatsapp/graph_calling_settings.ts";

/** Runs the command; returns the exit code and prints one line per outcome. */
export async function runCallingSettings(
  args: readonly string[],
  env: Record<string, string | undefined>,
  out: (line: string) => void = console.log,
  fetchImpl?: typeof fetch,
): Promise<number> {
  const [what, action = "status", ...rest] = args;
  const idArg = rest.concat(args).find((a) => a.startsWith("--phone-number-id="));
  const phoneNumberId = idArg?.split("=")[1] ?? env.WHATSAPP_PHONE_NUMBER_ID;
  if (what !== "callback-permission" || !["on", "off", "status"].includes(action)) {
    out("usage: calling-settings callback-permission [on|off|status] [--phone-number-id=ID]");
    return 2;
  }
  if (!env.WHATSAPP_ACCESS_TOKEN || !phoneNumberId) {
    out("WHATSAPP_ACCESS_TOKEN and WHATSAPP_PHONE_NUMBER_ID (or --phone-number-id=) are needed");
    return 2;
  }
  const client = new GraphCallingSettingsClient({
    accessToken: env.WHATSAPP_ACCESS_TOKEN,
    baseUrl: env.WHATSAPP_GRAPH_URL,
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
  });
  try {
    if (action !== "status") {
      const status: CallbackPermissionStatus = action === "on" ? "ENABLED" : "DISABLED";
      await client.setCallbackPermissionStatus(phoneNumberId, status);
    }
    const calling = await client.getCallingSettings(phoneNumberId);
    out(`callback_permission_status: ${calling.callback_permission_status ?? "unknown"}`);
    return 0;
  } catch (error) {
    out(`failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await runCallingSettings(Deno.args, Deno.env.toObject()));
