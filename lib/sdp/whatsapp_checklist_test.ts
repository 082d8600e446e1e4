import assert from "node:assert/strict";
import {
  type AnswerRuleName,
  type AnswerUnderCheck,
  checkWhatsAppAnswer,
  readAnswer,
  WHATSAPP_ANSWER_CHECKLIST,
} from "./whatsapp_checklist.ts";
import { GOOD_ANSWER, offerOf } from "./whatsapp_test_utils.ts";

const fixture = (name: string) =>
  Deno.readTextFile(new URL(`../../tests/fixtures/sdp/${name}`, import.meta.url));

const DOC_OFFER = await fixture("meta_doc_offer.sdp");
/** The offer GOOD_ANSWER answers. */
const OFFER = offerOf(await fixture("meta_aiortc_offer.sdp"));

/** A minimal edit of {@linkcode GOOD_ANSWER}. */
type Edit = [what: string, mutate: (sdp: string) => string];

interface RuleCases {
  /** Edits that break the rule, each with the one problem the checklist must report. */
  breaks: [...Edit, problem: string][];
  /** Edits the rule (and the whole checklist) must accept. */
  passes?: Edit[];
}

const FINGERPRINT = /a=fingerprint:[^\r]*/;
const append = (line: string) => (s: string) => s + line + "\r\n";
const atSession = (line: string) => (s: string) => s.replace("t=0 0", `t=0 0\r\n${line}`);
const drop = (pattern: string | RegExp) => (s: string) =>
  s.replace(typeof pattern === "string" ? `${pattern}\r\n` : pattern, "");
const unreachable = (address: string, scope: string) =>
  `candidate address ${address} is ${scope}, unreachable for Meta`;

