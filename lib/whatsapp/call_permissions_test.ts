import assert from "node:assert/strict";
import {
  CallPermissionReplyMessageSchema,
  CallPermissionsAnswerSchema,
  DAY_WINDOW_MS,
  graphPermissionView,
  InteractivePermissionRequestSchema,
  META_PERMISSION_LIMITS,
  permissionDecision,
  permissionRequestBody,
  type PermissionState,
  replyEffect,
  TemplatePermissionRequestSchema,
  WEEK_WINDOW_MS,
} from "./call_permissions.ts";

const T0 = Date.UTC(2026, 11, 7, 9, 0, 0);
const HOUR = 3_600_000;

/** A reply message as Meta's "Webhook sample scenarios" write it. */
function reply(
  r: Record<string, unknown>,
  context: string | null = "wamid.gBGGFlaCmZ9plHrf2Mh-o",
): unknown {
  return {
    from: "14085551234",
    id: "wamid.sH0kFlaCGg0xcvZbgmg90lHrg2dL",
    timestamp: "1767168000",
    ...(context === null ? {} : { context: { from: "14085551234", id: context } }),
    type: "interactive",
    interactive: { type: "call_permission_reply", call_permission_reply: r },
  };
}

const effect = (m: unknown) => replyEffect(CallPermissionReplyMessageSchema.parse(m));

Deno.test("reply: Meta's six scenarios map to their permission", () => {
  const temp = effect(reply({
    response: "accept",
    is_permanent: false,
    expiration_timestamp: "1768550400",
    response_source: "user_action",
  }));
  // The field is trusted (Meta's own sample spans 16 days, not 7).
  assert.deepEqual(temp, {
    scenario: "temporary_accept",
    status: "temporary",
    expiresAt: 1768550400_000,
    source: "user_action",
    contextId: "wamid.gBGGFlaCmZ9plHrf2Mh-o",
  });
  const perm = effect(
    reply({ response: "accept", is_permanent: true, response_source: "user_action" }),
  );
  assert.equal(perm.scenario, "permanent_accept");
  assert.equal(perm.status, "permanent");
  assert.equal(perm.expiresAt, undefined);
  const profile = effect(
    reply({ response: "accept", is_permanent: true, response_source: "user_action" }, null),
  );
  assert.equal(profile.scenario, "profile_grant");
  assert.equal(
    effect(reply({ response: "reject", response_source: "user_action" })).status,
    "declined",
  );
  const auto = effect(reply({
    response: "accept",
    is_permanent: false,
    expiration_timestamp: 1768550400,
    response_source: "automatic",
  }, "wacid.HBgLMTIx"));
  assert.deepEqual([auto.scenario, auto.contextId], ["automatic_grant", "wacid.HBgLMTIx"]);
  const revoke = effect(reply({ response: "reject", response_source: "automatic" }, null));
  assert.deepEqual([revoke.scenario, revoke.status], ["automatic_revoke", "revoked"]);
});

Deno.test("reply: expiration in seconds, quoted seconds or ISO-8601; missing → 7 days", () => {
  const at = (e: unknown) =>
    effect(
      reply({
        response: "accept",
        is_permanent: false,
        expiration_timestamp: e,
        response_source: "user_action",
      }),
    )
      .expiresAt;
  assert.equal(at(1768550400), 1768550400_000);
  assert.equal(at("1768550400"), 1768550400_000);
  assert.equal(at("2026-01-16T08:00:00Z"), Date.parse("2026-01-16T08:00:00Z"));
  assert.equal(
    effect(reply({ response: "accept", is_permanent: false, response_source: "user_action" }))
      .expiresAt,
    1767168000_000 + 7 * 24 * HOUR,
  );
});

Deno.test("reply: malformed replies are refused by the schema", () => {
  for (
    const bad of [
      reply({ response: "maybe", response_source: "user_action" }),
      reply({ response: "accept", is_permanent: "yes", response_source: "user_action" }),
      reply({ response: "accept", expiration_timestamp: "soon", response_source: "user_action" }),
      reply({ response: "accept" }),
      {
        ...(reply({ response: "reject", response_source: "user_action" }) as object),
        from: undefined,
      },
    ]
  ) {
    assert.equal(
      CallPermissionReplyMessageSchema.safeParse(bad).success,
      false,
      JSON.stringify(bad),
    );
  }
});

