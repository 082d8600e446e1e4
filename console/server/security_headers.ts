/**
 * The headers every console response carries: a strict Content-Security-Policy
 * (same-origin scripts and styles only, no inline script, no framing) and
 * Hono's secure defaults. The microphone is allowed for this origin only, for
 * "Talk to your agent".
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { secureHeaders } from "hono/secure-headers";

/** The policy, directive by directive; `CONTENT_SECURITY_POLICY` is its header value. */
export const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", "data:"],
  mediaSrc: ["'self'", "blob:"],
  connectSrc: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  objectSrc: ["'none'"],
} as const;

/** The `Content-Security-Policy` header value every response carries. */
export const CONTENT_SECURITY_POLICY = Object.entries(CSP_DIRECTIVES)
  .map(([name, values]) =>
    `${name.replace(/[A-Z]/g, (l) => `-${l.toLowerCase()}`)} ${values.join(" ")}`
  )
  .join("; ");

/** Middleware: the CSP and the other secure headers on every response, errors included. */
export function consoleSecurityHeaders(): MiddlewareHandler {
  return secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: [...CSP_DIRECTIVES.defaultSrc],
      scriptSrc: [...CSP_DIRECTIVES.scriptSrc],
      styleSrc: [...CSP_DIRECTIVES.styleSrc],
      imgSrc: [...CSP_DIRECTIVES.imgSrc],
      mediaSrc: [...CSP_DIRECTIVES.mediaSrc],
      connectSrc: [...CSP_DIRECTIVES.connectSrc],
      frameAncestors: [...CSP_DIRECTIVES.frameAncestors],
      baseUri: [...CSP_DIRECTIVES.baseUri],
      formAction: [...CSP_DIRECTIVES.formAction],
      objectSrc: [...CSP_DIRECTIVES.objectSrc],
    },
    xFrameOptions: "DENY",
    referrerPolicy: "same-origin",
    permissionsPolicy: { microphone: ["self"], camera: [], geolocation: [] },
  });
}
