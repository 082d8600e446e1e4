/**
 * `GET /calls/:callId/recording`: the call's stereo recording as
 * `audio/ogg`, whole or one byte range (Chromium's player seeks with
 * ranges). Either the bridge's bearer secret or a signed link
 * (`?expires=…&sig=…`, see `recording_link.ts`) opens it; a link is refused
 * once it has expired. When the call has ended but its file was never
 * rendered, the first request renders it and later ones are served the
 * file made then.
 *
 * Mounted by `bridge/http/app.ts` ahead of its bearer check, which this
 * route does itself so that a signed link needs no secret.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { bearerMatches } from "../../lib/auth/secret.ts";
import { CallIdSchema, type ErrorBody } from "../../lib/bridge_api/schema.ts";
import { type LinkKey, verifyRecordingLink } from "./recording_link.ts";
import {
  RangeNotSatisfiableError,
  type RangeRequest,
  type StoredRecording,
} from "./recording_store.ts";

/** Dependencies of {@linkcode recordingRoutes}. */
export interface RecordingRouteOptions {
  /** Opens a call's recording (a `RecordingArchive`). */
  archive: { open(callId: string, range?: RangeRequest): Promise<StoredRecording | null> };
  /** `VOICE_BRIDGE_SECRET`. */
  secret: string;
  linkKey: LinkKey;
  now?: () => Date;
}

/**
 * The one range of a `Range` header (RFC 9110), or `undefined` to serve the
 * whole file: absent, not bytes, malformed or several ranges.
 */
export function parseRangeHeader(header: string | undefined): RangeRequest | undefined {
  const m = /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header?.trim() ?? "");
  if (m === null) return undefined;
  const [, first, last] = m;
  if (first === "" && last === "") return undefined;
  if (first === "") return { suffix: Number(last) };
  if (last !== "" && Number(last) < Number(first)) return undefined;
  return { start: Number(first), end: last === "" ? undefined : Number(last) };
}

/** The recording route as a Hono app to mount at `/`. */
export function recordingRoutes(o: RecordingRouteOptions): Hono {
  const app = new Hono();
  const now = o.now ?? (() => new Date());
  app.get("/calls/:callId/recording", async (c) => {
    const parsed = CallIdSchema.safeParse(c.req.param("callId"));
    if (!parsed.success) return c.json({ error: "bad call id" } satisfies ErrorBody, 400);
    const callId = parsed.data;
    const sig = c.req.query("sig");
    if (sig !== undefined) {
      const check = await verifyRecordingLink(
        o.linkKey,
        callId,
        c.req.query("expires"),
        sig,
        now(),
      );
      if (check !== "ok") return c.json({ error: `link ${check.replace("_", " ")}` }, 403);
    } else if (!await bearerMatches(c.req.header("authorization") ?? null, o.secret)) {
      return c.json({ error: "unauthorized" } satisfies ErrorBody, 401);
    }
    const range = parseRangeHeader(c.req.header("range"));
    let found: StoredRecording | null;
    try {
      found = await o.archive.open(callId, range);
    } catch (error) {
      if (!(error instanceof RangeNotSatisfiableError)) throw error;
      c.header("content-range", `bytes */${error.size}`);
      return c.json({ error: "range not satisfiable" } satisfies ErrorBody, 416);
    }
    if (found === null) return c.json({ error: "no recording" } satisfies ErrorBody, 404);
    return await recordingReply(c, found, "private, max-age=3600");
  });
  return app;
}

/**
 * Answers an opened recording as `audio/ogg`: 200 whole, or 206 with its
 * `content-range`. Shared with the console's Call page so both serve ranges
 * the same way.
 */
export async function recordingReply(
  c: Context,
  found: StoredRecording,
  cacheControl: string,
): Promise<Response> {
  const headers: Record<string, string> = {
    "content-type": "audio/ogg",
    "accept-ranges": "bytes",
    "cache-control": cacheControl,
    "content-length": String(found.size),
  };
  if (found.range !== undefined) {
    const { start, end } = found.range;
    headers["content-length"] = String(end - start + 1);
    headers["content-range"] = `bytes ${start}-${end}/${found.size}`;
  }
  const status = found.range === undefined ? 200 : 206;
  // Hono answers HEAD through a GET route without a body: close the file now.
  if (c.req.method !== "HEAD") return c.body(found.body, status, headers);
  await found.body.cancel();
  return c.body(null, status, headers);
}
