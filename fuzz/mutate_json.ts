/**
 * Structure-aware mutations of JSON values (webhooks, Realtime events,
 * bridge API bodies): type confusion (string ↔ number ↔ null ↔ array ↔
 * object), deleted, added and renamed keys, odd strings (lone surrogates),
 * edge numbers, bounded deep nesting, and grafts of subtrees from other seeds.
 *
 * @module
 */
import type { Rng } from "./rng.ts";
import { loneSurrogate, mutateText, oddUnicode } from "./mutate_text.ts";

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | JsonObject;
/** A JSON object. */
export interface JsonObject {
  [key: string]: Json;
}

/** Deepest a mutated document gets (V8's structuredClone overflows near 4000 levels). */
export const MAX_NEST = 2048;

/** Most nodes a mutated document gets by duplication. */
export const MAX_NODES = 20_000;

/** Nodes considered per mutation: a large document is mutated in its first this many. */
const MAX_SLOTS = 512;

/** The JSON mutations, by name. */
export type JsonMutation =
  | "type_confusion"
  | "delete"
  | "add_key"
  | "duplicate_element"
  | "mutate_string"
  | "mutate_number"
  | "nest"
  | "graft"
  | "rename_key";

/** Every {@linkcode JsonMutation}, in a fixed order. */
export const JSON_MUTATIONS: readonly JsonMutation[] = [
  "type_confusion",
  "delete",
  "add_key",
  "duplicate_element",
  "mutate_string",
  "mutate_number",
  "nest",
  "graft",
  "rename_key",
];

const EDGE_NUMBERS = [
  0,
  -1,
  1.5,
  2 ** 31,
  -(2 ** 31),
  2 ** 32,
  2 ** 53 + 2,
  -(2 ** 53),
  1e308,
  5e-324,
  1e21,
];

const KEYS = ["__proto__", "constructor", "toString", "type", "event", "field", "id", "value", ""];

/** Where a node sits: `parent[key]`. */
interface Slot {
  parent: Json[] | JsonObject;
  key: number | string;
}

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Sets an own property, even `__proto__` (plain assignment would set the prototype). */
function define(obj: JsonObject, key: string, value: Json): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function get(slot: Slot): Json {
  return (slot.parent as Record<string | number, Json>)[slot.key]!;
}

function set(slot: Slot, value: Json): void {
  if (Array.isArray(slot.parent)) slot.parent[slot.key as number] = value;
  else define(slot.parent, slot.key as string, value);
}

/** Slots of `root`'s tree, breadth first, at most {@linkcode MAX_SLOTS}. */
function slots(root: Slot): Slot[] {
  const out: Slot[] = [root];
  for (let i = 0; i < out.length && out.length < MAX_SLOTS; i++) {
    const v = get(out[i]!);
    if (Array.isArray(v)) v.forEach((_, key) => out.push({ parent: v, key }));
    else if (isObject(v)) { for (const key of Object.keys(v)) out.push({ parent: v, key }); }
  }
  return out.slice(0, MAX_SLOTS);
}

/** A small value of any JSON type. */
export function randomScalar(rng: Rng): Json {
  const choices: Json[] = [null, true, false, 0, -1, "", "x", loneSurrogate(rng), 1e308, [], {}];
  return rng.pick(choices);
}

function typeOf(v: Json): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

/** The same content as another type: "12" ↔ 12, x → [x], {"x": x}, null, … */
function confuse(rng: Rng, v: Json): Json {
  const out = confused(rng, v);
  return typeOf(out) === typeOf(v) ? [v] : out;
}

/** `n` when JSON can carry it and it is not 0, else an edge number. */
function finiteOr(n: number, rng: Rng): number {
  return Number.isFinite(n) && n !== 0 ? n : rng.pick(EDGE_NUMBERS);
}

function confused(rng: Rng, v: Json): Json {
  switch (rng.below(6)) {
    case 0:
      return typeof v === "string" ? finiteOr(Number(v), rng) : JSON.stringify(v);
    case 1:
      return null;
    case 2:
      return [v];
    case 3:
      return { x: v };
    case 4:
      return typeof v === "number" ? String(v) : rng.pick(EDGE_NUMBERS);
    default:
      return randomScalar(rng);
  }
}

