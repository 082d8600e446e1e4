import assert from "node:assert/strict";
import { requestRealtimePriority } from "./realtime_priority.ts";

Deno.test("realtime priority: out-of-range priorities are refused with the reason", () => {
  for (const p of [0, 100, 1.5, -1]) {
    const r = requestRealtimePriority(p);
    assert.equal(r.ok, false);
    assert.match(r.ok ? "" : r.reason, /priority must be 1-99/);
  }
});

const PROBE = `
import { requestRealtimePriority } from ${
  JSON.stringify(import.meta.resolve("./realtime_priority.ts"))
};
const result = requestRealtimePriority(10);
const policy = Deno.readTextFileSync("/proc/thread-self/sched").match(/^policy\\s*:\\s*(\\d+)/m)?.[1];
console.log(JSON.stringify({ result, policy: Number(policy) }));
`;

/** Runs the probe in a child (a test thread must not turn real-time), optionally under `prefix`. */
async function probe(prefix: string[] = []) {
  const argv = [...prefix, Deno.execPath(), "eval", PROBE];
  const out = await new Deno.Command(argv[0]!, { args: argv.slice(1), stderr: "inherit" }).output();
  assert.equal(out.code, 0);
  return JSON.parse(new TextDecoder().decode(out.stdout)) as {
    result: { ok: boolean; priority?: number; reason?: string };
    policy: number;
  };
}

Deno.test({
  name:
    "realtime priority: the calling thread is SCHED_FIFO when allowed, unchanged and told why when not",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const { result, policy } = await probe();
    // SCHED_FIFO is 1, SCHED_OTHER 0.
    assert.equal(policy, result.ok ? 1 : 0, JSON.stringify(result));
    if (Deno.uid() === 0) {
      assert.deepEqual(result, { ok: true, priority: 10 }, "root has CAP_SYS_NICE");
      // Without CAP_SYS_NICE (RLIMIT_RTPRIO is 0 by default) the kernel says no.
      const denied = await probe(["setpriv", "--bounding-set", "-sys_nice", "--inh-caps", "-all"]);
      assert.equal(denied.policy, 0);
      assert.equal(denied.result.ok, false);
      assert.match(denied.result.reason ?? "", /^EPERM: needs RLIMIT_RTPRIO >= 10/);
    }
  },
});
