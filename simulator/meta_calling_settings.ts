/**
 * The fake Meta's calling settings per business number:
 * `GET /{phone-number-id}/settings` and `POST` with `{"calling":{…}}`
 * (S: https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/call-settings).
 * Only `callback_permission_status` (ENABLED | DISABLED) is validated; other
 * calling fields are kept as posted.
 *
 * @module
 */
import { invalid, type MetaFault } from "./meta_faults.ts";

/** Numbers' calling settings as the fake Meta keeps them. */
export class FakeCallingSettings {
  readonly #byNumber = new Map<string, Record<string, unknown>>();

  /** The number's `calling` object (Meta's defaults until changed). */
  calling(phoneNumberId: string): Record<string, unknown> {
    return this.#byNumber.get(phoneNumberId) ?? {
      status: "ENABLED",
      call_icon_visibility: "DEFAULT",
      callback_permission_status: "DISABLED",
    };
  }

  /** Handles `GET` or `POST /{id}/settings` for a known number. */
  handle(method: string, phoneNumberId: string, body: unknown): Response | MetaFault {
    if (method === "GET") return Response.json({ calling: this.calling(phoneNumberId) });
    const calling = (body as { calling?: unknown } | null)?.calling;
    if (typeof calling !== "object" || calling === null || Array.isArray(calling)) {
      return invalid("The parameter calling is required");
    }
    const status = (calling as Record<string, unknown>).callback_permission_status;
    if (status !== undefined && status !== "ENABLED" && status !== "DISABLED") {
      return invalid("callback_permission_status must be ENABLED or DISABLED");
    }
    this.#byNumber.set(phoneNumberId, { ...this.calling(phoneNumberId), ...calling });
    return Response.json({ success: true });
  }
}
