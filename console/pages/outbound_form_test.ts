import assert from "node:assert/strict";
import {
  CallFormSchema,
  callRequestInput,
  LookupQuerySchema,
  newFormKey,
  PermissionFormSchema,
  permissionRequestInput,
} from "./outbound_form.ts";

const key = newFormKey();

Deno.test("outbound form: users are normalised; numbers or BSUIDs look up, numbers only call", () => {
  assert.deepEqual(LookupQuerySchema.parse({ user: " +44 7700-900123 ", phone_number_id: "" }), {
    user: "447700900123",
    phone_number_id: undefined,
  });
  assert.equal(LookupQuerySchema.parse({ user: "BR.abc_1" }).user, "BR.abc_1");
  assert.equal(LookupQuerySchema.safeParse({ user: "12" }).success, false);
  const call = CallFormSchema.safeParse({ key, user: "BR.abc", phone_number_id: "1" });
  assert.equal(call.success, false);
});

Deno.test("outbound form: variables are name=value lines; each bad line is named", () => {
  const ok = CallFormSchema.parse({
    key,
    user: "447700900123",
    phone_number_id: "1",
    greeting: "Hello {{name}}",
    instructions: "  ",
    variables: "name=Ana\r\n\r\nappointment_time = 10:30 tomorrow\n",
  });
  assert.deepEqual(callRequestInput(ok), {
    user: "447700900123",
    phone_number_id: "1",
    purpose: {
      greeting: "Hello {{name}}",
      variables: { name: "Ana", appointment_time: "10:30 tomorrow" },
    },
  });
  const bad = CallFormSchema.safeParse({
    key,
    user: "447700900123",
    phone_number_id: "1",
    variables: "name=Ana\n1x=2\nname=Bo\nnote=" + "x".repeat(600),
  });
  assert.equal(bad.success, false);
  const messages = bad.error!.issues.map((i) => i.message);
  assert.deepEqual(messages, [
    "line 2: write name=value",
    "line 3: name twice",
    "line 4: value over 512 characters",
  ]);
  const noPurpose = CallFormSchema.parse({ key, user: "447700900123", phone_number_id: "1" });
  assert.deepEqual(callRequestInput(noPurpose), { user: "447700900123", phone_number_id: "1" });
});

Deno.test("outbound form: the key must be the rendered form's", () => {
  for (const bad of ["", "x", "console-zz", crypto.randomUUID()]) {
    const r = CallFormSchema.safeParse({ key: bad, user: "447700900123", phone_number_id: "1" });
    assert.equal(r.success, false, bad);
  }
  assert.notEqual(newFormKey(), newFormKey());
});

Deno.test("outbound form: interactive or template permission requests", () => {
  const i = PermissionFormSchema.parse({
    kind: "interactive",
    key,
    user: "447700900123",
    phone_number_id: "1",
    body_text: "",
  });
  assert.deepEqual(permissionRequestInput(i).message, { type: "interactive" });
  const t = PermissionFormSchema.parse({
    kind: "template",
    key,
    user: "447700900123",
    phone_number_id: "1",
    template_name: "callback_request",
    template_language: "en_US",
    template_parameters: "Ana\n\norder #1522\n",
  });
  assert.deepEqual(permissionRequestInput(t).message, {
    type: "template",
    name: "callback_request",
    language: "en_US",
    body_parameters: ["Ana", "order #1522"],
  });
  const noName = PermissionFormSchema.safeParse({
    ...t,
    kind: "template",
    template_name: "Bad Name",
  });
  assert.equal(noName.success, false);
  const noKind = PermissionFormSchema.safeParse({
    key,
    user: "447700900123",
    phone_number_id: "1",
  });
  assert.equal(noKind.success, false);
});
