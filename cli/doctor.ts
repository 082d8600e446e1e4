/**
 * `deno task doctor`: checks this host's network, TURN servers, RTP ports,
 * OpenAI, Graph, database and shared secret, prints a table of ✔/✘ with the
 * fix for each failure, and exits 1 when any check failed. The checks live in
 * `bridge/doctor/` (see `bridge/doctor/main.ts`), so the bridge's container,
 * which holds no `cli/`, runs them as `deno run -A bridge/doctor/main.ts`.
 *
 * ```sh
 * deno task doctor                               # every check
 * deno task doctor --quick                       # local checks and STUN (1 s), as `task dev --quick`
 * deno task doctor --functions-env supabase/.env # compare the functions' VOICE_BRIDGE_SECRET too
 * ```
 *
 * @module
 */
import { runDoctorCli } from "../bridge/doctor/main.ts";

export { doctor } from "../bridge/doctor/main.ts";

if (import.meta.main) await runDoctorCli(Deno.args);