/** Every rule of the table, by name: the compiler insists each one has cases. */
const CASES: Record<AnswerRuleName, RuleCases> = {
  "audio-media": {
    breaks: [[
      "video",
      (s) => s.replace("m=audio", "m=video"),
      "m= section is video, expected audio",
    ]],
  },
  "dtls-srtp-transport": {
    breaks: [
      [
        "plain RTP",
        (s) => s.replace("UDP/TLS/RTP/SAVPF", "RTP/AVP"),
        "m=audio transport must be UDP/TLS/RTP/SAVPF, got RTP/AVP",
      ],
      [
        "SDES",
        (s) => s.replace("UDP/TLS/RTP/SAVPF", "RTP/SAVP"),
        "m=audio transport must be UDP/TLS/RTP/SAVPF, got RTP/SAVP",
      ],
    ],
  },
  "payload-types": {
    breaks: [
      [
        "an extra payload type",
        (s) => s.replace("SAVPF 111 126", "SAVPF 111 126 0"),
        "m=audio must list payload types 111 126, got 111 126 0",
      ],
      [
        "payload types out of order",
        (s) => s.replace("SAVPF 111 126", "SAVPF 126 111"),
        "m=audio must list payload types 111 126, got 126 111",
      ],
      [
        "no DTMF payload type",
        (s) => s.replace("SAVPF 111 126", "SAVPF 111"),
        "m=audio must list payload types 111 126, got 111",
      ],
    ],
  },
  "only-opus-and-dtmf": {
    breaks: [
      [
        "another codec's rtpmap",
        append("a=rtpmap:0 PCMU/8000"),
        "a=rtpmap:0 is for a codec other than Opus/DTMF",
      ],
      ["an rtx fmtp", append("a=fmtp:97 apt=111"), "a=fmtp:97 is for a codec other than Opus/DTMF"],
      [
        "another codec's rtcp-fb",
        append("a=rtcp-fb:63 nack"),
        "a=rtcp-fb:63 is for a codec other than Opus/DTMF",
      ],
      [
        "two of them",
        (s) => s + "a=fmtp:97 apt=111\r\na=rtpmap:9 G722/8000\r\n",
        "a=rtpmap:9 is for a codec other than Opus/DTMF; a=fmtp:97 is for a codec other than Opus/DTMF",
      ],
    ],
    passes: [["a wildcard rtcp-fb", append("a=rtcp-fb:* nack")]],
  },
  "opus-rtpmap": {
    breaks: [
      [
        "mono Opus",
        (s) => s.replace("opus/48000/2", "opus/48000/1"),
        "missing a=rtpmap:111 opus/48000/2",
      ],
      [
        "a 16 kHz clock",
        (s) => s.replace("opus/48000/2", "opus/16000/2"),
        "missing a=rtpmap:111 opus/48000/2",
      ],
    ],
    passes: [["an upper-case encoding name", (s) => s.replace("opus/48000/2", "OPUS/48000/2")]],
  },
  "telephone-event-rtpmap": {
    breaks: [
      [
        "48 kHz DTMF",
        (s) => s.replace("telephone-event/8000", "telephone-event/48000"),
        "missing a=rtpmap:126 telephone-event/8000",
      ],
      [
        "no DTMF rtpmap",
        drop("a=rtpmap:126 telephone-event/8000"),
        "missing a=rtpmap:126 telephone-event/8000",
      ],
    ],
  },
  "opus-fmtp": {
    breaks: [
      [
        "other Opus parameters",
        (s) => s.replace(/a=fmtp:111 [^\r]*/, "a=fmtp:111 minptime=10;useinbandfec=1"),
        `a=fmtp:111 must be the offer's "${OFFER.opusFmtp}", got "minptime=10;useinbandfec=1"`,
      ],
      [
        "no Opus fmtp",
        drop(/a=fmtp:111 [^\r]*\r\n/),
        `a=fmtp:111 must be the offer's "${OFFER.opusFmtp}", got ""`,
      ],
    ],
  },
  "one-fingerprint": {
    breaks: [
      [
        "no fingerprint",
        drop(/a=fingerprint:[^\r]*\r\n/),
        "expected exactly one a=fingerprint, found 0",
      ],
      [
        "a second, session-level sha-256 fingerprint",
        (s) => atSession(FINGERPRINT.exec(s)![0])(s),
        "expected exactly one a=fingerprint, found 2",
      ],
    ],
  },
  "fingerprint-sha-256": {
    breaks: [
      [
        "a sha-384 fingerprint",
        (s) => s.replace("fingerprint:sha-256", "fingerprint:sha-384"),
        "fingerprint hash must be sha-256, got sha-384",
      ],
      [
        "a malformed fingerprint",
        (s) => s.replace(FINGERPRINT, "a=fingerprint:garbage"),
        'fingerprint hash must be sha-256, got "garbage"',
      ],
    ],
    passes: [[
      "an upper-case hash name",
      (s) => s.replace("fingerprint:sha-256", "fingerprint:SHA-256"),
    ]],
  },
  "fingerprint-bytes": {
    breaks: [
      [
        "a short sha-256 fingerprint",
        (s) => s.replace(/(fingerprint:sha-256 )\S+/, "$1AA:BB"),
        "sha-256 fingerprint must be 32 colon-separated hex bytes",
      ],
      [
        "a non-hex byte",
        (s) => s.replace("sha-256 70:", "sha-256 ZZ:"),
        "sha-256 fingerprint must be 32 colon-separated hex bytes",
      ],
    ],
  },
  "setup-active": {
    breaks: [
      [
        "setup passive",
        (s) => s.replace("setup:active", "setup:passive"),
        "a=setup must be active, got passive",
      ],
      [
        "setup actpass",
        (s) => s.replace("setup:active", "setup:actpass"),
        "a=setup must be active, got actpass",
      ],
      ["no setup", drop("a=setup:active"), "a=setup must be active, got none"],
      [
        "two setup:active lines",
        (s) => s.replace("a=setup:active", "a=setup:active\r\na=setup:active"),
        "a=setup must be active, got active, active",
      ],
      [
        "a session-level setup beside it",
        atSession("a=setup:passive"),
        "a=setup must be active, got passive, active",
      ],
    ],
  },
  "mid": {
    breaks: [
      ["another mid", (s) => s.replace("a=mid:audio", "a=mid:0"), "a=mid must be audio, got 0"],
      ["no mid", drop("a=mid:audio"), "a=mid must be audio, got none"],
      [
        "two mids",
        (s) => s.replace("a=mid:audio", "a=mid:audio\r\na=mid:audio"),
        "a=mid must be audio, got audio, audio",
      ],
    ],
  },
  "bundle": {
    breaks: [
      [
        "another BUNDLE",
        (s) => s.replace("BUNDLE audio", "BUNDLE audio video"),
        'a=group:BUNDLE must be "audio", got "audio video"',
      ],
      ["no BUNDLE", drop("a=group:BUNDLE audio"), 'a=group:BUNDLE must be "audio", got none'],
    ],
  },
  "rtcp-mux": {
    breaks: [["no rtcp-mux", drop("a=rtcp-mux"), "missing a=rtcp-mux"]],
  },
  "sendrecv": {
    breaks: [
      [
        "recvonly",
        (s) => s.replace("a=sendrecv", "a=recvonly"),
        "direction must be sendrecv, got recvonly",
      ],
      [
        "inactive",
        (s) => s.replace("a=sendrecv", "a=inactive"),
        "direction must be sendrecv, got inactive",
      ],
      ["no direction", drop("a=sendrecv"), "direction must be sendrecv, got none"],
      [
        "a second direction",
        append("a=sendonly"),
        "direction must be sendrecv, got sendrecv, sendonly",
      ],
      [
        "a session-level one too",
        atSession("a=sendrecv"),
        "direction must be sendrecv, got sendrecv, sendrecv",
      ],
    ],
  },
  "single-ssrc": {
    breaks: [
      ["two SSRCs", append("a=ssrc:2222 cname:x"), "expected exactly one SSRC, found 2"],
      ["no SSRC", drop(/a=ssrc:[^\r]*\r\n/), "expected exactly one SSRC, found 0"],
    ],
  },
  "ssrc-cname": {
    breaks: [[
      "an SSRC without cname",
      (s) => s.replace(" cname:", " label:"),
      "a=ssrc has no cname",
    ]],
  },
  "no-ssrc-group": {
    breaks: [[
      "an ssrc-group",
      append("a=ssrc-group:FID 1489085448"),
      "a=ssrc-group is not allowed (single SSRC)",
    ]],
  },
  "ice-full": {
    breaks: [
      [
        "session-level ice-lite",
        atSession("a=ice-lite"),
        "a=ice-lite must not be present (be ICE-full)",
      ],
      [
        "media-level ice-lite",
        append("a=ice-lite"),
        "a=ice-lite must not be present (be ICE-full)",
      ],
    ],
  },
  "no-trickle": {
    breaks: [
      [
        "trickle among options",
        append("a=ice-options:ice2 trickle"),
        "a=ice-options must not announce trickle",
      ],
      [
        "trickle alone",
        atSession("a=ice-options:trickle"),
        "a=ice-options must not announce trickle",
      ],
    ],
    passes: [["other ICE options", append("a=ice-options:ice2")]],
  },
  "ice-ufrag": {
    breaks: [
      ["no ice-ufrag", drop(/a=ice-ufrag:[^\r]*\r\n/), "missing a=ice-ufrag"],
      [
        "a 3-character ice-ufrag",
        (s) => s.replace("a=ice-ufrag:ab4d", "a=ice-ufrag:ab4"),
        'a=ice-ufrag must be 4–256 visible characters, got "ab4"',
      ],
      [
        "a masked ice-ufrag",
        (s) => s.replace("a=ice-ufrag:ab4d", "a=ice-ufrag:****"),
        'a=ice-ufrag is masked ("****")',
      ],
    ],
    passes: [[
      "a session-level ice-ufrag",
      (s) => atSession("a=ice-ufrag:ab4d")(drop("a=ice-ufrag:ab4d")(s)),
    ]],
  },
  "ice-pwd": {
    breaks: [
      ["no ice-pwd", drop(/a=ice-pwd:[^\r]*\r\n/), "missing a=ice-pwd"],
      [
        "a 21-character ice-pwd",
        (s) => s.replace(/(a=ice-pwd:\S{21})\S/, "$1"),
        'a=ice-pwd must be 22–256 visible characters, got "1c70ad821c6e75b2c528e"',
      ],
    ],
  },
  "connection-line": {
    breaks: [
      [
        "no c= line",
        drop("c=IN IP4 0.0.0.0"),
        "missing c= line (RFC 8866 requires a connection address)",
      ],
      [
        "a c= line without an address",
        (s) => s.replace("c=IN IP4 0.0.0.0", "c=IN IP4"),
        'c= must be "IN IP4|IP6 <address>", got "IN IP4"',
      ],
    ],
    passes: [
      [
        "a session-level c= line",
        (s) => atSession("c=IN IP4 0.0.0.0")(drop("c=IN IP4 0.0.0.0")(s)),
      ],
      ["an IPv6 c= line", (s) => s.replace("c=IN IP4 0.0.0.0", "c=IN IP6 ::")],
    ],
  },
  "candidates-present": {
    breaks: [[
      "no candidates",
      drop(/a=candidate:[^\r]*\r\n/g),
      "no a=candidate lines (include the complete set)",
    ]],
  },
  "end-of-candidates": {
    breaks: [
      ["no end-of-candidates", drop("a=end-of-candidates"), "missing a=end-of-candidates"],
      [
        "end-of-candidates too early",
        (s) =>
          drop("a=end-of-candidates")(s).replace(
            "c=IN IP4 0.0.0.0",
            "c=IN IP4 0.0.0.0\r\na=end-of-candidates",
          ),
        "a=end-of-candidates must follow the last a=candidate",
      ],
    ],
  },
  "candidates-well-formed": {
    breaks: [[
      "a malformed candidate",
      (s) => s.replace("40002 typ host", "40002 host"),
      'malformed a=candidate: candidate "2 1 udp 2116026367 2001:db8::5 40002 host generation 0": expected "typ" before the candidate type, got "host"',
    ]],
  },
  "candidates-reachable": {
    breaks: [
      [
        "a link-local candidate",
        (s) => s.replace("2001:db8::5", "fe80::5"),
        unreachable("fe80::5", "link-local"),
      ],
      [
        "a loopback candidate beside routable ones",
        (s) => s.replace("2001:db8::5", "::1"),
        unreachable("::1", "loopback"),
      ],
      [
        "an mDNS candidate",
        (s) => s.replace("2001:db8::5", "ab12.local"),
        unreachable("ab12.local", "hostname"),
      ],
      [
        "an unspecified address",
        (s) => s.replace("10.0.0.5", "0.0.0.0"),
        unreachable("0.0.0.0", "unspecified"),
      ],
      [
        "two of them",
        (s) => s.replace("10.0.0.5", "ab12.local").replace("2001:db8::5", "fe80::5"),
        `${unreachable("ab12.local", "hostname")}; ${unreachable("fe80::5", "link-local")}`,
      ],
    ],
    passes: [
      [
        "loopback only: nothing better exists",
        (s) => s.replace("10.0.0.5", "127.0.0.1").replace(/a=candidate:2 [^\r]*\r\n/, ""),
      ],
      [
        "a TCP candidate",
        (s) =>
          s.replace(
            "a=end-of-candidates",
            "a=candidate:3 1 tcp 1518280447 10.0.0.5 9 typ host tcptype active\r\na=end-of-candidates",
          ),
      ],
    ],
  },
};