Deno.test("request bodies: interactive (no header/footer) and template, by number or BSUID", () => {
  const i = permissionRequestBody("14085551234", {
    kind: "interactive",
    bodyText: "Order ON-12853",
  });
  assert.deepEqual(i, {
    messaging_product: "whatsapp",
    recipient_type: "individual",
    to: "14085551234",
    type: "interactive",
    interactive: {
      type: "call_permission_request",
      action: { name: "call_permission_request" },
      body: { text: "Order ON-12853" },
    },
  });
  assert.ok(InteractivePermissionRequestSchema.safeParse(i).success);
  const withHeader = structuredClone(i) as { interactive: Record<string, unknown> };
  withHeader.interactive.header = { type: "text", text: "x" };
  assert.equal(InteractivePermissionRequestSchema.safeParse(withHeader).success, false);
  const tooLong = permissionRequestBody("1408555", {
    kind: "interactive",
    bodyText: "x".repeat(1025),
  });
  assert.equal(InteractivePermissionRequestSchema.safeParse(tooLong).success, false);
  const t = permissionRequestBody("BR.1502576394655843", {
    kind: "template",
    name: "sample_cpr_template",
    language: "en",
    bodyParameters: ["John Smith", { name: "order", text: "#1522" }],
  });
  assert.ok(TemplatePermissionRequestSchema.safeParse(t).success);
  assert.equal((t as { recipient?: string }).recipient, "BR.1502576394655843");
  assert.equal((t as { to?: string }).to, undefined);
});

Deno.test("request bodies name exactly one of to and recipient", () => {
  const i = permissionRequestBody("14085551234", { kind: "interactive", bodyText: "Hi" });
  const t = permissionRequestBody("14085551234", {
    kind: "template",
    name: "sample_cpr_template",
    language: "en",
    bodyParameters: [],
  });
  for (const schema of [InteractivePermissionRequestSchema, TemplatePermissionRequestSchema]) {
    const body = schema === InteractivePermissionRequestSchema ? i : t;
    assert.ok(schema.safeParse(body).success);
    const both = schema.safeParse({ ...body, recipient: "BR.1" });
    assert.equal(both.success, false);
    assert.match(String(both.error), /exactly one of to or recipient/);
    const { to: _to, ...neither } = body as { to?: string };
    assert.equal(schema.safeParse(neither).success, false);
  }
});

Deno.test("GET call_permissions: Meta's sample reduces to status, expiry and the call limit", () => {
  const answer = CallPermissionsAnswerSchema.parse({
    messaging_product: "whatsapp",
    permission: { status: "temporary", expiration_time: 1745343479 },
    actions: [
      {
        action_name: "send_call_permission_request",
        can_perform_action: true,
        limits: [
          { time_period: "PT24H", max_allowed: 1, current_usage: 0 },
          { time_period: "P7D", max_allowed: 2, current_usage: 1 },
        ],
      },
      {
        action_name: "start_call",
        can_perform_action: false,
        limits: [{
          time_period: "PT24H",
          max_allowed: 5,
          current_usage: 5,
          limit_expiration_time: 1745622600,
        }],
      },
    ],
  });
  assert.deepEqual(graphPermissionView(answer), {
    status: "temporary",
    expiresAt: 1745343479_000,
    canRequest: true,
    canCall: false,
    connectedCallLimit: 5,
    callLimitResetAt: 1745622600_000,
  });
});

const base: PermissionState = {
  status: "no_permission",
  requestTimes: [],
  connectedCallTimes: [],
  unansweredStreak: 0,
};

