/**
 * The doctor's secret rows. Both sides name the shared bearer secret
 * `VOICE_BRIDGE_SECRET` (`bridge/config.ts`, `supabase/functions/_shared/env.ts`).
 * The functions' copy comes from an env file (what `supabase secrets set
 * --env-file` takes) or, without one, from this environment. Values are
 * compared in constant time and never printed. With the functions'
 * `VOICE_BRIDGE_URL`, the running bridge is asked to accept that secret.
 *
 * @module
 */
import { secretEquals } from "../../lib/auth/secret.ts";
import { type CheckRow, fail, ok, skip } from "./check.ts";

const GROUP = "secrets";

/** Parses `KEY=value` lines (`#` comments, optional `export`, single or double quotes). */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    let value = match[2]!;
    const quoted = /^(["'])(.*)\1$/.exec(value);
    if (quoted) value = quoted[2]!;
    else value = value.replace(/\s+#.*$/, "");
    out[match[1]!] = value;
  }
  return out;
}

/** What the secret rows compare. */
export interface SecretFacts {
  /** The bridge's `VOICE_BRIDGE_SECRET`. */
  bridgeSecret: string | undefined;
  /** The functions' variables, and where they came from (for the row). */
  functions: { vars: Record<string, string | undefined>; source: "file" | "environment" };
}

/** Whether the two copies of the shared secret agree. */
export async function secretAgreementRow(facts: SecretFacts): Promise<CheckRow> {
  const name = "VOICE_BRIDGE_SECRET agrees";
  const theirs = facts.functions.vars.VOICE_BRIDGE_SECRET || undefined;
  if (!facts.bridgeSecret || !theirs) {
    const missing = !facts.bridgeSecret ? "the bridge's" : "the functions'";
    return skip(GROUP, name, `${missing} VOICE_BRIDGE_SECRET is not set here`);
  }
  if (facts.functions.source === "environment") {
    return skip(
      GROUP,
      name,
      "both read this environment's VOICE_BRIDGE_SECRET; pass --functions-env FILE to compare the functions' own",
    );
  }
  if (await secretEquals(theirs, facts.bridgeSecret)) {
    return ok(GROUP, name, "the bridge's and the functions' values are equal (not shown)");
  }
  return fail(
    GROUP,
    name,
    "the bridge's and the functions' VOICE_BRIDGE_SECRET differ (values not shown)",
    "set the same value on both: the bridge's environment and `supabase secrets set VOICE_BRIDGE_SECRET=…`; every call is rejected with bridge_unreachable until they agree",
  );
}

/** Whether the running bridge at the functions' `VOICE_BRIDGE_URL` accepts their secret. */
export async function bridgeAcceptsRow(
  facts: SecretFacts,
  options: { timeoutMs: number; fetch?: typeof fetch },
): Promise<CheckRow> {
  const name = "bridge accepts the secret";
  const url = facts.functions.vars.VOICE_BRIDGE_URL || undefined;
  const secret = facts.functions.vars.VOICE_BRIDGE_SECRET || facts.bridgeSecret;
  if (!url) return skip(GROUP, name, "no VOICE_BRIDGE_URL for the functions");
  if (!secret) return skip(GROUP, name, "no VOICE_BRIDGE_SECRET");
  const target = `${url.replace(/\/+$/, "")}/metrics`;
  let status: number;
  try {
    const response = await (options.fetch ?? fetch)(target, {
      headers: { authorization: `Bearer ${secret}` },
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    await response.body?.cancel();
    status = response.status;
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).replaceAll(
      secret,
      "…",
    );
    return fail(
      GROUP,
      name,
      `cannot reach ${url}: ${message.slice(0, 160)}`,
      "start the bridge, or fix VOICE_BRIDGE_URL (the functions must reach it over HTTPS)",
    );
  }
  if (status === 200) return ok(GROUP, name, `${url} accepts the functions' secret`);
  if (status === 401) {
    return fail(
      GROUP,
      name,
      `${url} refuses the functions' secret (HTTP 401)`,
      "the running bridge has another VOICE_BRIDGE_SECRET: set the same value on both and restart the bridge",
    );
  }
  return fail(
    GROUP,
    name,
    `${url}/metrics answered HTTP ${status}`,
    "VOICE_BRIDGE_URL may point at something other than the bridge",
  );
}
