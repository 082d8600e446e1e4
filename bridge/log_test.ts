import assert from "node:assert/strict";
import type { LogRecord } from "@logtape/logtape";
import { callLogger, eventLogger, type ProcessLogEvent, REDACTED, redactingSink } from "./log.ts";

const KEY = "sk-proj-SECRET-0123456789";

function record(properties: Record<string, unknown>, message = "EVENT"): LogRecord {
  return {
    category: ["bridge"],
    level: "error",
    rawMessage: message,
    message: [message],
    timestamp: 0,
    properties,
  };
}

function through(secrets: string[], r: LogRecord): LogRecord {
  const out: LogRecord[] = [];
  redactingSink((x) => out.push(x), secrets)(r);
  return out[0]!;
}

Deno.test("redactingSink blanks a configured secret wherever it sits in a record", () => {
  const out = through(
    [KEY, "TOKEN-abcdefgh"],
    record({
      error: `401 for Bearer ${KEY}`,
      nested: { list: ["x", `TOKEN-abcdefgh in a list`], n: 5 },
      cause: new Error(`rejected key ${KEY}`),
    }, `EVENT ${KEY}`),
  );
  const text = JSON.stringify(
    out,
    (_k, v) => v instanceof Error ? { message: v.message, stack: v.stack } : v,
  );
  assert.ok(!text.includes(KEY) && !text.includes("TOKEN-abcdefgh"), text);
  assert.equal(out.properties.error, `401 for Bearer ${REDACTED}`);
  assert.deepEqual(out.properties.nested, { list: ["x", `${REDACTED} in a list`], n: 5 });
  assert.equal(out.rawMessage, `EVENT ${REDACTED}`);
});

Deno.test("redactingSink leaves clean records alone and ignores values too short to be secrets", () => {
  const cause = new Error("no secret here");
  const out = through([KEY, "abc"], record({ cause, text: "abc abc", n: 1 }));
  assert.equal(out.properties.cause, cause, "an Error without a secret keeps its identity");
  assert.equal(out.properties.text, "abc abc");
});

Deno.test("log event names are typed: a misspelt one fails type check", () => {
  const process = eventLogger<ProcessLogEvent>();
  process.info("VOICE_BRIDGE_LISTENING", {});
  // @ts-expect-error: a typo is not a ProcessLogEvent
  process.info("VOICE_BRIDGE_LISENING", {});
  const call = callLogger<"CALL_A" | "CALL_B">("wacid.typed", "session");
  call.warn("CALL_B");
  // @ts-expect-error: only the union's names
  call.warn("CALL_C");
});
