/**
 * A store write that could not be made while the database was down, as data:
 * what an outbox keeps and a flusher replays, in order, once it is back.
 * Replaying is idempotent: events carry a `dedupeKey`, transcript lines a
 * `lineId` and usage reports a `reportId`; upserts set the same values again,
 * transitions keep their `from` guard.
 *
 * @module
 */
import { z } from "zod";
import { USAGE_COUNTERS, type UsageCounter } from "../lib/realtime/usage.ts";
import { CALL_STATUSES, type CallFields, callRecordSchema, type Store } from "./store.ts";

const fields = callRecordSchema.omit({
  callId: true,
  status: true,
  createdAt: true,
  updatedAt: true,
}).partial();
const status = z.enum(CALL_STATUSES);
const upsert = fields.extend({ callId: z.string(), status: status.optional() });
const counters = Object.fromEntries(USAGE_COUNTERS.map((k) => [k, z.number().nonnegative()])) as {
  [K in UsageCounter]: z.ZodNumber;
};

/** One deferred write; dates travel as ISO text and are coerced back. */
export const DeferredWriteSchema = z.discriminatedUnion("op", [
  z.object({
    op: z.literal("recordEvent"),
    event: z.object({
      callId: z.string(),
      name: z.string(),
      data: z.unknown().optional(),
      dedupeKey: z.string(),
      occurredAt: z.coerce.date().optional(),
    }),
  }),
  z.object({ op: z.literal("upsertCall"), call: upsert }),
  /** Inserts the call only where there is none (a terminate before its connect). */
  z.object({ op: z.literal("insertCallIfAbsent"), call: upsert }),
  z.object({
    op: z.literal("transitionCall"),
    callId: z.string(),
    to: status,
    fields,
    from: z.array(status).optional(),
    keep: z.array(fields.keyof()).optional(),
  }),
  z.object({
    op: z.literal("addTranscript"),
    line: z.object({
      callId: z.string(),
      speaker: z.enum(["caller", "agent"]),
      text: z.string(),
      startedAt: z.coerce.date(),
      endedAt: z.coerce.date(),
      interrupted: z.boolean().optional(),
      lineId: z.string(),
    }),
  }),
  z.object({
    op: z.literal("addUsage"),
    usage: z.object({ callId: z.string(), model: z.string(), reportId: z.string(), ...counters }),
  }),
]);

/** A deferred write. */
export type DeferredWrite = z.infer<typeof DeferredWriteSchema>;

/** Body of the bridge's `POST /records`: writes the functions could not make. */
export const DeferredWritesSchema = z.object({ records: z.array(DeferredWriteSchema).min(1) });

/** The call a write concerns. */
export function writeCallId(write: DeferredWrite): string {
  switch (write.op) {
    case "recordEvent":
      return write.event.callId;
    case "transitionCall":
      return write.callId;
    case "addTranscript":
      return write.line.callId;
    case "addUsage":
      return write.usage.callId;
    default:
      return write.call.callId;
  }
}

/** Makes one deferred write against `store`; throws while the database is still down. */
export async function applyDeferredWrite(store: Store, write: DeferredWrite): Promise<void> {
  switch (write.op) {
    case "recordEvent":
      await store.recordEvent(write.event);
      return;
    case "upsertCall":
      await store.upsertCall(write.call);
      return;
    case "insertCallIfAbsent":
      // Replays run one at a time, so nothing races between the read and the insert.
      if (await store.getCall(write.call.callId) === null) await store.upsertCall(write.call);
      return;
    case "transitionCall":
      await store.transitionCall(write.callId, write.to, write.fields as CallFields, {
        from: write.from,
        keep: write.keep,
      });
      return;
    case "addTranscript":
      await store.addTranscript(write.line);
      return;
    case "addUsage":
      await store.addUsage(write.usage);
  }
}