Deno.test("decision: requests 1 per 24 h and 2 per 7 days (138009), reset by a connected call", () => {
  assert.equal(permissionDecision(base, "request", T0).allowed, true);
  const one = { ...base, requestTimes: [T0] };
  const day = permissionDecision(one, "request", T0 + HOUR);
  assert.deepEqual(day, {
    allowed: false,
    reason: "request_limit_day",
    metaCode: 138009,
    httpStatus: 429,
    status: "no_permission",
    retryAt: T0 + DAY_WINDOW_MS,
  });
  assert.equal(permissionDecision(one, "request", T0 + DAY_WINDOW_MS).allowed, true);
  const two = { ...base, requestTimes: [T0, T0 + DAY_WINDOW_MS] };
  const week = permissionDecision(two, "request", T0 + 3 * DAY_WINDOW_MS);
  assert.equal(week.allowed, false);
  if (!week.allowed) {
    assert.equal(week.reason, "request_limit_week");
    assert.equal(week.retryAt, T0 + WEEK_WINDOW_MS);
  }
  assert.equal(permissionDecision(two, "request", T0 + WEEK_WINDOW_MS).allowed, true);
  const reset = { ...two, lastConnectedCallAt: T0 + DAY_WINDOW_MS + HOUR };
  assert.equal(permissionDecision(reset, "request", T0 + DAY_WINDOW_MS + 2 * HOUR).allowed, true);
});

Deno.test("decision: a permanent permission makes a request a foreseen 138017", () => {
  const d = permissionDecision({ ...base, status: "permanent" }, "request", T0);
  assert.equal(d.allowed, false);
  if (!d.allowed) {
    assert.deepEqual([d.reason, d.metaCode, d.httpStatus], ["already_permanent", 138017, 409]);
  }
  // A temporary permission may still be upgraded.
  assert.equal(
    permissionDecision({ ...base, status: "temporary", expiresAt: T0 + HOUR }, "request", T0)
      .allowed,
    true,
  );
});

Deno.test("decision: calls need a live permission (138006); a lapsed temporary one has expired", () => {
  const temp = { ...base, status: "temporary" as const, expiresAt: T0 + HOUR };
  assert.deepEqual(permissionDecision(temp, "call", T0), {
    allowed: true,
    status: "temporary",
    expiresAt: T0 + HOUR,
  });
  const lapsed = permissionDecision(temp, "call", T0 + HOUR);
  assert.equal(lapsed.allowed, false);
  if (!lapsed.allowed) {
    assert.deepEqual([lapsed.reason, lapsed.metaCode], ["permission_expired", 138006]);
  }
  for (
    const [status, reason] of [["no_permission", "no_permission"], [
      "declined",
      "permission_declined",
    ], ["revoked", "permission_revoked"]] as const
  ) {
    const d = permissionDecision({ ...base, status }, "call", T0);
    assert.equal(d.allowed, false);
    if (!d.allowed) assert.deepEqual([d.reason, d.metaCode, d.httpStatus], [reason, 138006, 409]);
  }
  assert.equal(
    permissionDecision({ ...base, status: "permanent" }, "call", T0 + 1e12).allowed,
    true,
  );
});

Deno.test("decision: connected-call limit from Graph's max_allowed, else the default (138012)", () => {
  const perm = { ...base, status: "permanent" as const };
  const five = Array.from({ length: 5 }, (_, i) => T0 + i * HOUR);
  const withGraph = { ...perm, connectedCallTimes: five, connectedCallLimit: 5 };
  const d = permissionDecision(withGraph, "call", T0 + 5 * HOUR);
  assert.equal(d.allowed, false);
  if (!d.allowed) {
    assert.deepEqual([d.reason, d.metaCode, d.httpStatus], ["call_limit", 138012, 429]);
    assert.equal(d.retryAt, T0 + DAY_WINDOW_MS);
  }
  assert.equal(
    permissionDecision({ ...perm, connectedCallTimes: five }, "call", T0 + 5 * HOUR).allowed,
    true,
  );
  const custom = { ...META_PERMISSION_LIMITS, connectedCallsPerDay: 5 };
  assert.equal(
    permissionDecision({ ...perm, connectedCallTimes: five }, "call", T0 + 5 * HOUR, custom)
      .allowed,
    false,
  );
});

Deno.test("decision: 2 unanswered calls warn, 4 revoke before Meta's webhook arrives", () => {
  const perm = { ...base, status: "permanent" as const };
  assert.equal(permissionDecision({ ...perm, unansweredStreak: 1 }, "call", T0).allowed, true);
  const two = permissionDecision({ ...perm, unansweredStreak: 2 }, "call", T0);
  assert.ok(two.allowed && two.warning === "unanswered_calls_prompt");
  const four = permissionDecision({ ...perm, unansweredStreak: 4 }, "call", T0);
  assert.ok(!four.allowed && four.reason === "permission_revoked");
});
