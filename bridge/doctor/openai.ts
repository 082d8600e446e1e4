/**
 * The doctor's OpenAI row: the Realtime WebSocket handshake with the key and
 * model the bridge would use, as the bridge opens it (`Authorization`
 * header, `?model=`, never `OpenAI-Beta`), then the first event. The
 * service refuses a bad key either at the handshake (HTTP 401) or after it
 * (an `invalid_api_key` error and close 3000); an unknown model with a
 * `model_not_found` error. {@linkcode openAiRow} maps each outcome to a fix.
 *
 * @module
 */
import { defaultWebSocketFactory, type WebSocketFactory } from "../agents/realtime_connection.ts";
import { type CheckRow, fail, ok, skip } from "./check.ts";

const GROUP = "openai";
const NAME = "Realtime handshake";

/** How the handshake ended. */
export type RealtimeOutcome =
  | { kind: "created"; ms: number }
  | { kind: "http"; status: number }
  | { kind: "error_event"; code: string; message: string }
  | { kind: "closed"; code: number; reason: string }
  | { kind: "connect_failed"; message: string }
  | { kind: "timeout"; ms: number };

/** What the probe needs. */
export interface RealtimeProbe {
  url: string;
  model: string;
  apiKey: string;
  timeoutMs: number;
  webSocketFactory?: WebSocketFactory;
}

/** Opens the socket, waits for the first event or the end, and closes it. */
export function probeRealtime(p: RealtimeProbe): Promise<RealtimeOutcome> {
  const started = performance.now();
  const sep = p.url.includes("?") ? "&" : "?";
  const url = `${p.url}${sep}model=${encodeURIComponent(p.model)}`;
  return new Promise((resolve) => {
    let ws: ReturnType<WebSocketFactory>;
    let handshakeError: string | undefined;
    let settled = false;
    const settle = (outcome: RealtimeOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        ws.close(1000, "doctor");
      } catch {
        // not open
      }
      resolve(outcome);
    };
    const timer = setTimeout(
      () => settle({ kind: "timeout", ms: Math.round(performance.now() - started) }),
      p.timeoutMs,
    );
    try {
      ws = (p.webSocketFactory ?? defaultWebSocketFactory)(url, p.apiKey);
    } catch (error) {
      clearTimeout(timer);
      return resolve({ kind: "connect_failed", message: String(error) });
    }
    ws.addEventListener("error", (e) => {
      handshakeError = e instanceof ErrorEvent ? e.message : "socket error";
    });
    ws.addEventListener("message", (e) => {
      const event = parseEvent(e.data);
      if (event?.type === "session.created") {
        return settle({ kind: "created", ms: Math.round(performance.now() - started) });
      }
      if (event?.type === "error") {
        const error = event.error as { code?: unknown; message?: unknown } | undefined;
        settle({
          kind: "error_event",
          code: String(error?.code ?? ""),
          message: String(error?.message ?? ""),
        });
      }
    });
    ws.addEventListener("close", (e) => {
      const status = /(?:HTTP|status code:?) (\d{3})/.exec(handshakeError ?? "")?.[1];
      if (status) return settle({ kind: "http", status: Number(status) });
      if (handshakeError) return settle({ kind: "connect_failed", message: handshakeError });
      settle({ kind: "closed", code: e.code, reason: e.reason });
    });
  });
}

function parseEvent(data: unknown): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(String(data));
    return typeof value === "object" && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

const WRONG_KEY_FIX =
  "OpenAI does not accept OPENAI_API_KEY: create a key at https://platform.openai.com/api-keys in a project allowed to use the Realtime API, and set it without quotes or spaces";
const MODEL_FIX = (model: string) =>
  `OPENAI_REALTIME_MODEL=${model} is retired or unknown to this key: set a current model (the default is gpt-realtime-2.1) or unset it`;
const BLOCKED_FIX =
  "the network blocks the Realtime API: allow outbound TLS (TCP 443) to api.openai.com from this host (proxy, firewall, egress policy), and check OPENAI_REALTIME_URL";

