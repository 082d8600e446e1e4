/**
 * The rules OpenAI's Structured Outputs apply to a schema sent with
 * `strict: true`, checked before any call so a bad `ANALYSIS_FIELDS` stops
 * the bridge at start instead of failing every call's analysis with a 400.
 *
 * Rules (OpenAI's Structured Outputs guide, "Supported schemas"; the service's
 * own 400 messages, `code: "invalid_json_schema"`, `param: "text.format.schema"`,
 * as quoted in mavam/pi-web-providers#14 and other public reports):
 * - every object sets `additionalProperties: false`;
 * - every object's `required` lists every key of its `properties` (a field that
 *   may be absent is required with a type array holding `"null"`);
 * - every node declares a `type` (or `enum`/`const`/`anyOf`/`$ref`);
 * - the root is an object, not an `anyOf`.
 * Not checked (the published limits changed since launch and could not be
 * confirmed for current models): nesting depth, total properties, enum size.
 *
 * @module
 */

/** One broken rule, with where in the schema (OpenAI's `context` path). */
export interface StrictSchemaViolation {
  path: readonly (string | number)[];
  message: string;
}

type Node = Record<string, unknown>;

const isNode = (v: unknown): v is Node => typeof v === "object" && v !== null && !Array.isArray(v);

/** Every strict-mode rule `schema` breaks; empty when OpenAI would accept it. */
export function strictSchemaViolations(schema: unknown): StrictSchemaViolation[] {
  const out: StrictSchemaViolation[] = [];
  if (!isNode(schema) || schema.type !== "object" || "anyOf" in schema) {
    out.push({ path: [], message: 'the root must be {"type": "object", ...}' });
    return out;
  }
  visit(schema, [], out);
  return out;
}

function visit(node: unknown, path: (string | number)[], out: StrictSchemaViolation[]): void {
  if (!isNode(node)) {
    out.push({ path, message: "every schema node must be an object" });
    return;
  }
  const typed = ["type", "enum", "const", "anyOf", "$ref"].some((k) => k in node);
  if (!typed) out.push({ path, message: "every schema node must declare a type" });
  const types = Array.isArray(node.type) ? node.type : [node.type];
  if (types.includes("object") || "properties" in node) checkObject(node, path, out);
  if (isNode(node.items)) visit(node.items, [...path, "items"], out);
  if (Array.isArray(node.anyOf)) node.anyOf.forEach((n, i) => visit(n, [...path, "anyOf", i], out));
  for (const defs of ["$defs", "definitions"]) {
    const pool = node[defs];
    if (isNode(pool)) {
      for (const [k, n] of Object.entries(pool)) visit(n, [...path, defs, k], out);
    }
  }
}

function checkObject(node: Node, path: (string | number)[], out: StrictSchemaViolation[]): void {
  if (node.additionalProperties !== false) {
    out.push({
      path,
      message: "'additionalProperties' is required to be supplied and to be false",
    });
  }
  const properties = isNode(node.properties) ? node.properties : {};
  const required = Array.isArray(node.required) ? node.required : [];
  const missing = Object.keys(properties).filter((k) => !required.includes(k));
  if (!Array.isArray(node.required) || missing.length > 0) {
    out.push({
      path,
      message: "'required' is required to be supplied and to be an array including every key " +
        `in properties${missing.length > 0 ? `. Missing '${missing[0]}'` : ""}`,
    });
  }
  for (const [key, child] of Object.entries(properties)) {
    visit(child, [...path, "properties", key], out);
  }
}

/** The violations as one line each, `at properties.fields: …`. */
export function describeViolations(violations: readonly StrictSchemaViolation[]): string {
  return violations
    .map((v) => `${v.path.length === 0 ? "at the root" : `at ${v.path.join(".")}`}: ${v.message}`)
    .join("; ");
}
