/**
 * Fuzz targets for WhatsApp webhooks: the signature check on the raw body,
 * the core function's routing of a verified body (`planWebhook`), and the
 * envelope parser with the call event extraction both functions run.
 * Mutated strings carry lone UTF-16 surrogates, raw and as `\ud800` escapes.
 *
 * @module
 */
import {
  callEventKey,
  extractCallEvents,
  extractCallPermissionReplies,
  parseWebhook,
  WebhookEnvelopeSchema,
} from "../lib/whatsapp/webhook.ts";
import { signMetaBody, verifyMetaSignature } from "../lib/whatsapp/signature.ts";
import { planWebhook, type RoutePlan } from "../supabase/functions/wa-webhook-core/route.ts";
import { parseJson } from "../supabase/functions/_shared/json_body.ts";
import { webhookBodies } from "./corpus.ts";
import { jsonSeeds, jsonTextMutant } from "./json_mutant.ts";
import { mutateBytes } from "./mutate_bytes.ts";
import { loneSurrogate, mutateText } from "./mutate_text.ts";
import type { Rng } from "./rng.ts";
import {
  base64,
  ContractViolation,
  defineTarget,
  expect,
  type FuzzTarget,
  havoc,
} from "./target.ts";

const loadJsonSeeds = async () => jsonSeeds(await webhookBodies());
const asIs = (text: string) => text;

/** `JSON.parse`, or undefined on the SyntaxError the functions answer 400 to. */
function parsedOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}

/**
 * `lib/whatsapp/webhook.ts`: `parseWebhook` (and the voice-calls function's
 * `parseJson` with the same schema) return results; the extraction of an
 * accepted envelope does not throw.
 */
export const webhookTarget: FuzzTarget = defineTarget({
  name: "webhook",
  about: "parseWebhook + extractCallEvents/PermissionReplies: results only, never throws",
  seeds: loadJsonSeeds,
  generate: jsonTextMutant,
  check(text) {
    parseJson(text, WebhookEnvelopeSchema);
    const json = parsedOrUndefined(text);
    if (json === undefined) return;
    const r = parseWebhook(json);
    if (!r.ok) return expect(r.error !== "", "refused without a reason");
    for (const item of extractCallEvents(r.value)) callEventKey(item);
    extractCallPermissionReplies(r.value);
  },
  encode: asIs,
});

/** `changes[]` items of an envelope-shaped body, or undefined. */
function changeCount(text: string): number | undefined {
  const json = parsedOrUndefined(text) as { entry?: { changes?: unknown[] }[] } | undefined;
  if (!Array.isArray(json?.entry)) return undefined;
  return json.entry.reduce((n, e) => n + (Array.isArray(e?.changes) ? e.changes.length : 0), 0);
}

function storable(plan: RoutePlan): void {
  try {
    JSON.stringify(plan);
  } catch (error) {
    throw new ContractViolation(`the plan cannot be written as JSON: ${error}`);
  }
}

/**
 * `wa-webhook-core/route.ts`: every body is kept somewhere. A body that is
 * not an envelope becomes one receipt; otherwise each change goes exactly
 * one way (voice-calls, the chat bot, or a receipt); a malformed permission
 * reply inside a `messages` change is also kept as a receipt.
 */
export const webhookRouteTarget: FuzzTarget = defineTarget({
  name: "webhook-route",
  about: "planWebhook: never throws, loses no change, the plan is storable JSON",
  seeds: loadJsonSeeds,
  generate: jsonTextMutant,
  check(text) {
    const plan = planWebhook(text);
    storable(plan);
    // A malformed call permission reply is kept as a receipt beside its
    // `messages` change, which still goes to the chat bot: not a second route.
    const besides = plan.receipts.filter((r) =>
      r.reason.startsWith("invalid_call_permission_reply")
    ).length;
    const routed = plan.calls.length + plan.messages.length + plan.receipts.length - besides;
    const refused = plan.receipts.some((r) =>
      r.reason === "invalid_json" || r.reason.startsWith("invalid_envelope")
    );
    if (refused) return expect(routed === 1, `a refused body routed ${routed} ways`);
    const changes = changeCount(text);
    expect(routed === changes, `${changes} changes routed ${routed} ways`);
  },
  encode: asIs,
});

const APP_SECRET = "fuzz-app-secret";

/** A signed body and its `X-Hub-Signature-256` header. */
interface SignedBody {
  body: Uint8Array;
  header: string;
}

/** One verification: the request's body and header, and what was signed. */
interface SignatureInput extends SignedBody {
  sent: { body: Uint8Array; header: string | null };
}

function otherHeader(rng: Rng, header: string): string | null {
  switch (rng.below(6)) {
    case 0:
      return null;
    case 1:
      return header.toUpperCase().replace("SHA256=", "sha256="); // hex case is free
    case 2:
      return ` ${header}\t`;
    case 3:
      return header.slice(0, 7) + loneSurrogate(rng) + header.slice(8);
    default:
      return havoc(rng, [header], mutateText);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** What Meta's header means when well-formed: lowercase `sha256=<hex>`. */
function canonical(header: string | null): string | undefined {
  const m = header === null ? null : /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  return m ? `sha256=${m[1]!.toLowerCase()}` : undefined;
}

/**
 * `lib/whatsapp/signature.ts`: `verifyMetaSignature` resolves to a boolean,
 * true exactly for the signed body with its header (any hex case,
 * surrounding whitespace), false for any changed byte or header.
 */
export const webhookSignatureTarget: FuzzTarget = defineTarget({
  name: "webhook-signature",
  about: "verifyMetaSignature: true only for the signed body and header; never throws",
  seeds: async () =>
    await Promise.all(
      (await webhookBodies()).map(async (text): Promise<SignedBody> => {
        const body = new TextEncoder().encode(text);
        return { body, header: await signMetaBody(body, APP_SECRET) };
      }),
    ),
  generate(rng, seeds): SignatureInput {
    const seed = rng.pick(seeds);
    const body = rng.chance(0.5) ? havoc(rng, seeds.map((s) => s.body), mutateBytes) : seed.body;
    const header = rng.chance(0.5) ? otherHeader(rng, seed.header) : seed.header;
    return { ...seed, sent: { body, header } };
  },
  async check({ body, header, sent }) {
    const ok = await verifyMetaSignature(sent.body, sent.header, APP_SECRET);
    const genuine = sameBytes(sent.body, body) && canonical(sent.header) === header;
    expect(ok === genuine, genuine ? "the genuine body was refused" : "a forgery was accepted");
  },
  encode: ({ sent }) => JSON.stringify({ header: sent.header, body: base64(sent.body) }),
});