function underCheck(sdp: string): AnswerUnderCheck {
  const answer = readAnswer(sdp, OFFER);
  if (!answer.ok) throw new Error(answer.error);
  return answer.value;
}

Deno.test("the checklist names each rule once, describes it, and every rule has cases here", () => {
  const names = WHATSAPP_ANSWER_CHECKLIST.map((r) => r.name);
  assert.equal(new Set(names).size, names.length, "names are unique");
  assert.deepEqual([...names].sort(), Object.keys(CASES).sort());
  for (const rule of WHATSAPP_ANSWER_CHECKLIST) assert.ok(rule.description.length > 10, rule.name);
});

for (const [name, { breaks, passes = [] }] of Object.entries(CASES)) {
  const what = breaks.map(([w]) => w).join(", ");
  Deno.test(`checklist rule ${name}: passes the reference answer, fails on ${what}`, () => {
    const rule = WHATSAPP_ANSWER_CHECKLIST.find((r) => r.name === name);
    assert.ok(rule, `rule ${name} is in the table`);
    assert.equal(rule.check(underCheck(GOOD_ANSWER)), undefined);
    for (const [edit, mutate] of passes) {
      const sdp = mutate(GOOD_ANSWER);
      assert.notEqual(sdp, GOOD_ANSWER, `${edit}: mutation applied`);
      assert.equal(rule.check(underCheck(sdp)), undefined, edit);
      assert.deepEqual(checkWhatsAppAnswer(sdp, OFFER), [], edit);
    }
    for (const [edit, mutate, problem] of breaks) {
      const sdp = mutate(GOOD_ANSWER);
      assert.notEqual(sdp, GOOD_ANSWER, `${edit}: mutation applied`);
      assert.equal(rule.check(underCheck(sdp)), problem, edit);
      assert.deepEqual(checkWhatsAppAnswer(sdp, OFFER), [problem], `${edit} breaks only ${name}`);
    }
  });
}

