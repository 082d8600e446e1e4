/**
 * Meta's error envelope as the fake answers it. Codes, titles and HTTP
 * statuses come from the product's table (`lib/whatsapp/call_errors.ts`);
 * the shape is the one Meta documents: `{error: {message, type, code,
 * error_data: {details}, fbtrace_id}}` ("Troubleshoot WhatsApp Calling
 * Errors", https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/troubleshooting),
 * and the failures tests script in place of Meta's answers.
 *
 * @module
 */

import { type CallErrorCode, callErrorInfo } from "../lib/whatsapp/call_errors.ts";

/** Problem with a request, answered as Meta's error envelope. */
export interface MetaFault {
  status: number;
  code: number;
  message: string;
  type?: string;
  subcode?: number;
  details?: string;
}

/** Code 100, Meta's answer to any bad parameter; what is wrong goes in `details`. */
export function invalid(details: string): MetaFault {
  return { status: 400, code: 100, message: "(#100) Invalid parameter", details };
}

/** Code 100, subcode 33: Graph's answer to a `method` request on an object id it does not know. */
export function unknownObject(method: "get" | "post", id: string): MetaFault {
  return {
    status: 400,
    code: 100,
    subcode: 33,
    type: "GraphMethodException",
    message: `Unsupported ${method} request. Object with ID '${id}' does not exist, ` +
      "cannot be loaded due to missing permissions, or does not support this operation",
  };
}

/** A code from Meta's table, with its HTTP status and title. */
export function tableFault(code: CallErrorCode, details?: string): MetaFault {
  const info = callErrorInfo(code)!;
  const fault: MetaFault = { status: info.httpStatus, code, message: info.title };
  if (details !== undefined) fault.details = details;
  return fault;
}

/** The HTTP response carrying `f` in Meta's envelope, with a fresh `fbtrace_id`. */
export function errorResponse(f: MetaFault): Response {
  const error: Record<string, unknown> = {
    message: f.message,
    type: f.type ?? "OAuthException",
    code: f.code,
  };
  if (f.subcode !== undefined) error.error_subcode = f.subcode;
  if (f.details !== undefined) {
    error.error_data = { messaging_product: "whatsapp", details: f.details };
  }
  error.fbtrace_id = `A${crypto.randomUUID().replaceAll("-", "").slice(0, 22)}`;
  return Response.json({ error }, { status: f.status });
}

/** A failure `failNext` makes the fake answer instead of (or after) processing the request. */
export interface ScriptedFailure {
  /** HTTP status. Default 500. */
  status?: number;
  /** Meta error code. Default 138004 (connection error). */
  code?: number;
  message?: string;
  type?: string;
  subcode?: number;
  /** `error_data.details`. */
  details?: string;
  /** How many consecutive requests of the action fail. Default 1. */
  times?: number;
  /**
   * The request takes effect before the failure is answered: Meta applied it
   * and its answer was lost (a 5xx after the fact). Default false.
   */
  applied?: boolean;
}

/** The failures scripted per action, each for its next `times` requests. */
export class FailureScript<Action extends string> {
  readonly #failures = new Map<Action, ScriptedFailure & { times: number }>();

  /** Scripts `failure` for the next requests of `action`, replacing any left. */
  set(action: Action, failure: ScriptedFailure): void {
    this.#failures.set(action, { ...failure, times: failure.times ?? 1 });
  }

  /** The fault to answer the next `action` with, and whether it takes effect first; counts it. */
  take(action: Action): { fault: MetaFault; applied: boolean } | undefined {
    const f = this.#failures.get(action);
    if (f === undefined) return undefined;
    if (--f.times <= 0) this.#failures.delete(action);
    const fault: MetaFault = {
      status: f.status ?? 500,
      code: f.code ?? 138004,
      message: f.message ?? "Scripted failure",
    };
    if (f.type !== undefined) fault.type = f.type;
    if (f.subcode !== undefined) fault.subcode = f.subcode;
    if (f.details !== undefined) fault.details = f.details;
    return { fault, applied: f.applied ?? false };
  }
}
