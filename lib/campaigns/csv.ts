/**
 * Campaign recipients from CSV (RFC 4180 quoting): a header row names the
 * columns; `user` (or `phone`) is the WhatsApp number, every other column is
 * a variable of that recipient's greeting and instructions.
 *
 * @module
 */
import { MAX_RECIPIENTS, type RecipientInput, RecipientSchema } from "./schema.ts";

/** Splits CSV text into rows of fields (quotes, doubled quotes, CRLF). */
export function parseCsvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"', i++);
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === "") quoted = true;
    else if (ch === ",") (row.push(field), field = "");
    else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(field), rows.push(row), row = [], field = "";
    } else field += ch;
  }
  if (field !== "" || row.length > 0) (row.push(field), rows.push(row));
  return rows.filter((r) => !(r.length === 1 && r[0]!.trim() === ""));
}

/** The recipients of a CSV, or the first problem (with its 1-based line). */
export function recipientsFromCsv(
  text: string,
): { ok: true; recipients: RecipientInput[] } | { ok: false; error: string } {
  const [header, ...rows] = parseCsvRows(text);
  if (!header) return { ok: false, error: "the CSV is empty" };
  const names = header.map((h) => h.trim());
  const userCol = names.findIndex((n) => n === "user" || n === "phone");
  if (userCol < 0) return { ok: false, error: "the CSV needs a user (or phone) column" };
  if (rows.length > MAX_RECIPIENTS) return { ok: false, error: `at most ${MAX_RECIPIENTS} rows` };
  const recipients: RecipientInput[] = [];
  for (const [k, row] of rows.entries()) {
    const variables: Record<string, string> = {};
    names.forEach((n, c) => {
      if (c !== userCol && n !== "") variables[n] = (row[c] ?? "").trim();
    });
    const parsed = RecipientSchema.safeParse({
      user: (row[userCol] ?? "").trim().replace(/^\+/, ""),
      variables,
    });
    if (!parsed.success) {
      return { ok: false, error: `line ${k + 2}: ${parsed.error.issues[0]?.message ?? "invalid"}` };
    }
    recipients.push(parsed.data);
  }
  return { ok: true, recipients };
}