Deno.test("checkWhatsAppAnswer passes the reference answer, with and without the offer", () => {
  assert.deepEqual(checkWhatsAppAnswer(GOOD_ANSWER), []);
  assert.deepEqual(checkWhatsAppAnswer(GOOD_ANSWER, OFFER), []);
});

const UNREADABLE: [...Edit, problem: string][] = [
  [
    "garbage",
    () => "garbage",
    'unparseable SDP: line 1: expected "<letter>=<value>", got "garbage"',
  ],
  [
    "two m= sections",
    append("m=audio 9 UDP/TLS/RTP/SAVPF 111"),
    "expected exactly one m= section, found 2",
  ],
  [
    "no m= section",
    (s) => s.slice(0, s.indexOf("m=audio")),
    "expected exactly one m= section, found 0",
  ],
  [
    "a malformed m= line",
    (s) => s.replace("m=audio 9 UDP", "m=audio x UDP"),
    'm= line has an invalid port "x"',
  ],
];

for (const [what, mutate, problem] of UNREADABLE) {
  Deno.test(`checkWhatsAppAnswer applies no rule to an answer with ${what}`, () => {
    const sdp = mutate(GOOD_ANSWER);
    assert.deepEqual(readAnswer(sdp), { ok: false, error: problem });
    assert.deepEqual(checkWhatsAppAnswer(sdp), [problem]);
  });
}

