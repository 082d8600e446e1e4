/**
 * Fuzz targets for the JSON the bridge reads: OpenAI Realtime server events
 * (every WebSocket frame of a call's model session) and the bodies of the
 * bridge's HTTP API.
 *
 * @module
 */
import type { z } from "zod";
import { parseServerEvent } from "../lib/realtime/server_events.ts";
import {
  EndSessionSchema,
  invalidRequestBody,
  MetaEventSchema,
  NewSessionSchema,
  SessionParamsSchema,
  WaitConnectedSchema,
} from "../lib/bridge_api/schema.ts";
import { realtimeServerEvents, sdpOffers } from "./corpus.ts";
import { jsonSeeds, jsonTextMutant } from "./json_mutant.ts";
import { defineTarget, expect, type FuzzTarget } from "./target.ts";

const asIs = (text: string) => text;

/**
 * `lib/realtime/server_events.ts`: `parseServerEvent` returns a known event,
 * the `unknown` fallback (carrying the type it saw) or an error; never throws.
 */
export const realtimeTarget: FuzzTarget = defineTarget({
  name: "realtime",
  about: "parseServerEvent: a known event, the unknown fallback or an error; never throws",
  seeds: async () => jsonSeeds(await realtimeServerEvents()),
  generate: jsonTextMutant,
  check(text) {
    const r = parseServerEvent(text);
    if (!r.ok) return expect(r.error !== "", "refused without a reason");
    if (r.event.type === "unknown") {
      expect(typeof r.event.originalType === "string", "unknown event without its type");
    }
  },
  encode: asIs,
});

const SCHEMAS: readonly z.ZodType[] = [
  NewSessionSchema,
  MetaEventSchema,
  WaitConnectedSchema,
  EndSessionSchema,
  SessionParamsSchema,
];

/** A body of each route, around Meta's documented offer. */
async function bridgeBodies(): Promise<string[]> {
  const sdp = (await sdpOffers())[0]!;
  const bodies: unknown[] = [
    {
      callId: "wacid.ABGGFjFVU2AfAgo6V-Hc5eCgK5Gh",
      phoneNumberId: "106540352242922",
      from: "16315553602",
      to: "16315553601",
      sdp,
      caller: {
        userId: "BR.1502576394655843",
        username: "pablo.m",
        name: "Pablo Morales",
        ctaPayload: "book_table",
        deeplinkPayload: "promo",
        bizOpaqueCallbackData: "crm:42",
      },
    },
    { kind: "status", status: "RINGING" },
    { kind: "connect_answer", sdp },
    { timeoutMs: 5000 },
    { reason: "hangup" },
    { id: "0b8e6c1e-3f7a-4c55-9a61-2d2f3b0e9d11" },
  ];
  return bodies.map((b) => JSON.stringify(b));
}

/**
 * `lib/bridge_api/schema.ts`: every route schema accepts or refuses a body,
 * and a refusal makes a 400 body naming the fields that can be sent as JSON.
 */
export const bridgeApiTarget: FuzzTarget = defineTarget({
  name: "bridge-api",
  about: "bridge API schemas + the 400 body: never throw, the 400 names the fields",
  seeds: async () => jsonSeeds(await bridgeBodies()),
  generate: jsonTextMutant,
  check(text) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return; // Hono answers 400 before any schema runs
    }
    for (const schema of SCHEMAS) {
      const r = schema.safeParse(json);
      if (r.success) continue;
      const body = invalidRequestBody("body", r.error);
      expect((body.issues?.length ?? 0) > 0, "a 400 without issues");
      JSON.stringify(body);
    }
  },
  encode: asIs,
});