/** The row for `outcome`; `secret` is blanked from anything the service said. */
export function openAiRow(
  outcome: RealtimeOutcome,
  context: { url: string; model: string; secret: string },
): CheckRow {
  const host = URL.parse(context.url)?.host ?? context.url;
  const said = (text: string) => clip(context.secret ? text.replaceAll(context.secret, "…") : text);
  switch (outcome.kind) {
    case "created":
      return ok(GROUP, NAME, `${host}: session.created for ${context.model} in ${outcome.ms} ms`);
    case "http":
      return httpRow(outcome.status, host, context.model);
    case "error_event":
    case "closed": {
      const code = outcome.kind === "error_event" ? outcome.code : outcome.reason;
      const message = outcome.kind === "error_event"
        ? outcome.message
        : `closed ${outcome.code} ${outcome.reason}`;
      if (/invalid_api_key/.test(code)) {
        return fail(GROUP, NAME, `wrong key: ${said(message)}`, WRONG_KEY_FIX);
      }
      if (/model_not_found/.test(code)) {
        return fail(
          GROUP,
          NAME,
          `model ${context.model}: ${said(message)}`,
          MODEL_FIX(context.model),
        );
      }
      if (
        /beta_api_shape_disabled/.test(code) || (outcome.kind === "closed" && outcome.code === 4000)
      ) {
        return fail(
          GROUP,
          NAME,
          `beta shape refused: ${said(message)}`,
          "something between this host and OpenAI adds an OpenAI-Beta header: remove it (the beta interface is shut off)",
        );
      }
      return fail(
        GROUP,
        NAME,
        `${host} refused the session: ${said(message)}`,
        "see the message; check the key's project, its Realtime access and OpenAI's status page",
      );
    }
    case "connect_failed":
      return fail(GROUP, NAME, `cannot connect to ${host}: ${said(outcome.message)}`, BLOCKED_FIX);
    case "timeout":
      return fail(GROUP, NAME, `no answer from ${host} in ${outcome.ms} ms`, BLOCKED_FIX);
  }
}

function httpRow(status: number, host: string, model: string): CheckRow {
  if (status === 401) {
    return fail(GROUP, NAME, `wrong key: ${host} answered HTTP 401`, WRONG_KEY_FIX);
  }
  if (status === 404) {
    return fail(GROUP, NAME, `model ${model}: ${host} answered HTTP 404`, MODEL_FIX(model));
  }
  if (status === 403) {
    return fail(
      GROUP,
      NAME,
      `${host} answered HTTP 403`,
      "the key's project may not use the Realtime API or this model, or the request comes from an unsupported region: check the project's model access",
    );
  }
  if (status === 429) {
    return fail(
      GROUP,
      NAME,
      `${host} answered HTTP 429`,
      "the organisation is out of quota or rate-limited: check billing and limits",
    );
  }
  return fail(
    GROUP,
    NAME,
    `${host} answered HTTP ${status}`,
    `${BLOCKED_FIX}; or retry later (OpenAI's status page)`,
  );
}

function clip(text: string): string {
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

/** What {@linkcode checkOpenAi} needs from the bridge's configuration. */
export interface OpenAiSettings {
  agent: "openai" | "echo";
  apiKey: string | undefined;
  url: string;
  model: string;
}

/** The OpenAI row: skipped for the echo agent or without a key, else the handshake. */
export async function checkOpenAi(
  settings: OpenAiSettings,
  options: { timeoutMs: number; webSocketFactory?: WebSocketFactory },
): Promise<CheckRow> {
  if (settings.agent === "echo") return skip(GROUP, NAME, "AGENT=echo: OpenAI is not used");
  if (!settings.apiKey) return skip(GROUP, NAME, "no OPENAI_API_KEY");
  const outcome = await probeRealtime({
    url: settings.url,
    model: settings.model,
    apiKey: settings.apiKey,
    timeoutMs: options.timeoutMs,
    ...(options.webSocketFactory ? { webSocketFactory: options.webSocketFactory } : {}),
  });
  return openAiRow(outcome, { url: settings.url, model: settings.model, secret: settings.apiKey });
}
