/**
 * Where recording files are kept: a {@linkcode RecordingStore} puts, reads
 * (whole or one byte range), deletes and lists them by key. Two kinds: the
 * bridge's own disk ({@linkcode LocalRecordingStore}, `RECORDINGS_DIR`) and
 * S3-compatible object storage (`s3_recording_store.ts`).
 *
 * A key is a file name made by {@linkcode recordingFileName}: Meta's call ids
 * are base64 and may hold `/`, `+` and `=`, so the id is percent-encoded and
 * can never climb out of the directory or the bucket prefix.
 *
 * @module
 */
import { join } from "node:path";

/** The bytes `[start, end]` (both included) of a file. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * A range as HTTP asks for it (RFC 9110): from `start` to `end` (or the end
 * of the file), or the last `suffix` bytes.
 */
export type RangeRequest = { start: number; end?: number | undefined } | { suffix: number };

/** A range that lies wholly past the end of the file (HTTP 416). */
export class RangeNotSatisfiableError extends Error {
  /** The file's size, for `Content-Range: bytes * /size`. */
  readonly size: number;
  constructor(size: number) {
    super(`range not satisfiable for ${size} bytes`);
    this.name = "RangeNotSatisfiableError";
    this.size = size;
  }
}

/** The bytes `request` names in a file of `size` bytes; throws when there are none. */
export function resolveRange(request: RangeRequest, size: number): ByteRange {
  if ("suffix" in request) {
    if (request.suffix <= 0 || size === 0) throw new RangeNotSatisfiableError(size);
    return { start: Math.max(0, size - request.suffix), end: size - 1 };
  }
  if (request.start >= size) throw new RangeNotSatisfiableError(size);
  return { start: request.start, end: Math.min(request.end ?? size - 1, size - 1) };
}

/** The `Range` header value of `request`. */
export function rangeHeader(request: RangeRequest): string {
  return "suffix" in request
    ? `bytes=-${request.suffix}`
    : `bytes=${request.start}-${request.end ?? ""}`;
}

/** A recording read from a store. */
export interface StoredRecording {
  /** The bytes asked for: the whole file, or the range. */
  body: ReadableStream<Uint8Array>;
  /** The whole file's size. */
  size: number;
  /** The range served, when one was asked for. */
  range?: ByteRange | undefined;
}

/** A key and when its file was last written. */
export interface StoredKey {
  key: string;
  lastModified: Date;
}

/** A place recording files live, by key. */
export interface RecordingStore {
  /** `local` or `s3`: what the `voice_call_recordings.location` column says. */
  readonly kind: "local" | "s3";
  /** Stores the file at `path` under `key`, replacing any. */
  put(key: string, path: string): Promise<{ bytes: number }>;
  /**
   * The file, or one range of it; `null` when there is none. Throws
   * {@linkcode RangeNotSatisfiableError} for a range past its end.
   */
  get(key: string, range?: RangeRequest): Promise<StoredRecording | null>;
  /** Removes the file; removing a missing one is not an error. */
  delete(key: string): Promise<void>;
  /** Keys written before `before` (at most `limit`). */
  listOlderThan(before: Date, limit: number): Promise<StoredKey[]>;
}

/** The extension of every recording file: Ogg Opus, which Chromium plays. */
export const RECORDING_EXTENSION = ".ogg";

/** The file name (store key) of a call's recording. */
export function recordingFileName(callId: string): string {
  if (callId === "") throw new RangeError("empty call id");
  // encodeURIComponent leaves `.`: a leading one would hide the file or name `..`.
  return encodeURIComponent(callId).replace(/^\./, "%2E") + RECORDING_EXTENSION;
}

/** The call id a key names, or `undefined` for a file that is no recording. */
export function callIdOfFileName(key: string): string | undefined {
  if (!key.endsWith(RECORDING_EXTENSION)) return undefined;
  try {
    return decodeURIComponent(key.slice(0, -RECORDING_EXTENSION.length)) || undefined;
  } catch {
    return undefined;
  }
}

/** Rejects a key that is not one file name in the directory. */
function checkKey(key: string): string {
  if (key === "" || key.includes("/") || key.includes("\\") || key.startsWith(".")) {
    throw new RangeError(`not a recording key: ${JSON.stringify(key)}`);
  }
  return key;
}

/** Recordings as files in one directory (`RECORDINGS_DIR`). */
export class LocalRecordingStore implements RecordingStore {
  readonly kind = "local" as const;
  readonly #dir: string;

  /** Files live in `dir`, created on the first write. */
  constructor(dir: string) {
    this.#dir = dir;
  }

  /** The path of `key`'s file (rec-capture renders there; the uploader reads from there). */
  pathOf(key: string): string {
    return join(this.#dir, checkKey(key));
  }

  /** See {@linkcode RecordingStore.put}; a file already at its place is only measured. */
  async put(key: string, path: string): Promise<{ bytes: number }> {
    const target = this.pathOf(key);
    await Deno.mkdir(this.#dir, { recursive: true });
    if (await sameFile(path, target)) return { bytes: (await Deno.stat(target)).size };
    // Copy then rename: a reader never sees half a file.
    const partial = `${target}.partial`;
    await Deno.copyFile(path, partial);
    await Deno.rename(partial, target);
    return { bytes: (await Deno.stat(target)).size };
  }

  /** See {@linkcode RecordingStore.get}. */
  async get(key: string, request?: RangeRequest): Promise<StoredRecording | null> {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(this.pathOf(key), { read: true });
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return null;
      throw error;
    }
    try {
      const size = (await file.stat()).size;
      if (request === undefined) return { body: file.readable, size };
      const range = resolveRange(request, size);
      await file.seek(range.start, Deno.SeekMode.Start);
      return { body: limitStream(file.readable, range.end - range.start + 1), size, range };
    } catch (error) {
      file.close();
      throw error;
    }
  }

  /** See {@linkcode RecordingStore.delete}. */
  async delete(key: string): Promise<void> {
    try {
      await Deno.remove(this.pathOf(key));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }

  /** See {@linkcode RecordingStore.listOlderThan}: only `*.ogg` files (not capture files). */
  async listOlderThan(before: Date, limit: number): Promise<StoredKey[]> {
    const out: StoredKey[] = [];
    try {
      for await (const entry of Deno.readDir(this.#dir)) {
        if (out.length >= limit) break;
        if (!entry.isFile || callIdOfFileName(entry.name) === undefined) continue;
        const mtime = (await Deno.stat(join(this.#dir, entry.name))).mtime;
        if (mtime !== null && mtime < before) out.push({ key: entry.name, lastModified: mtime });
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    return out;
  }
}

async function sameFile(a: string, b: string): Promise<boolean> {
  try {
    const [x, y] = await Promise.all([Deno.stat(a), Deno.stat(b)]);
    return x.dev === y.dev && x.ino !== null && x.ino === y.ino;
  } catch {
    return false;
  }
}

/** The first `bytes` bytes of `source`, then closes it. */
export function limitStream(
  source: ReadableStream<Uint8Array>,
  bytes: number,
): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  let left = bytes;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (left <= 0) {
        await reader.cancel();
        controller.close();
        return;
      }
      const { done, value } = await reader.read();
      if (done) {
        controller.close();
        return;
      }
      const chunk = value.byteLength > left ? value.subarray(0, left) : value;
      left -= chunk.byteLength;
      controller.enqueue(chunk);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}
