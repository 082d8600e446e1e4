import assert from "node:assert/strict";
import { parseCsvRows, recipientsFromCsv } from "./csv.ts";
import { fillTemplate } from "./schema.ts";

Deno.test("csv: quotes, doubled quotes, CRLF and a missing last newline", () => {
  assert.deepEqual(parseCsvRows('a,b\r\n"x, ""y""",2\n3,'), [["a", "b"], ['x, "y"', "2"], [
    "3",
    "",
  ]]);
});

Deno.test("csv: recipients need a valid number; the line of a bad one is named", () => {
  assert.deepEqual(recipientsFromCsv("user,name\n34600000001,Ana\n"), {
    ok: true,
    recipients: [{ user: "34600000001", variables: { name: "Ana" } }],
  });
  const bad = recipientsFromCsv("user,name\n34600000001,Ana\nnot-a-number,Bo\n");
  assert.equal(bad.ok, false);
  assert.match((bad as { error: string }).error, /^line 3:/);
  assert.equal(recipientsFromCsv("").ok, false);
});

Deno.test("templates: {{variables}} filled, unknown ones left as written", () => {
  assert.equal(
    fillTemplate("Hi {{ name }}, at {{time}} {{x}}", { name: "Ana", time: "10" }),
    "Hi Ana, at 10 {{x}}",
  );
});
