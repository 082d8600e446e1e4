import assert from "node:assert/strict";
import { BackgroundTasks } from "../../supabase/functions/wa-webhook-core/background.ts";

Deno.test("background: settled() waits for tasks, including ones started meanwhile; errors reported", async () => {
  const errors: unknown[] = [];
  const handed: Promise<unknown>[] = [];
  const tasks = new BackgroundTasks((e) => errors.push(e), { waitUntil: (p) => handed.push(p) });
  const order: string[] = [];
  tasks.run(async () => {
    await new Promise((r) => setTimeout(r, 10));
    order.push("first");
    tasks.run(async () => {
      await new Promise((r) => setTimeout(r, 10));
      order.push("second");
    });
  });
  tasks.run(() => Promise.reject(new Error("boom")));
  assert.equal(tasks.size, 2);
  await tasks.settled();
  assert.deepEqual(order, ["first", "second"]);
  assert.equal(tasks.size, 0);
  assert.equal(handed.length, 3);
  assert.equal(String(errors[0]), "Error: boom");
});
