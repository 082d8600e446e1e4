import assert from "node:assert/strict";
import { CALL_ERRORS, callErrorInfo, describeCallError } from "./call_errors.ts";

Deno.test("the table holds Meta's calling codes with Meta's titles and HTTP statuses", () => {
  const meta = [
    100,
    613,
    131009,
    131030,
    131044,
    131055,
    ...[0, 1, 2, 3, 4, 5, 6, 7, 9, 12, 13, 14, 15, 17, 18, 19, 20, 21, 22, 23].map((n) =>
      138000 + n
    ),
  ];
  for (const code of meta) assert.ok(callErrorInfo(code), `missing ${code}`);
  assert.equal(CALL_ERRORS[138007].title, "Connect Timeout error");
  assert.equal(CALL_ERRORS[138007].httpStatus, 500);
  assert.equal(CALL_ERRORS[138002].httpStatus, 429);
  assert.equal(CALL_ERRORS[138000].httpStatus, 401);
  assert.equal(callErrorInfo(424242), undefined);
});

Deno.test("138019 to 138023 are the codes Meta sends in terminate webhooks", () => {
  const inWebhook = Object.entries(CALL_ERRORS)
    .filter(([, info]) => "inTerminateWebhook" in info)
    .map(([code]) => Number(code));
  assert.deepEqual(inWebhook, [138019, 138020, 138021, 138022, 138023]);
  assert.equal(CALL_ERRORS[138021].title, "Media receive timeout");
});

Deno.test("describeCallError reads as Meta's title and meaning, then Meta's details", () => {
  assert.equal(
    describeCallError({ code: 138020, details: "relay down" }),
    "138020 Relay connection failed: " +
      "The WhatsApp client failed to establish a connection with the relay server (relay down)",
  );
  assert.match(describeCallError({ code: 100 }), /^100 Invalid Parameter: /);
  assert.equal(describeCallError({ code: 424242, message: "odd" }), "424242 odd");
  assert.equal(describeCallError({ code: 424242 }), "424242 unknown error");
});
