/**
 * The functions' last line of defence: whatever a request throws is logged
 * with its detail and answered with a bare 500, so no internal message (a
 * driver's error, a hostname, a query) reaches the caller. Known failures
 * (bad input, missing variables) are answered before they get here.
 *
 * @module
 */

import { INTERNAL_ERROR_BODY } from "../../../lib/bridge_api/schema.ts";
import type { FunctionLogger } from "./log.ts";

/** A bare 500; `extra` may add fields of our own making (never an error's text). */
export function internalErrorResponse(extra: Record<string, unknown> = {}): Response {
  return Response.json({ ...INTERNAL_ERROR_BODY, ...extra }, { status: 500 });
}

/** `handler`, with anything it throws logged as `WA_FUNCTION_FAILED` and answered 500. */
export function catchInternalErrors(
  handler: (req: Request) => Promise<Response>,
  log: FunctionLogger,
): (req: Request) => Promise<Response> {
  return async (req) => {
    try {
      return await handler(req);
    } catch (error) {
      log.error("WA_FUNCTION_FAILED", { method: req.method, error: String(error) });
      return internalErrorResponse();
    }
  };
}
