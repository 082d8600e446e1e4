/**
 * The doctor's command line, run on the bridge host: `deno task doctor`
 * (through `cli/doctor.ts`), or `deno run -A bridge/doctor/main.ts` in the
 * bridge's container, which holds no `cli/`. Prints a table of checks (✔
 * passed, ✘ failed with the fix, – skipped with the reason) and exits 1 when
 * any failed. It reads the bridge's environment as the bridge does.
 *
 * ```sh
 * deno task doctor                               # every check
 * deno task doctor --quick                       # local checks and STUN (1 s), as `task dev --quick`
 * deno task doctor --functions-env supabase/.env # compare the functions' VOICE_BRIDGE_SECRET too
 * ```
 *
 * Nothing it prints holds a secret: keys, tokens, TURN credentials and the
 * shared secret are compared or used, never shown.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { exitCode, renderTable } from "./check.ts";
import { runDoctor } from "./run.ts";
import { parseEnvFile } from "./secrets.ts";

/** The table and the exit status for `args` over the environment `vars`. */
export async function doctor(
  args: string[],
  vars: Record<string, string | undefined>,
): Promise<{ text: string; code: number }> {
  const { values } = parseArgs({
    args,
    options: {
      quick: { type: "boolean", default: false },
      "functions-env": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    return {
      text: "usage: deno task doctor [--quick] [--functions-env FILE]",
      code: 0,
    };
  }
  const functionsFile = values["functions-env"];
  const caFile = vars.ICE_TURN_CA_FILE;
  const rows = await runDoctor({
    vars,
    quick: values.quick,
    functionsVars: functionsFile ? parseEnvFile(await Deno.readTextFile(functionsFile)) : undefined,
    turnTlsOptions: caFile ? { ca: await Deno.readTextFile(caFile) } : undefined,
  });
  return { text: renderTable(rows), code: exitCode(rows) };
}

/** Prints the table and exits with its status (2 when the doctor itself failed). */
export async function runDoctorCli(args: string[]): Promise<never> {
  try {
    const { text, code } = await doctor(args, Deno.env.toObject());
    console.log(text);
    Deno.exit(code);
  } catch (error) {
    console.error(`doctor: ${error instanceof Error ? error.message : String(error)}`);
    Deno.exit(2);
  }
}

if (import.meta.main) await runDoctorCli(Deno.args);
