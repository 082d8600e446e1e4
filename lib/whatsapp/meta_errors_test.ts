import assert from "node:assert/strict";
import { callErrorCodes, explainMetaError } from "./meta_errors.ts";
import { CALL_ERRORS } from "./call_errors.ts";

Deno.test("meta errors: every code Meta lists gets a title and a sentence", () => {
  for (const code of Object.keys(CALL_ERRORS).map(Number)) {
    const e = explainMetaError(code);
    assert.notEqual(e.title, "Unknown error", String(code));
    assert.match(e.explanation, /\w.*\.$/, `${code}: a sentence`);
  }
});

Deno.test("meta errors: 138021 in plain words with what to check; 138008 marked unconfirmed", () => {
  const timeout = explainMetaError(138021);
  assert.equal(timeout.title, "Media receive timeout");
  assert.match(timeout.explanation, /heard no audio from us/);
  assert.match(timeout.action, /PUBLIC_IP/);
  assert.equal(timeout.confirmed, true);
  assert.equal(explainMetaError(138008).confirmed, false, "implementers' report, not Meta's table");
});

Deno.test("meta errors: an unknown code is said to be unknown, never invented", () => {
  const e = explainMetaError(138099);
  assert.equal(e.title, "Unknown error");
  assert.match(e.explanation, /138099/);
  assert.equal(e.confirmed, false);
});

Deno.test("meta errors: a call's codes, the column's first, without repeats", () => {
  assert.deepEqual(callErrorCodes(138021, [138021, 131044]), [138021, 131044]);
  assert.deepEqual(callErrorCodes(null, null), []);
  assert.deepEqual(callErrorCodes(null, [138023]), [138023]);
});
