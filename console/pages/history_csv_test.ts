import assert from "node:assert/strict";
import { CSV_HEADER, csvCell, csvLine, csvStream } from "./history_csv.ts";
import type { CallHistoryRow } from "../../store/call_history.ts";
import { partyLabel } from "./call_format.ts";
import type { ConsoleUser } from "../server/context.ts";

Deno.test("csv: RFC 4180 quoting: commas, quotes, CR and LF quoted, quotes doubled", () => {
  assert.equal(csvCell("plain"), "plain");
  assert.equal(csvCell("a,b"), '"a,b"');
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
  assert.equal(csvCell("two\nlines"), '"two\nlines"');
  assert.equal(csvCell("cr\rhere"), '"cr\rhere"');
  assert.equal(csvCell(null), "");
  assert.equal(csvCell(0.5), "0.5");
  assert.equal(csvLine(["a", null, 'b"c']), 'a,,"b""c"\r\n');
});

Deno.test("csv: a cell a spreadsheet would run as a formula starts with a quote", () => {
  for (const start of ["=", "+", "-", "@", "\t", "\r"]) {
    assert.ok(
      csvCell(`${start}1+1`).replace(/^"/, "").startsWith(`'${start}`),
      JSON.stringify(start),
    );
  }
  assert.equal(csvCell('=HYPERLINK("http://x","y")'), `"'=HYPERLINK(""http://x"",""y"")"`);
  assert.equal(csvCell("a=b"), "a=b", "only a leading sign matters");
});

Deno.test("csv: the stream is the header then every batch, masked by `shown`", async () => {
  const row = (callId: string, from: string): CallHistoryRow => ({
    callId,
    cursorAt: "2026-12-01T10:00:00.000000Z",
    createdAt: new Date("2026-12-01T10:00:00Z"),
    offeredAt: null,
    acceptedAt: null,
    endedAt: null,
    direction: "user_initiated",
    fromNumber: from,
    toNumber: null,
    fromUserId: null,
    toUserId: null,
    username: null,
    profileName: null,
    testCall: false,
    phoneNumberId: "1065",
    status: "completed",
    durationSeconds: 12,
    endReason: null,
    metaErrorCode: null,
    outcome: "resolved, finally",
    costUsd: 0.01,
  });
  async function* batches() {
    yield [row("a", "4915112345678")];
    yield [row("b", "4915100000000"), row("c", "4915199999999")];
  }
  let counted = -1;
  const text = await new Response(
    csvStream(
      batches(),
      (r, side) => {
        const n = side === "from" ? r.fromNumber : r.toNumber;
        return n === null ? "—" : `${n.slice(0, 3)}***`;
      },
      (n) => counted = n,
    ),
  ).text();
  const lines = text.split("\r\n");
  assert.equal(lines.length, 5);
  assert.match(
    lines[1]!,
    /^a,2026-12-01T10:00:00.000Z,user_initiated,491\*\*\*,,1065,false,completed,12,,,"resolved, finally",0.01$/,
  );
  assert.ok(!text.includes("4915112345678"));
  assert.equal(counted, 3);
});

Deno.test("csv: test_call column, and callers without a number by username, name or masked id", async () => {
  assert.equal(CSV_HEADER.indexOf("test_call"), CSV_HEADER.indexOf("phone_number_id") + 1);
  const base: CallHistoryRow = {
    callId: "x",
    cursorAt: "2026-12-01T10:00:00.000000Z",
    createdAt: new Date("2026-12-01T10:00:00Z"),
    offeredAt: null,
    acceptedAt: null,
    endedAt: null,
    direction: "user_initiated",
    fromNumber: null,
    toNumber: "15550009999",
    fromUserId: "US.13491208655302741918",
    toUserId: null,
    username: null,
    profileName: null,
    testCall: false,
    phoneNumberId: "1065",
    status: "completed",
    durationSeconds: 1,
    endReason: null,
    metaErrorCode: null,
    outcome: null,
    costUsd: null,
  };
  const rows: CallHistoryRow[] = [
    { ...base, callId: "named", username: "ada.l", profileName: "Ada" },
    { ...base, callId: "profile", profileName: "Ada L" },
    { ...base, callId: "bsuid" },
    {
      ...base,
      callId: "test-1",
      fromUserId: "user-operator",
      profileName: "operator@console.test",
      testCall: true,
    },
  ];
  async function* batches() {
    yield rows;
  }
  const csvFor = async (role: ConsoleUser["role"]) => {
    const user: ConsoleUser = { id: "u", email: null, role };
    const text = await new Response(csvStream(batches(), (r, s) => partyLabel(user, r, s))).text();
    return new Map(text.split("\r\n").slice(1, -1).map((l) => [l.split(",")[0], l.split(",")]));
  };
  const at = CSV_HEADER.indexOf("from");
  const test = CSV_HEADER.indexOf("test_call");
  const viewer = await csvFor("viewer");
  assert.deepEqual(
    [...viewer.values()].map((l) => [l[at], l[at + 1], l[test]]),
    [
      ["ada.l", "1555•••9999", "false"],
      ["Ada L", "1555•••9999", "false"],
      ["US.13•••18", "1555•••9999", "false"],
      ["operator@console.test", "1555•••9999", "true"],
    ],
  );
  const operator = await csvFor("operator");
  assert.equal(operator.get("bsuid")![at], "US.13491208655302741918");
  assert.equal(operator.get("named")![at + 1], "15550009999");
});
