/**
 * Test helpers of the doctor: reading one row back out of the table
 * `renderTable` (check.ts) prints.
 *
 * @module
 */
import assert from "node:assert/strict";

/** The line of `table` for `group` and a name matching `name`, with its `fix:` line if any. */
export function tableRow(table: string, group: string, name: RegExp): string {
  const lines = table.split("\n");
  const i = lines.findIndex((l) => l.slice(2).startsWith(group) && name.test(l));
  assert.ok(i >= 0, `no ${group} ${name} row in:\n${table}`);
  const next = lines[i + 1] ?? "";
  return next.trimStart().startsWith("fix:") ? `${lines[i]}\n${next}` : lines[i]!;
}
