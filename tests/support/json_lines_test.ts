import assert from "node:assert/strict";
import { JsonLines } from "./json_lines.ts";

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(c) {
      for (const s of chunks) c.enqueue(enc.encode(s));
      c.close();
    },
  });
}

Deno.test("JsonLines joins lines split across chunks and keeps non-JSON aside", async () => {
  const lines = new JsonLines(streamOf(['{"a":', '1}\nnot json\n{"b":2}\n{"c"', ":3}"]));
  await lines.done;
  assert.deepEqual(lines.lines, [{ a: 1 }, { b: 2 }, { c: 3 }]);
  assert.deepEqual(lines.other, ["not json"]);
});

Deno.test("JsonLines.next waits for a matching line and times out naming it", async () => {
  let push: (s: string) => void = () => {};
  const enc = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      push = (s) => c.enqueue(enc.encode(s));
    },
  });
  const lines = new JsonLines(stream);
  setTimeout(() => push('{"x":1}\n{"y":2}\n'), 50);
  assert.deepEqual(await lines.next((l) => "y" in l, 2000, "y"), { y: 2 });
  await assert.rejects(lines.next((l) => "z" in l, 100, "zed"), /timed out waiting for zed/);
  await stream.cancel().catch(() => {});
});
