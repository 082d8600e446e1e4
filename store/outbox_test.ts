import assert from "node:assert/strict";
import { z } from "zod";
import { FileOutbox, OutboxFullError } from "./outbox.ts";
import { OutboxFlusher } from "./outbox_flusher.ts";

const Item = z.object({ n: z.number() });

async function withOutbox(test: (o: FileOutbox<{ n: number }>, path: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    await test(new FileOutbox(`${dir}/o.jsonl`, Item, 200), `${dir}/o.jsonl`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("outbox: appends replay in order; a torn line is skipped, later appends kept", () =>
  withOutbox(async (outbox, path) => {
    await outbox.append([{ n: 1 }, { n: 2 }]);
    await Deno.writeTextFile(path, '{"n":', { append: true }); // a crash mid-append
    await outbox.append([{ n: 3 }]);
    assert.deepEqual(await outbox.read(), [{ n: 1 }, { n: 2 }, { n: 3 }]);
  }));

Deno.test("outbox: drain removes what applied and keeps the rest from the first failure", () =>
  withOutbox(async (outbox) => {
    await outbox.append([{ n: 1 }, { n: 2 }, { n: 3 }]);
    const seen: number[] = [];
    await assert.rejects(outbox.drain(({ n }) => {
      if (n === 2) return Promise.reject(new Error("down"));
      seen.push(n);
      return Promise.resolve();
    }));
    assert.deepEqual(await outbox.read(), [{ n: 2 }, { n: 3 }]);
    assert.equal(await outbox.drain(({ n }) => Promise.resolve(void seen.push(n))), 2);
    assert.deepEqual(seen, [1, 2, 3]);
    assert.deepEqual(await outbox.read(), []);
  }));

Deno.test("outbox: an append past the size bound is refused", () =>
  withOutbox(async (outbox) => {
    let appended = 0;
    await assert.rejects(async () => {
      for (; appended < 100; appended++) await outbox.append([{ n: appended }]);
    }, OutboxFullError);
    assert.ok(appended > 10 && appended < 100);
    assert.equal((await outbox.read()).length, appended);
  }));

Deno.test("flusher: backs off while draining fails, resets on success, stops on close", async () => {
  const timers: { fn: () => void; ms: number }[] = [];
  let fail = true;
  let passes = 0;
  const flusher = new OutboxFlusher({
    drain: () => (passes++, fail ? Promise.reject(new Error("down")) : Promise.resolve(0)),
    intervalMs: 100,
    maxDelayMs: 300,
    timers: { setTimeout: (fn, ms) => timers.push({ fn, ms }), clearTimeout: () => {} },
  });
  const step = async () => {
    timers.shift()!.fn();
    await new Promise((r) => setTimeout(r, 0));
  };
  assert.equal(timers[0]?.ms, 100);
  await step();
  assert.equal(timers[0]?.ms, 200);
  await step();
  assert.equal(timers[0]?.ms, 300);
  await step();
  assert.equal(timers[0]?.ms, 300);
  fail = false;
  await step();
  assert.equal(timers[0]?.ms, 100);
  await flusher.close();
  assert.equal(passes, 4);
  for (const t of timers) t.fn(); // a timer firing after close starts nothing
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(passes, 4);
});
