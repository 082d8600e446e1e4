/**
 * Graph's calling settings of a business number, here for the callback
 * permission prompt: `POST /{phone-number-id}/settings`
 * `{"calling":{"callback_permission_status":"ENABLED"}}` → `{"success":true}`,
 * and `GET /{phone-number-id}/settings` → `{"calling":{…,"callback_permission_status"}}`
 * (S: https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/call-settings).
 * With it ENABLED, a user who calls the business (missed or connected) is
 * prompted to allow calls back; the grant arrives as a `call_permission_reply`
 * with `response_source: automatic`. It is number-wide, not per caller.
 *
 * @module
 */
import { z } from "zod";
import { GraphErrorEnvelopeSchema, GraphHttp, type GraphHttpOptions } from "./graph_http.ts";
import { GraphPermissionError, GraphPermissionUnknownOutcome } from "./graph_permissions.ts";

/** `callback_permission_status` values. */
export type CallbackPermissionStatus = "ENABLED" | "DISABLED";

/** The `calling` part of `GET /{id}/settings` this product reads (other fields kept loose). */
export const CallingSettingsSchema = z.looseObject({
  status: z.string().optional(),
  call_icon_visibility: z.string().optional(),
  callback_permission_status: z.enum(["ENABLED", "DISABLED"]).optional(),
});

/** A number's calling settings as read. */
export type CallingSettings = z.infer<typeof CallingSettingsSchema>;

const SettingsAnswerSchema = z.looseObject({ calling: CallingSettingsSchema.optional() });

/** Graph's settings endpoint of a number. */
export class GraphCallingSettingsClient {
  readonly #http: GraphHttp;

  /** Creates a client; nothing is sent until a method is called. */
  constructor(o: GraphHttpOptions) {
    this.#http = new GraphHttp(o);
  }

  /** Reads the number's calling settings. */
  async getCallingSettings(phoneNumberId: string): Promise<CallingSettings> {
    const body = await this.#send(phoneNumberId, { method: "GET" });
    const parsed = SettingsAnswerSchema.safeParse(body);
    if (!parsed.success) throw new GraphPermissionUnknownOutcome("unexpected settings answer");
    return parsed.data.calling ?? {};
  }

  /** Turns Meta's callback permission prompt on or off (safe to repeat: it sets a value). */
  async setCallbackPermissionStatus(
    phoneNumberId: string,
    status: CallbackPermissionStatus,
  ): Promise<void> {
    const body = await this.#send(phoneNumberId, {
      method: "POST",
      body: JSON.stringify({ calling: { callback_permission_status: status } }),
    });
    if (!z.looseObject({ success: z.literal(true) }).safeParse(body).success) {
      throw new GraphPermissionUnknownOutcome("settings answer without success: true");
    }
  }

  async #send(phoneNumberId: string, init: { method: string; body?: string }): Promise<unknown> {
    const url = `${this.#http.baseUrl}/${encodeURIComponent(phoneNumberId)}/settings`;
    const sent = await this.#http.exchange(url, init);
    if (sent.kind === "timeout") throw new GraphPermissionUnknownOutcome("timed out");
    if (sent.kind === "failed") {
      throw new GraphPermissionUnknownOutcome(this.#http.redact(String(sent.error)));
    }
    if (sent.res.ok) return sent.json;
    const envelope = GraphErrorEnvelopeSchema.safeParse(sent.json);
    if (!envelope.success) throw new GraphPermissionUnknownOutcome(`HTTP ${sent.res.status}`);
    const e = envelope.data.error;
    throw new GraphPermissionError({
      httpStatus: sent.res.status,
      code: e.code,
      message: this.#http.redact(e.message),
      fbtraceId: e.fbtrace_id,
    });
  }
}
