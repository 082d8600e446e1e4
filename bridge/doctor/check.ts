/**
 * The doctor's rows and their table: each check returns rows (passed,
 * failed with the fix, or skipped with the reason); the table is printed
 * and any failure makes the exit status 1. Pure: no I/O here.
 *
 * @module
 */

/** How a check ended: ✔, ✘ or – (skipped, with the reason). */
export type CheckStatus = "ok" | "fail" | "skip";

/** One line of the doctor's table. */
export interface CheckRow {
  /** The group the row belongs to, e.g. `network`, `turn`, `openai`. */
  group: string;
  /** What was checked, e.g. `UDP egress (STUN)`. */
  name: string;
  status: CheckStatus;
  /** What was found (never a secret), or why it was skipped. */
  detail: string;
  /** For a failure: what the operator should do. */
  fix?: string;
}

/** A passed row. */
export function ok(group: string, name: string, detail: string): CheckRow {
  return { group, name, status: "ok", detail };
}

/** A failed row with its fix. */
export function fail(group: string, name: string, detail: string, fix: string): CheckRow {
  return { group, name, status: "fail", detail, fix };
}

/** A skipped row with the reason. */
export function skip(group: string, name: string, reason: string): CheckRow {
  return { group, name, status: "skip", detail: reason };
}

const MARK: Record<CheckStatus, string> = { ok: "✔", fail: "✘", skip: "–" };

/**
 * The table: one line per row (mark, group, name, detail), each failure
 * followed by an indented `fix:` line, then a summary line.
 */
export function renderTable(rows: readonly CheckRow[]): string {
  const groupWidth = Math.max(5, ...rows.map((r) => r.group.length));
  const nameWidth = Math.max(5, ...rows.map((r) => r.name.length));
  const lines = rows.flatMap((r) => {
    const line = `${MARK[r.status]} ${r.group.padEnd(groupWidth)}  ${r.name.padEnd(nameWidth)}  ${
      oneLine(r.detail)
    }`;
    return r.status === "fail" && r.fix
      ? [line, `  ${" ".repeat(groupWidth + nameWidth + 4)}fix: ${oneLine(r.fix)}`]
      : [line];
  });
  const count = (s: CheckStatus) => rows.filter((r) => r.status === s).length;
  lines.push(`${count("ok")} passed, ${count("fail")} failed, ${count("skip")} skipped`);
  return lines.join("\n");
}

/** 1 when any row failed, else 0. */
export function exitCode(rows: readonly CheckRow[]): number {
  return rows.some((r) => r.status === "fail") ? 1 : 0;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
