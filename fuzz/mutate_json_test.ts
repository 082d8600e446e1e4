import assert from "node:assert/strict";
import {
  applyJsonMutation,
  type Json,
  JSON_MUTATIONS,
  type JsonMutation,
  MAX_NEST,
  MAX_NODES,
  measure,
  mutateJson,
} from "./mutate_json.ts";
import { Rng } from "./rng.ts";

const DOC: Json = {
  object: "whatsapp_business_account",
  entry: [{
    id: "1",
    changes: [{ field: "calls", value: { calls: [{ id: "c", timestamp: "17" }] } }],
  }],
};
const OTHER: Json = { messages: [{ from: "1", type: "interactive" }] };

function apply(kind: JsonMutation, seed: number, value: Json = DOC): Json {
  return applyJsonMutation(new Rng(seed), kind, value, [DOC, OTHER]);
}

/** The type of every node, by path. */
function types(v: Json, path = "$", out = new Map<string, string>()): Map<string, string> {
  out.set(path, v === null ? "null" : Array.isArray(v) ? "array" : typeof v);
  if (Array.isArray(v)) v.forEach((x, i) => types(x, `${path}[${i}]`, out));
  else if (typeof v === "object" && v !== null) {
    for (const [k, x] of Object.entries(v)) types(x, `${path}.${k}`, out);
  }
  return out;
}

Deno.test("mutateJson: deterministic by seed, and leaves its input alone", () => {
  const before = structuredClone(DOC);
  const run = (seed: number) => {
    const rng = new Rng(seed);
    return Array.from({ length: 200 }, () => JSON.stringify(mutateJson(rng, DOC, [DOC, OTHER])));
  };
  assert.deepEqual(run(3), run(3));
  assert.notDeepEqual(run(3), run(4));
  assert.deepEqual(DOC, before);
});

/** True when `v` holds only what JSON can carry (no undefined, NaN, ±Infinity, …). */
function isJson(v: unknown): boolean {
  const stack = [v];
  while (stack.length > 0) {
    const x = stack.pop();
    if (x === null || typeof x === "string" || typeof x === "boolean") continue;
    if (typeof x === "number" && Number.isFinite(x)) continue;
    if (typeof x !== "object" || x === undefined) return false;
    stack.push(...(Array.isArray(x) ? x : Object.values(x)));
  }
  return true;
}

Deno.test("mutants are JSON values (finite numbers, no undefined)", () => {
  const rng = new Rng(11);
  let v: Json = DOC;
  for (let i = 0; i < 500; i++) {
    v = mutateJson(rng, i % 20 === 0 ? DOC : v, [DOC, OTHER]);
    assert.ok(isJson(v), JSON.stringify(v).slice(0, 200));
  }
  assert.equal(isJson({ a: [1, NaN] }), false);
  for (let seed = 0; seed < 100; seed++) {
    for (const text of ["1e309", "-Infinity", "NaN"]) {
      assert.ok(
        isJson(apply("type_confusion", seed, text)),
        `${text} confused to a non-JSON number`,
      );
    }
  }
});

Deno.test("type_confusion changes the type of some node", () => {
  const original = types(DOC);
  for (let seed = 0; seed < 50; seed++) {
    const mutated = types(apply("type_confusion", seed));
    const changed = [...original].some(([path, t]) => mutated.get(path) !== t) ||
      mutated.size !== original.size;
    assert.ok(changed, `seed ${seed}`);
  }
});

Deno.test("delete, add_key and rename_key change the keys; __proto__ becomes an own key", () => {
  const keys = (v: Json) => [...types(v).keys()].sort().join();
  let proto = false;
  for (let seed = 0; seed < 100; seed++) {
    for (const kind of ["delete", "add_key", "rename_key"] as const) {
      const out = apply(kind, seed);
      assert.ok(keys(out) !== keys(DOC) || JSON.stringify(out) !== JSON.stringify(DOC), kind);
      proto ||= JSON.stringify(out).includes('"__proto__"');
    }
  }
  assert.ok(proto, "never added a __proto__ key");
});

Deno.test("mutate_string reaches lone surrogates", () => {
  const out = Array.from(
    { length: 200 },
    (_, seed) => JSON.stringify(apply("mutate_string", seed)),
  );
  assert.ok(
    out.some((t) => /\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])/i.test(t)),
    "no lone high surrogate",
  );
});

Deno.test("nest wraps deeply, but never past MAX_NEST", () => {
  const rng = new Rng(21);
  let v: Json = DOC;
  let deepest = 0;
  for (let i = 0; i < 60; i++) {
    v = applyJsonMutation(rng, "nest", v, [DOC]);
    deepest = Math.max(deepest, measure(v).depth);
  }
  assert.ok(deepest > 256, `only ${deepest} deep`);
  assert.ok(deepest <= MAX_NEST, `${deepest} deep`);
  structuredClone(v); // the reason for the bound
});

Deno.test("duplicate_element grows arrays, but never past MAX_NODES", () => {
  const rng = new Rng(22);
  let v: Json = DOC;
  for (let i = 0; i < 200; i++) v = applyJsonMutation(rng, "duplicate_element", v, [DOC]);
  const { nodes } = measure(v, Infinity);
  assert.ok(nodes > 1000, `only ${nodes} nodes`);
  assert.ok(nodes <= MAX_NODES, `${nodes} nodes`);
});

Deno.test("graft brings in subtrees of other seeds; every kind runs on scalars", () => {
  const grafted = Array.from({ length: 100 }, (_, seed) => JSON.stringify(apply("graft", seed)));
  assert.ok(grafted.some((t) => t.includes("interactive")));
  for (const kind of JSON_MUTATIONS) {
    for (const v of [null, 0, "", [], {}] as Json[]) apply(kind, 1, v);
  }
});
