/**
 * Runs the bridge's JavaScript thread (media clock, RTP, agents) under Linux's
 * real-time `SCHED_FIFO` policy, as telephony servers do (Asterisk `-p`,
 * FreeSWITCH `-rp`), so a 20 ms frame goes out on time even when other
 * processes keep the CPUs busy.
 *
 * Why: under the 50-call bench on a 2-core machine, an empty 20 ms timer in a
 * separate normal-priority process already fired 5.1–7.2 ms late at p99; the
 * same timer under `SCHED_FIFO` was 0.85 ms late. The bridge's send-interval
 * deviation p99 went from 7.5–20 ms to 4–7.5 ms with the JS thread alone
 * real-time, and to 5 ms in every run with V8's helper threads too: a young
 * generation collection pauses the JS thread until its helpers finish.
 *
 * The threads that exist when it is called change (call it at startup, once
 * V8's helpers run), with `SCHED_RESET_ON_FORK`, so threads the runtime starts
 * later for file and DNS work stay ordinary. The kernel still
 * keeps 5 % of each second for normal tasks (`sched_rt_runtime_us`), so a
 * runaway loop cannot lock the machine. Without permission (an
 * `RLIMIT_RTPRIO` at least the priority, e.g. `docker run --ulimit rtprio=10`,
 * or `CAP_SYS_NICE`) nothing changes and the reason is returned.
 *
 * @module
 */

/** `SCHED_FIFO` and `SCHED_RESET_ON_FORK` from `<sched.h>` (Linux). */
const SCHED_FIFO = 1;
const SCHED_RESET_ON_FORK = 0x40000000;
const ERRNO_NAMES: Record<number, string> = { 1: "EPERM", 22: "EINVAL" };

/** What {@linkcode requestRealtimePriority} achieved. */
export type RealtimeResult =
  | { ok: true; priority: number }
  | { ok: false; reason: string };

/**
 * Moves this process's threads to `SCHED_FIFO` at `priority` (1–99). Needs
 * FFI and `/proc` (`--allow-ffi --allow-read`); returns why not when it cannot.
 */
export function requestRealtimePriority(priority: number): RealtimeResult {
  if (!Number.isInteger(priority) || priority < 1 || priority > 99) {
    return { ok: false, reason: `priority must be 1-99, got ${priority}` };
  }
  if (Deno.build.os !== "linux") return { ok: false, reason: `not Linux (${Deno.build.os})` };
  let libc;
  try {
    libc = Deno.dlopen("libc.so.6", {
      sched_setscheduler: { parameters: ["i32", "i32", "buffer"], result: "i32" },
      __errno_location: { parameters: [], result: "pointer" },
    });
  } catch (error) {
    return { ok: false, reason: `cannot load libc: ${(error as Error).message}` };
  }
  try {
    // struct sched_param { int sched_priority; }; pid 0 is the calling thread.
    const param = new Int32Array([priority]);
    const policy = SCHED_FIFO | SCHED_RESET_ON_FORK;
    if (libc.symbols.sched_setscheduler(0, policy, param) === 0) {
      // The others, by thread id; one that ended meanwhile is no reason to stop.
      for (const { name } of Deno.readDirSync("/proc/self/task")) {
        libc.symbols.sched_setscheduler(Number(name), policy, param);
      }
      return { ok: true, priority };
    }
    const errnoPtr = libc.symbols.__errno_location();
    const errno = errnoPtr ? new Deno.UnsafePointerView(errnoPtr).getInt32() : 0;
    const name = ERRNO_NAMES[errno] ?? `errno ${errno}`;
    return {
      ok: false,
      reason: errno === 1
        ? `${name}: needs RLIMIT_RTPRIO >= ${priority} (docker run --ulimit rtprio=${priority}) or CAP_SYS_NICE`
        : name,
    };
  } finally {
    libc.close();
  }
}