Deno.test("checkWhatsAppAnswer reports every broken rule, in the table's order", () => {
  const sdp = atSession("a=ice-lite")(GOOD_ANSWER.replace("a=setup:active", "a=setup:passive"));
  assert.deepEqual(checkWhatsAppAnswer(sdp), [
    "a=setup must be active, got passive",
    "a=ice-lite must not be present (be ICE-full)",
  ]);
});

Deno.test("checkWhatsAppAnswer compares against the offer's mid, payload types and Opus fmtp", () => {
  assert.deepEqual(checkWhatsAppAnswer(GOOD_ANSWER, offerOf(DOC_OFFER)), [
    `a=fmtp:111 must be the offer's "minptime=10;useinbandfec=1", got "maxaveragebitrate=20000;maxplaybackrate=16000;minptime=20;sprop-maxcapturerate=16000;useinbandfec=1"`,
  ]);
  assert.deepEqual(
    checkWhatsAppAnswer(GOOD_ANSWER, { mid: "0", opusPt: 109, telephoneEventPt: 101 }),
    [
      "m=audio must list payload types 109 101, got 111 126",
      [
        "a=rtpmap:111 is for a codec other than Opus/DTMF",
        "a=rtpmap:126 is for a codec other than Opus/DTMF",
        "a=fmtp:111 is for a codec other than Opus/DTMF",
        "a=rtcp-fb:111 is for a codec other than Opus/DTMF",
      ].join("; "),
      "missing a=rtpmap:109 opus/48000/2",
      "missing a=rtpmap:101 telephone-event/8000",
      "a=mid must be 0, got audio",
      'a=group:BUNDLE must be "0", got "audio"',
    ],
  );
});
