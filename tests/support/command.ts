/**
 * Running system commands (`ip`, `nft`, `openssl`, `turnserver`) from tests:
 * to completion with a bounded wait, or long-running with a bounded stop; and
 * whether a tool is installed at all.
 *
 * @module
 */

/** Longest wait for one command. */
const COMMAND_TIMEOUT_MS = 10_000;

/** Result of a command run to completion. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `cmd args` with a bounded wait; never throws for a non-zero exit. */
export async function run(cmd: string, args: string[], stdin?: string): Promise<CommandResult> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const timer = setTimeout(() => child.kill("SIGKILL"), COMMAND_TIMEOUT_MS);
  try {
    const out = await child.output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } finally {
    clearTimeout(timer);
  }
}

/** Like {@linkcode run}, but throws with the command and its stderr on a non-zero exit. */
export async function mustRun(cmd: string, args: string[], stdin?: string): Promise<string> {
  const r = await run(cmd, args, stdin);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} failed (${r.code}): ${r.stderr.trim()}`);
  }
  return r.stdout;
}

/** Longest wait for a spawned process to exit after SIGTERM, then SIGKILL. */
const KILL_GRACE_MS = 2_000;

/** The path of `cmd` on PATH (an executable file), or undefined: a test's tool check. */
export function which(cmd: string): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":").filter(Boolean)) {
    try {
      const info = Deno.statSync(`${dir}/${cmd}`);
      if (info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0) return `${dir}/${cmd}`;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

/** `no <cmd>` for the first of `cmds` not on PATH (a skip reason), or undefined. */
export function missingTool(...cmds: string[]): string | undefined {
  const missing = cmds.find((cmd) => !which(cmd));
  return missing === undefined ? undefined : `no ${missing}`;
}

/** A long-running process with piped stdio. */
export interface Spawned {
  child: Deno.ChildProcess;
  /** SIGTERM, then SIGKILL after a grace; waits for exit. Idempotent. */
  stop(): Promise<void>;
}

/** Starts `cmd args` with piped stdio (the caller reads or cancels stdout and stderr). */
export function spawnProcess(
  cmd: string,
  args: string[],
  opts: { env?: Record<string, string>; clearEnv?: boolean } = {},
): Spawned {
  const child = new Deno.Command(cmd, {
    args,
    ...(opts.env ? { env: opts.env } : {}),
    clearEnv: opts.clearEnv ?? false,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stopped: Promise<void> | undefined;
  return { child, stop: () => stopped ??= stopProcess(child) };
}

async function stopProcess(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch {
    // Already exited.
  }
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // Exited meanwhile.
    }
  }, KILL_GRACE_MS);
  await child.status;
  clearTimeout(timer);
  await Promise.allSettled([child.stdin.close(), child.stdout.cancel(), child.stderr.cancel()]);
}
