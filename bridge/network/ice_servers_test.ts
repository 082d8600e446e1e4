import assert from "node:assert/strict";
import { IceServerPicker, parseIceServers, parseIceServerUrl, redactUrl } from "./ice_servers.ts";

const creds = { username: "user", credential: "pass-word-123" };

Deno.test("parseIceServerUrl: schemes, default ports, transports and display URLs", () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ["turn:203.0.113.5", {
      kind: "turn",
      port: 3478,
      transport: "udp",
      display: "turn:203.0.113.5:3478",
    }],
    ["turn:203.0.113.5:3478?transport=udp", {
      kind: "turn",
      transport: "udp",
      display: "turn:203.0.113.5:3478",
    }],
    [
      "turn:relay.example.com:443?transport=tcp",
      {
        kind: "turn",
        host: "relay.example.com",
        port: 443,
        transport: "tcp",
        display: "turn:relay.example.com:443?transport=tcp",
      },
    ],
    ["turns:203.0.113.5", {
      kind: "turn",
      port: 5349,
      transport: "tls",
      display: "turns:203.0.113.5:5349",
    }],
    ["TURNS:203.0.113.5:443?transport=tcp", {
      kind: "turn",
      transport: "tls",
      display: "turns:203.0.113.5:443",
    }],
    ["turn:[2001:db8::1]:3478", {
      kind: "turn",
      host: "2001:db8::1",
      display: "turn:[2001:db8::1]:3478",
    }],
    ["stun:stun.example.com:19302", {
      kind: "stun",
      port: 19302,
      display: "stun:stun.example.com:19302",
    }],
  ];
  for (const [urls, expected] of cases) {
    const parsed = parseIceServerUrl({ urls, ...creds });
    assert.ok(!("error" in parsed), urls);
    for (const [key, value] of Object.entries(expected)) {
      assert.equal((parsed as unknown as Record<string, unknown>)[key], value, `${urls} ${key}`);
    }
  }
});

Deno.test("parseIceServerUrl: what werift would skip silently is an error", () => {
  for (
    const [urls, entry] of [
      ["http://turn.example.com", creds],
      ["turns:turn.example.com?transport=udp", creds],
      ["turn:turn.example.com?transport=sctp", creds],
      ["turn:turn.example.com:0", creds],
      ["turn:turn.example.com", { username: "user" }],
      ["turn:user:pass@turn.example.com", creds],
    ] as const
  ) {
    assert.ok("error" in parseIceServerUrl({ urls, ...entry }), urls);
  }
});

Deno.test("display URLs and errors never carry credentials", () => {
  const [turn] = parseIceServers([{ urls: "turn:turn.example.com?transport=tcp", ...creds }]);
  assert.ok(turn && !JSON.stringify(turn.display).includes("pass-word"));
  assert.equal(
    redactUrl("turn:alice:hunter2@turn.example.com:3478?transport=tcp&x=1"),
    "turn:turn.example.com:3478?transport=tcp",
  );
  assert.equal(redactUrl("turns://bob:pw@h:5349?ttl=9"), "turns://h:5349");
  assert.throws(
    () => parseIceServers([{ urls: "turn:alice:hunter2@turn.example.com", ...creds }]),
    (e: Error) => !e.message.includes("hunter2") && e.message.includes("turn.example.com"),
  );
});

Deno.test("IceServerPicker: first STUN, usable TURN servers in order, failed ones last", () => {
  let now = 1000;
  const servers = parseIceServers([
    { urls: "stun:stun.example.com" },
    { urls: "turn:a.example.com", ...creds },
    { urls: "turn:a.example.com?transport=tcp", ...creds },
    { urls: "turns:b.example.com", ...creds },
    { urls: "stun:other.example.com" },
  ]);
  const picker = new IceServerPicker(servers, () => now);
  const order = () => picker.pick().turn.map((s) => s.display);
  assert.equal(picker.pick().stun?.display, "stun:stun.example.com:3478");
  assert.deepEqual(order(), [
    "turn:a.example.com:3478",
    "turn:a.example.com:3478?transport=tcp",
    "turns:b.example.com:5349",
  ]);
  const [udp, tcp, tls] = picker.turn;
  picker.markFailed(tcp!, "timeout");
  now = 2000;
  picker.markFailed(udp!, "auth");
  assert.deepEqual(order(), [
    "turns:b.example.com:5349",
    "turn:a.example.com:3478?transport=tcp",
    "turn:a.example.com:3478",
  ]);
  assert.deepEqual(picker.failure(udp!), { cause: "auth", at: 2000 });
  assert.equal(picker.markUsable(tcp!), true);
  assert.equal(picker.markUsable(tls!), false);
  assert.deepEqual(order()[0], "turn:a.example.com:3478?transport=tcp");
});
