/**
 * The Call a customer page's inputs, each checked with zod: the look-up
 * query, the permission request form and the call form. Form fields arrive
 * as strings; empty optional fields count as absent.
 *
 * @module
 */
import { z } from "zod";
import { MAX_CALLER_PAYLOAD_CHARS, MAX_PURPOSE_CHARS } from "../../lib/bridge_api/schema.ts";
import { MAX_REQUEST_BODY_TEXT, UserKeySchema } from "../../lib/whatsapp/call_permissions.ts";
import type { CallRequestInput, PermissionRequestInput } from "../outbound/functions_client.ts";

/** The idempotency key each rendered form carries: a retry of that form is a replay. */
export const FormKeySchema = z.string().regex(
  /^console-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/,
  "the form's key is missing or malformed: reload the page",
);

/** A fresh key for one rendered form. */
export function newFormKey(): string {
  return `console-${crypto.randomUUID()}`;
}

const blank = (v: unknown) => typeof v === "string" && v.trim() === "" ? undefined : v;
const trimmed = (v: unknown) => typeof v === "string" ? v.trim() : v;

/** A business number's `phone_number_id`. */
export const PhoneNumberIdSchema = z.preprocess(
  trimmed,
  z.string().regex(/^\d{1,30}$/, "the business number's phone_number_id: digits only"),
);

/** A user: WhatsApp number (digits, a leading + and spaces dropped) or business-scoped user id. */
export const UserInputSchema = z.preprocess(
  (v) => typeof v === "string" ? v.trim().replace(/^\+/, "").replace(/[\s-]/g, "") : v,
  UserKeySchema,
);

/** `GET /outbound?user=&phone_number_id=`. */
export const LookupQuerySchema = z.object({
  user: z.preprocess(blank, UserInputSchema.optional()),
  phone_number_id: z.preprocess(blank, PhoneNumberIdSchema.optional()),
});

/** Template body parameters: one per line, at most 10, each ≤ 512 characters. */
const ParameterLinesSchema = z.preprocess(
  (v) => typeof v === "string" ? v.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "") : v,
  z.array(z.string().max(MAX_CALLER_PAYLOAD_CHARS)).max(10, "at most 10 parameters"),
);

/** `POST /outbound/permission-requests`. */
export const PermissionFormSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("interactive"),
    key: FormKeySchema,
    user: UserInputSchema,
    phone_number_id: PhoneNumberIdSchema,
    body_text: z.preprocess(blank, z.string().max(MAX_REQUEST_BODY_TEXT).optional()),
  }),
  z.object({
    kind: z.literal("template"),
    key: FormKeySchema,
    user: UserInputSchema,
    phone_number_id: PhoneNumberIdSchema,
    template_name: z.preprocess(
      trimmed,
      z.string().regex(/^[a-z0-9_]{1,512}$/, "the template's name: lower-case letters, digits, _"),
    ),
    template_language: z.preprocess(
      trimmed,
      z.string().regex(/^[a-z]{2,3}(_[A-Z]{2})?$/, "a language code such as en or en_US"),
    ),
    template_parameters: z.preprocess((v) => v ?? "", ParameterLinesSchema),
  }),
], { error: "choose interactive or template" });

/** A checked permission request form. */
export type PermissionForm = z.infer<typeof PermissionFormSchema>;

/** The function's body for a checked form. */
export function permissionRequestInput(f: PermissionForm): PermissionRequestInput {
  const base = { user: f.user, phone_number_id: f.phone_number_id };
  if (f.kind === "interactive") {
    return {
      ...base,
      message: { type: "interactive", ...(f.body_text ? { body_text: f.body_text } : {}) },
    };
  }
  return {
    ...base,
    message: {
      type: "template",
      name: f.template_name,
      language: f.template_language,
      ...(f.template_parameters.length > 0 ? { body_parameters: f.template_parameters } : {}),
    },
  };
}

const VARIABLE_LINE = /^([A-Za-z_][A-Za-z0-9_]{0,63})\s*=\s?(.*)$/;

/** `name=value` lines (at most 50) to a record; a bad line names its number. */
export const VariableLinesSchema = z.preprocess(
  (v) => v ?? "",
  z.string().max(50 * (MAX_CALLER_PAYLOAD_CHARS + 70)).transform((text, ctx) => {
    const out: Record<string, string> = {};
    const lines = text.split(/\r?\n/);
    for (const [i, raw] of lines.entries()) {
      if (raw.trim() === "") continue;
      const m = VARIABLE_LINE.exec(raw.trim());
      if (m === null) {
        ctx.addIssue({ code: "custom", message: `line ${i + 1}: write name=value` });
        continue;
      }
      if (m[2]!.length > MAX_CALLER_PAYLOAD_CHARS) {
        ctx.addIssue({ code: "custom", message: `line ${i + 1}: value over 512 characters` });
      }
      if (m[1]! in out) ctx.addIssue({ code: "custom", message: `line ${i + 1}: ${m[1]} twice` });
      out[m[1]!] = m[2]!;
    }
    if (Object.keys(out).length > 50) ctx.addIssue({ code: "custom", message: "at most 50" });
    return out;
  }),
);

/** `POST /outbound/calls`. */
export const CallFormSchema = z.object({
  key: FormKeySchema,
  user: z.preprocess(
    (v) => typeof v === "string" ? v.trim().replace(/^\+/, "").replace(/[\s-]/g, "") : v,
    z.string().regex(/^\d{6,15}$/, "a WhatsApp number (6-15 digits): Meta calls numbers only"),
  ),
  phone_number_id: PhoneNumberIdSchema,
  instructions: z.preprocess(blank, z.string().max(MAX_PURPOSE_CHARS).optional()),
  greeting: z.preprocess(blank, z.string().max(MAX_PURPOSE_CHARS).optional()),
  variables: VariableLinesSchema,
});

/** A checked call form. */
export type CallForm = z.infer<typeof CallFormSchema>;

/** The function's body for a checked form. */
export function callRequestInput(f: CallForm): CallRequestInput {
  const purpose = {
    ...(f.instructions ? { instructions: f.instructions } : {}),
    ...(f.greeting ? { greeting: f.greeting } : {}),
    ...(Object.keys(f.variables).length > 0 ? { variables: f.variables } : {}),
  };
  return {
    user: f.user,
    phone_number_id: f.phone_number_id,
    ...(Object.keys(purpose).length > 0 ? { purpose } : {}),
  };
}

/** Zod issues as `field: message` lines for the page. */
export function issueLines(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.length > 0 ? `${i.path.join(".")}: ` : ""}${i.message}`);
}
