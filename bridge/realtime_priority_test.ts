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
const policies = [...Deno.readDirSync("/proc/self/task")].map(({ name }) =>
  Number(Deno.readTextFileSync("/proc/self/task/" + name + "/sched").match(/^policy\\s*:\\s*(\\d+)/m)?.[1])
);
console.log(JSON.stringify({ result, policies }));
`;

/** Runs the probe in a child (a test thread must not turn real-time), optionally under `prefix`. */
async function probe(prefix: string[] = []) {
  const argv = [...prefix, Deno.execPath(), "eval", PROBE];
  const out = await new Deno.Command(argv[0]!, { args: argv.slice(1), stderr: "inherit" }).output();
  assert.equal(out.code, 0);
  return JSON.parse(new TextDecoder().decode(out.stdout)) as {
    result: { ok: boolean; priority?: number; reason?: string };
    /** Each thread's scheduling policy. */
    policies: number[];
  };
}

Deno.test({
  name:
    "realtime priority: every thread is SCHED_FIFO when allowed, unchanged and told why when not",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const { result, policies } = await probe();
    assert.ok(policies.length > 1, "V8's helper threads are there too");
    // SCHED_FIFO is 1, SCHED_OTHER 0.
    assert.deepEqual(new Set(policies), new Set([result.ok ? 1 : 0]), JSON.stringify(result));
    if (Deno.uid() === 0) {
      assert.deepEqual(result, { ok: true, priority: 10 }, "root has CAP_SYS_NICE");
      // Without CAP_SYS_NICE (RLIMIT_RTPRIO is 0 by default) the kernel says no.
      const denied = await probe(["setpriv", "--bounding-set", "-sys_nice", "--inh-caps", "-all"]);
      assert.deepEqual(new Set(denied.policies), new Set([0]));
      assert.equal(denied.result.ok, false);
      assert.match(denied.result.reason ?? "", /^EPERM: needs RLIMIT_RTPRIO >= 10/);
    }
  },
});
