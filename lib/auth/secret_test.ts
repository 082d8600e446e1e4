import assert from "node:assert/strict";
import { bearerMatches, secretEquals } from "./secret.ts";

Deno.test("auth: bearer must carry exactly the secret; an empty secret never matches", async () => {
  assert.equal(await bearerMatches("Bearer k3y", "k3y"), true);
  assert.equal(await bearerMatches("bearer   k3y ", "k3y"), true);
  for (const h of [null, "", "Bearer", "Bearer k3", "Bearer k3y2", "Basic k3y", "k3y"]) {
    assert.equal(await bearerMatches(h, "k3y"), false, String(h));
  }
  assert.equal(await secretEquals("", ""), false);
  assert.equal(await secretEquals("a", "a"), true);
});
