import assert from "node:assert/strict";
import { ManualScheduler } from "../media/fake_scheduler.ts";
import { SessionManager } from "../session/session_manager.ts";
import { FakeAgent, FakePeer } from "../../tests/support/session_fakes.ts";
import { createApp } from "../http/app.ts";
import { figuresMetrics } from "./figures_metrics.ts";

Deno.test("GET /metrics carries the spend counter and the turn latency histogram", async () => {
  const scheduler = new ManualScheduler();
  const manager = new SessionManager({
    maxSessions: 1,
    maxCpuPercent: 80,
    cpuPercent: () => 5,
    deps: {
      createPeer: () => Promise.resolve(new FakePeer(scheduler)),
      createAgent: () => new FakeAgent(),
      scheduler,
      mediaConnectTimeoutMs: 10_000,
      maxCallMs: 60_000,
      callerSilenceTimeoutMs: 0,
    },
  });
  const secret = "s3cret-s3cret-s3cret";
  const app = createApp({ manager, secret, cpuPercent: () => 5 });
  const before = figuresMetrics.turnCount;
  figuresMetrics.recordTurn(640);
  figuresMetrics.addSpend("openai", 0.125);
  const res = await app.request("/metrics", { headers: { authorization: `Bearer ${secret}` } });
  const text = await res.text();
  assert.equal(res.status, 200);
  assert.match(text, /^# TYPE wa_call_spend_usd_total counter$/m);
  assert.match(text, /^wa_call_spend_usd_total\{component="openai"\} [0-9.]+$/m);
  assert.match(text, /^wa_call_spend_usd_total\{component="meta"\} [0-9.]+$/m);
  assert.match(text, new RegExp(`^wa_turn_latency_seconds_count ${before + 1}$`, "m"));
  assert.ok(text.endsWith("\n") && !text.includes("\n\n"), "one metric per line, no blank lines");
});
