/**
 * A business-initiated call's purpose as the agent receives it: its
 * instructions and first words with `{{variable}}` placeholders filled from
 * the call request's variables (e.g. `{{name}}`, `{{appointment_time}}`).
 *
 * The rules are those of `instructions.ts`: values are untrusted (they come
 * from a campaign list or an API client), so control characters and line
 * breaks become spaces and values are cut to their bound; an unknown
 * placeholder is left as written so a typo shows when the prompt is tried;
 * one pass only, so a value holding `{{…}}` is never expanded again.
 *
 * @module
 */
import { type CallPurpose, MAX_CALLER_PAYLOAD_CHARS } from "../../lib/bridge_api/schema.ts";
import { sanitizeInstructionValue } from "./instructions.ts";

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** `template` with each `{{name}}` that `variables` holds replaced by its sanitised value. */
export function renderPurposeText(template: string, variables: Record<string, string>): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => {
    if (!Object.hasOwn(variables, name)) return whole;
    return sanitizeInstructionValue(variables[name]!, MAX_CALLER_PAYLOAD_CHARS);
  });
}

/** What the agent of a business-initiated call is started with. */
export interface RenderedPurpose {
  /** Replaces the agent's configured instructions for this call. */
  instructions?: string;
  /** The agent's first words when the user picks up. */
  greeting?: string;
}

/** Renders a purpose's instructions and greeting; absent parts stay absent. */
export function renderPurpose(purpose: CallPurpose | undefined): RenderedPurpose {
  if (purpose === undefined) return {};
  const variables = purpose.variables ?? {};
  const out: RenderedPurpose = {};
  if (purpose.instructions !== undefined) {
    out.instructions = renderPurposeText(purpose.instructions, variables);
  }
  if (purpose.greeting !== undefined) out.greeting = renderPurposeText(purpose.greeting, variables);
  return out;
}
