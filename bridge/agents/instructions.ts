/**
 * The agent's instructions with the caller's context filled in, so a prompt
 * can greet by name and know which button or link the caller came from:
 *
 * ```text
 * You answer calls for Acme. The caller is {{caller_name}}.
 * They pressed the call button "{{cta_payload}}" or followed the link "{{deeplink_payload}}".
 * ```
 *
 * Placeholders are {@linkcode INSTRUCTION_PLACEHOLDERS}: `{{caller_name}}`,
 * `{{caller_username}}`, `{{caller_user_id}}`, `{{cta_payload}}`,
 * `{{deeplink_payload}}`, `{{biz_opaque_callback_data}}`. The rules:
 * - A known placeholder whose value Meta did not send becomes empty.
 * - An unknown placeholder (`{{caller_number}}`, a typo) is left as written,
 *   so it shows when the prompt is tried rather than vanishing silently, and
 *   braces that are not ours are never touched.
 * - There is deliberately no placeholder for the caller's phone number: the
 *   instructions go to OpenAI, the number is personal data the model does
 *   not need to talk to the caller, and Meta itself now hides it behind
 *   usernames. A tool that must know the caller finds them by call id.
 * - Values are untrusted (anyone can craft a `wa.me/call` link's payload):
 *   control characters and line breaks become spaces, so a value cannot
 *   start a new line that reads as an instruction; whitespace runs collapse;
 *   the value is trimmed and cut to its bound. Quote values in the prompt and
 *   call them data; no escaping stops a model from reading what they say.
 * - One pass: a value containing `{{…}}` is not expanded again.
 *
 * @module
 */
import {
  type CallerContext,
  MAX_CALLER_NAME_CHARS,
  MAX_CALLER_PAYLOAD_CHARS,
} from "../../lib/bridge_api/schema.ts";

/** Each placeholder, the context field it reads and the longest value it takes. */
export const INSTRUCTION_PLACEHOLDERS = {
  caller_name: { field: "name", max: MAX_CALLER_NAME_CHARS },
  caller_username: { field: "username", max: MAX_CALLER_NAME_CHARS },
  caller_user_id: { field: "userId", max: MAX_CALLER_NAME_CHARS },
  cta_payload: { field: "ctaPayload", max: MAX_CALLER_PAYLOAD_CHARS },
  deeplink_payload: { field: "deeplinkPayload", max: MAX_CALLER_PAYLOAD_CHARS },
  biz_opaque_callback_data: { field: "bizOpaqueCallbackData", max: MAX_CALLER_PAYLOAD_CHARS },
} as const satisfies Record<string, { field: keyof CallerContext; max: number }>;

/** A placeholder name, as written between `{{` and `}}`. */
export type InstructionPlaceholder = keyof typeof INSTRUCTION_PLACEHOLDERS;

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** C0/C1 controls (line feeds, tabs, escapes), Unicode line/paragraph separators, bidi overrides. */
const BREAKING = /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]/gu;

function isPlaceholder(name: string): name is InstructionPlaceholder {
  return Object.hasOwn(INSTRUCTION_PLACEHOLDERS, name);
}

/**
 * A value fit to sit inside one line of the instructions: no control
 * characters or line breaks, whitespace collapsed, trimmed, at most `max`
 * characters (code points, so no surrogate pair is split).
 */
export function sanitizeInstructionValue(value: string, max: number): string {
  const flat = value.replace(BREAKING, " ").replace(/\s+/g, " ").trim();
  const chars = Array.from(flat);
  return chars.length <= max ? flat : chars.slice(0, max).join("").trimEnd();
}

/** `template` with every known placeholder replaced by the caller's sanitised value (see the module doc). */
export function renderInstructions(template: string, caller: CallerContext = {}): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => {
    if (!isPlaceholder(name)) return whole;
    const { field, max } = INSTRUCTION_PLACEHOLDERS[name];
    const value = caller[field];
    return value === undefined ? "" : sanitizeInstructionValue(value, max);
  });
}