/** Depth (a scalar is 0) and node count of `v`'s tree, the walk stopping past `cap` nodes. */
export function measure(v: Json, cap: number = MAX_NODES): { depth: number; nodes: number } {
  let depth = 0;
  let nodes = 0;
  const stack: [Json, number][] = [[v, 0]];
  while (stack.length > 0 && nodes <= cap) {
    const [node, d] = stack.pop()!;
    nodes++;
    depth = Math.max(depth, d);
    if (typeof node !== "object" || node === null) continue;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      stack.push([child, d + 1]);
    }
  }
  return { depth, nodes };
}

/** `v` wrapped in up to {@linkcode MAX_NEST} arrays or objects, with `room` levels left. */
function nest(rng: Rng, v: Json, room: number): Json {
  const depth = Math.min(room, 2 ** rng.below(Math.log2(MAX_NEST) + 1));
  const inArray = rng.chance(0.5);
  let out = v;
  for (let i = 0; i < depth; i++) out = inArray ? [out] : { a: out };
  return out;
}

function mutateString(rng: Rng, s: string): string {
  if (rng.chance(0.3)) {
    const at = rng.below(s.length + 1);
    return s.slice(0, at) + (rng.chance(0.6) ? loneSurrogate(rng) : oddUnicode(rng)) + s.slice(at);
  }
  return mutateText(rng, s, [s]);
}

function renameKey(rng: Rng, slot: Slot): void {
  const { parent, key } = slot;
  if (!isObject(parent)) return set(slot, confuse(rng, get(slot)));
  const value = get(slot);
  const name = rng.chance(0.5) ? rng.pick(KEYS) : mutateString(rng, key as string);
  delete parent[key as string];
  define(parent, name === key ? `${name}_` : name, value);
}

function remove(slot: Slot): void {
  if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 1);
  else delete slot.parent[slot.key as string];
}

/** Applies one named mutation at `slot`, in place; `root` holds the document. */
function applyAt(
  rng: Rng,
  kind: JsonMutation,
  slot: Slot,
  root: JsonObject,
  corpus: readonly Json[],
): void {
  const v = get(slot);
  switch (kind) {
    case "type_confusion":
      return set(slot, confuse(rng, v));
    case "delete":
      // The document itself cannot go: it becomes null.
      return slot.parent === root ? set(slot, null) : remove(slot);
    case "add_key":
      if (isObject(v)) {
        return define(v, rng.chance(0.7) ? rng.pick(KEYS) : oddUnicode(rng), randomScalar(rng));
      }
      return Array.isArray(v) ? void v.push(randomScalar(rng)) : set(slot, confuse(rng, v));
    case "duplicate_element": {
      const room = MAX_NODES - measure(root).nodes;
      if (!Array.isArray(v) || v.length === 0) {
        return measure(v).nodes < room ? set(slot, [v, v]) : undefined;
      }
      const element = rng.pick(v);
      const copies = Math.min(rng.smallSize(64), Math.floor(room / measure(element).nodes));
      return void v.splice(
        rng.below(v.length),
        0,
        ...Array<Json>(Math.max(0, copies)).fill(element),
      );
    }
    case "mutate_string":
      return set(slot, typeof v === "string" ? mutateString(rng, v) : mutateString(rng, "x"));
    case "mutate_number":
      return set(
        slot,
        typeof v === "number" && rng.chance(0.3) ? v + rng.between(-2, 2) : rng.pick(EDGE_NUMBERS),
      );
    case "nest":
      // The whole document stays within MAX_NEST levels.
      return set(slot, nest(rng, v, MAX_NEST - measure(root, Infinity).depth));
    case "graft": {
      const donor = { value: copy(rng.pick(corpus)) };
      return set(slot, get(rng.pick(slots({ parent: donor, key: "value" }))));
    }
    case "rename_key":
      return slot.parent === root ? set(slot, confuse(rng, v)) : renameKey(rng, slot);
  }
}

/**
 * A deep copy as a tree: duplicated elements share one object until the
 * next copy, so shared subtrees never multiply what a later edit adds.
 */
function copy(value: Json): Json {
  return JSON.parse(JSON.stringify(value)) as Json;
}

/** Applies one named mutation to a copy of `value`, at a random node. */
export function applyJsonMutation(
  rng: Rng,
  kind: JsonMutation,
  value: Json,
  corpus: readonly Json[],
): Json {
  const root: JsonObject = { value: copy(value) };
  applyAt(rng, kind, rng.pick(slots({ parent: root, key: "value" })), root, corpus);
  return root.value ?? null;
}

/** One random mutation of a copy of `value`, grafting from `corpus`. */
export function mutateJson(rng: Rng, value: Json, corpus: readonly Json[]): Json {
  return applyJsonMutation(rng, rng.pick(JSON_MUTATIONS), value, corpus);
}
