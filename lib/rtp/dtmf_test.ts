import assert from "node:assert/strict";
import {
  DtmfDetector,
  type DtmfDigit,
  encodeTelephoneEvent,
  parseTelephoneEvent,
  telephoneEventPackets,
} from "./dtmf.ts";

Deno.test("parseTelephoneEvent reads the RFC 4733 §2.3 fields", () => {
  // Digit 5, E bit set, reserved bit set (ignored), volume 10, duration 800.
  const r = parseTelephoneEvent(Uint8Array.of(5, 0x80 | 0x40 | 10, 0x03, 0x20));
  assert.deepEqual(r, {
    ok: true,
    event: { code: 5, digit: "5", end: true, volume: 10, duration: 800 },
  });
  const digits = Array.from({ length: 16 }, (_, code) => {
    const p = parseTelephoneEvent(Uint8Array.of(code, 0, 0, 0));
    return p.ok ? p.event.digit : "?";
  });
  assert.equal(digits.join(""), "0123456789*#ABCD");
});

Deno.test("parseTelephoneEvent: unknown codes have no digit, short payloads are errors", () => {
  const flash = parseTelephoneEvent(Uint8Array.of(16, 0x3f, 0xff, 0xff));
  assert.deepEqual(flash, {
    ok: true,
    event: { code: 16, digit: null, end: false, volume: 63, duration: 65535 },
  });
  for (const n of [0, 1, 3]) {
    const r = parseTelephoneEvent(new Uint8Array(n));
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.code, "truncated");
  }
});

Deno.test("encodeTelephoneEvent round-trips and rejects out-of-range fields", () => {
  const bytes = encodeTelephoneEvent({ code: 11, end: true, volume: 7, duration: 0x1234 });
  assert.deepEqual(bytes, Uint8Array.of(11, 0x87, 0x12, 0x34));
  const r = parseTelephoneEvent(bytes);
  assert.ok(r.ok && r.event.digit === "#");
  assert.throws(() => encodeTelephoneEvent({ code: 256, end: false, volume: 0, duration: 0 }));
  assert.throws(() => encodeTelephoneEvent({ code: 1, end: false, volume: 64, duration: 0 }));
  assert.throws(() => encodeTelephoneEvent({ code: 1, end: false, volume: 0, duration: 65536 }));
});

Deno.test("generator follows RFC 4733: marker first, growing duration, 3 end packets", () => {
  const packets = telephoneEventPackets("7", { durationMs: 200, volume: 12 });
  assert.deepEqual(
    packets.map((p) => [p.marker, p.durationTicks, p.end]),
    [
      [true, 400, false],
      [false, 800, false],
      [false, 1200, false],
      [false, 1600, true],
      [false, 1600, true],
      [false, 1600, true],
    ],
  );
  for (const p of packets) {
    const r = parseTelephoneEvent(p.payload);
    assert.ok(r.ok);
    assert.deepEqual(r.event, {
      code: 7,
      digit: "7",
      end: p.end,
      volume: 12,
      duration: p.durationTicks,
    });
  }
  const fast = telephoneEventPackets("#", { durationMs: 60, packetIntervalMs: 20 });
  assert.deepEqual(fast.map((p) => p.durationTicks), [160, 320, 480, 480, 480]);
  const short = telephoneEventPackets("A", { durationMs: 40 });
  assert.deepEqual(short.map((p) => [p.marker, p.end]), [[true, true], [false, true], [
    false,
    true,
  ]]);
  assert.equal(telephoneEventPackets("1").at(-1)!.durationTicks, 800);
});

Deno.test("generator rejects bad digits and impossible lengths", () => {
  assert.throws(() => telephoneEventPackets("E" as DtmfDigit), RangeError);
  assert.throws(() => telephoneEventPackets("12" as DtmfDigit), RangeError);
  assert.throws(() => telephoneEventPackets("1", { durationMs: 0 }), RangeError);
  assert.throws(() => telephoneEventPackets("1", { durationMs: 9000 }), RangeError);
  assert.throws(() => telephoneEventPackets("1", { volume: 99 }), RangeError);
});

/** Sends key presses 1 s apart (timestamp = start), optionally filtering packets. */
function sendKeys(
  keys: string,
  keep: (index: number, count: number) => boolean = () => true,
): { timestamp: number; marker: boolean; payload: Uint8Array }[] {
  const out = [];
  let timestamp = 0xffffff00; // crosses the 32-bit wrap
  for (const key of keys) {
    const packets = telephoneEventPackets(key as DtmfDigit);
    for (let i = 0; i < packets.length; i++) {
      if (keep(i, packets.length)) {
        out.push({ timestamp, marker: packets[i]!.marker, payload: packets[i]!.payload });
      }
    }
    timestamp = (timestamp + 8000) >>> 0;
  }
  return out;
}

function detect(packets: { timestamp: number; payload: Uint8Array }[]): string {
  const d = new DtmfDetector();
  return packets.map((p) => d.push(p)?.digit ?? "").join("");
}

Deno.test("detector: generator round trip emits each key once, repeated keys twice", () => {
  assert.equal(detect(sendKeys("0123456789*#ABCD")), "0123456789*#ABCD");
  assert.equal(detect(sendKeys("1155")), "1155");
});

Deno.test("detector emits on the first packet seen: start or end packets may be lost", () => {
  const packets = sendKeys("9");
  const d = new DtmfDetector();
  const first = d.push(packets[0]!);
  assert.deepEqual(first, { digit: "9", code: 9, timestamp: 0xffffff00, volume: 10 });
  assert.equal(packets.slice(1).map((p) => d.push(p)).filter(Boolean).length, 0);
  // End-only: every update lost.
  assert.equal(detect(sendKeys("42", (i, n) => i >= n - 3)), "42");
  // Start-only: every end packet lost.
  assert.equal(detect(sendKeys("42", (i, n) => i < n - 3)), "42");
  // A single end packet surviving.
  assert.equal(detect(sendKeys("#*", (i, n) => i === n - 1)), "#*");
});

Deno.test("detector: late repeats of an earlier event and duplicates are dropped", () => {
  const packets = sendKeys("123");
  const shuffled = [...packets.slice(0, 5), packets[5]!, ...packets.slice(5), packets[2]!];
  assert.equal(detect(shuffled), "123");
});

Deno.test("detector ignores malformed and non-DTMF payloads", () => {
  const d = new DtmfDetector();
  assert.equal(d.push({ timestamp: 1, payload: Uint8Array.of(1, 2) }), null);
  assert.equal(d.push({ timestamp: 2, payload: Uint8Array.of(16, 10, 0, 160) }), null);
  assert.equal(d.push({ timestamp: 2, payload: Uint8Array.of(3, 10, 0, 160) })?.digit, "3");
});

Deno.test("detector: a long event's next segment (§2.5.1.3) is the same key press", () => {
  const d = new DtmfDetector();
  const seg = (ts: number, duration: number, end: boolean) =>
    d.push({
      timestamp: ts,
      payload: encodeTelephoneEvent({ code: 5, end, volume: 10, duration }),
    });
  assert.equal(seg(1000, 32000, false)?.digit, "5");
  assert.equal(seg(1000, 65535, false), null);
  assert.equal(seg(1000 + 65535, 8000, false), null);
  assert.equal(seg(1000 + 65535, 9000, true), null);
  // A new press after the end, at a new timestamp, is reported.
  assert.equal(seg(1000 + 65535 + 9000, 800, true)?.digit, "5");
});
