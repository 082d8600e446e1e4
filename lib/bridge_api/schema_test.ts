import assert from "node:assert/strict";
import {
  CallerContextSchema,
  MAX_CALLER_NAME_CHARS,
  MAX_CALLER_PAYLOAD_CHARS,
  NewSessionSchema,
} from "./schema.ts";

const SESSION = { callId: "wacid.1", phoneNumberId: "1", to: "16315553601", sdp: "v=0\r\n" };

Deno.test("a new session may come without the caller's number, or without any caller context", () => {
  assert.equal(NewSessionSchema.safeParse(SESSION).success, true);
  assert.equal(
    NewSessionSchema.safeParse({ ...SESSION, caller: { userId: "BR.1502576394655843" } }).success,
    true,
  );
  assert.equal(NewSessionSchema.safeParse({ ...SESSION, from: "" }).success, false);
});

Deno.test("caller context values are cut to their bound, never refused for length", () => {
  const long = "z".repeat(10_000);
  const parsed = CallerContextSchema.parse({
    userId: long,
    username: long,
    name: long,
    ctaPayload: long,
    deeplinkPayload: long,
    bizOpaqueCallbackData: long,
  });
  for (const key of ["userId", "username", "name"] as const) {
    assert.equal(parsed[key]?.length, MAX_CALLER_NAME_CHARS, key);
  }
  for (const key of ["ctaPayload", "deeplinkPayload", "bizOpaqueCallbackData"] as const) {
    assert.equal(parsed[key]?.length, MAX_CALLER_PAYLOAD_CHARS, key);
  }
  assert.deepEqual(CallerContextSchema.parse({ name: "Ana" }), { name: "Ana" });
});

Deno.test("a caller name cut at its bound never ends in half an emoji", () => {
  const name = `${"a".repeat(MAX_CALLER_NAME_CHARS - 1)}😀 and more`;
  const parsed = CallerContextSchema.parse({ name });
  assert.ok(parsed.name!.isWellFormed(), "a lone surrogate would be lost by a jsonb column");
  assert.ok(parsed.name!.length <= MAX_CALLER_NAME_CHARS);
});
