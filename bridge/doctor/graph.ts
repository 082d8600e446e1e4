/**
 * The doctor's Graph row: `GET {WHATSAPP_GRAPH_URL}/{WHATSAPP_PHONE_NUMBER_ID}`
 * with the access token proves both at once (without a phone number id,
 * `GET /me` proves the token alone). Meta's error codes map to fixes: 190
 * is a bad or expired token, 100 (subcode 33) and 803 an unknown id or one
 * the token may not see. The number is printed masked.
 *
 * @module
 */
import { maskPhone } from "../../lib/whatsapp/mask.ts";
import { type CheckRow, fail, ok, skip } from "./check.ts";

const GROUP = "graph";

/** What {@linkcode checkGraph} needs. */
export interface GraphSettings {
  graphUrl: string;
  token: string | undefined;
  phoneNumberId: string | undefined;
}

/** What Graph answered, reduced to what the row needs. */
export type GraphOutcome =
  | { kind: "ok"; body: Record<string, unknown> }
  | {
    kind: "error";
    status: number;
    code: number | undefined;
    subcode: number | undefined;
    message: string;
  }
  | { kind: "network"; message: string };

const TOKEN_FIX =
  "WHATSAPP_ACCESS_TOKEN is invalid or expired: generate a System User token with whatsapp_business_messaging and whatsapp_business_management in Meta Business Settings (a temporary token lasts 24 h)";
const ID_FIX =
  "WHATSAPP_PHONE_NUMBER_ID is unknown to this token: copy the Phone number ID from WhatsApp Manager › API Setup, and give the token's System User access to that WhatsApp account";

/** Masks an id for display, keeping its last four characters. */
export function maskId(id: string): string {
  return id.length > 6 ? `…${id.slice(-4)}` : "…";
}

/** The row for a Graph answer. */
export function graphRow(outcome: GraphOutcome, settings: GraphSettings): CheckRow {
  const name = settings.phoneNumberId ? "token and phone number id" : "token";
  const host = URL.parse(settings.graphUrl)?.host ?? settings.graphUrl;
  const secret = settings.token ?? "";
  const said = (text: string) => (secret ? text.replaceAll(secret, "…") : text).slice(0, 160);
  switch (outcome.kind) {
    case "ok": {
      if (!settings.phoneNumberId) {
        return ok(
          GROUP,
          name,
          `token accepted by ${host}; set WHATSAPP_PHONE_NUMBER_ID to check the number too`,
        );
      }
      const display = outcome.body.display_phone_number;
      const verified = outcome.body.verified_name;
      return ok(
        GROUP,
        name,
        `number ${maskId(settings.phoneNumberId)} is ${
          typeof display === "string" ? maskPhone(display) : "(no display number)"
        }${typeof verified === "string" ? ` "${verified}"` : ""}`,
      );
    }
    case "network":
      return fail(
        GROUP,
        name,
        `cannot reach ${host}: ${said(outcome.message)}`,
        "allow outbound HTTPS to graph.facebook.com from this host, and check WHATSAPP_GRAPH_URL",
      );
    case "error": {
      const detail = `Graph error ${outcome.code ?? "?"}${
        outcome.subcode ? `/${outcome.subcode}` : ""
      } (HTTP ${outcome.status}): ${said(outcome.message)}`;
      if (outcome.code === 190 || outcome.status === 401) {
        return fail(GROUP, name, detail, TOKEN_FIX);
      }
      if (outcome.code === 100 || outcome.code === 803) return fail(GROUP, name, detail, ID_FIX);
      if (outcome.code === 10 || outcome.code === 200) {
        return fail(
          GROUP,
          name,
          detail,
          "the token lacks a permission: grant whatsapp_business_messaging and whatsapp_business_management",
        );
      }
      return fail(
        GROUP,
        name,
        detail,
        "see Meta's message; check the token, the number id and WHATSAPP_GRAPH_URL",
      );
    }
  }
}

/** Asks Graph about the number (or `/me`), within `timeoutMs`. */
export async function queryGraph(
  settings: GraphSettings & { token: string },
  options: { timeoutMs: number; fetch?: typeof fetch },
): Promise<GraphOutcome> {
  const base = settings.graphUrl.replace(/\/+$/, "");
  const url = settings.phoneNumberId
    ? `${base}/${
      encodeURIComponent(settings.phoneNumberId)
    }?fields=display_phone_number,verified_name`
    : `${base}/me`;
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, {
      headers: { authorization: `Bearer ${settings.token}` },
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    return { kind: "network", message: error instanceof Error ? error.message : String(error) };
  }
  const body = await response.json().catch(() => undefined) as Record<string, unknown> | undefined;
  if (response.ok && body) return { kind: "ok", body };
  const error = (body?.error ?? {}) as Record<string, unknown>;
  return {
    kind: "error",
    status: response.status,
    code: typeof error.code === "number" ? error.code : undefined,
    subcode: typeof error.error_subcode === "number" ? error.error_subcode : undefined,
    message: typeof error.message === "string" ? error.message : `HTTP ${response.status}`,
  };
}

/** The Graph row: skipped without a token. */
export async function checkGraph(
  settings: GraphSettings,
  options: { timeoutMs: number; fetch?: typeof fetch },
): Promise<CheckRow> {
  if (!settings.token) {
    return skip(
      GROUP,
      "token",
      "no WHATSAPP_ACCESS_TOKEN (the bridge cannot hang up through Graph)",
    );
  }
  return graphRow(await queryGraph({ ...settings, token: settings.token }, options), settings);
}
