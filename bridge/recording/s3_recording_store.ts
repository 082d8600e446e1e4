/**
 * Recordings in S3-compatible object storage (Supabase Storage's S3
 * endpoint, AWS S3, Cloudflare R2) over the S3 protocol: PUT, GET (with a
 * byte range), DELETE and ListObjectsV2, each request signed with AWS
 * Signature V4 by `aws4fetch`. Presigned GET links let a webhook receiver
 * fetch a recording without credentials until the link expires.
 *
 * The secret key is held by the signer only: it never appears in an error,
 * a log line or a URL (a presigned URL carries the signature, not the key).
 *
 * @module
 */
import { AwsClient } from "aws4fetch";
import {
  rangeHeader,
  RangeNotSatisfiableError,
  type RangeRequest,
  type RecordingStore,
  resolveRange,
  type StoredKey,
  type StoredRecording,
} from "./recording_store.ts";

/** How to reach the bucket. */
export interface S3StoreConfig {
  /** e.g. `https://<ref>.supabase.co/storage/v1/s3`, `https://<account>.r2.cloudflarestorage.com`. */
  endpoint: string;
  bucket: string;
  /** Supabase: the project's region; R2: `auto`; AWS: the bucket's region. */
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** `endpoint/bucket/key` (true, the default) or `bucket.endpoint/key`. */
  pathStyle?: boolean | undefined;
  /** Prepended to every key, e.g. `recordings/`. */
  prefix?: string | undefined;
  /** Deadline of one request; default 30 s. */
  timeoutMs?: number | undefined;
}

/** An S3 request answered with an error status. */
export class S3RequestError extends Error {
  /** The HTTP status. */
  readonly status: number;
  constructor(operation: string, status: number, code: string | undefined) {
    super(`S3 ${operation} failed: ${status}${code === undefined ? "" : ` ${code}`}`);
    this.name = "S3RequestError";
    this.status = status;
  }
}

/** The longest validity S3 accepts for a presigned URL (SigV4): 7 days. */
export const MAX_PRESIGN_SECONDS = 604_800;

/** Pages of a listing read at most per call, so a sweep is bounded. */
const MAX_LIST_PAGES = 20;

/** Recordings in one bucket, under one prefix. */
export class S3RecordingStore implements RecordingStore {
  readonly kind = "s3" as const;
  readonly #client: AwsClient;
  readonly #config: S3StoreConfig;
  readonly #timeoutMs: number;

  /** Nothing is contacted until the first request. */
  constructor(config: S3StoreConfig) {
    this.#config = config;
    this.#timeoutMs = config.timeoutMs ?? 30_000;
    // retries 0: the upload queue retries with its own backoff, durably.
    this.#client = new AwsClient({
      accessKeyId: config.accessKeyId,
      secretAccessKey: config.secretAccessKey,
      service: "s3",
      region: config.region,
      retries: 0,
    });
  }

  /** The object key `key` is stored under (with the prefix). */
  objectKey(key: string): string {
    return `${this.#config.prefix ?? ""}${key}`;
  }

  /** See {@linkcode RecordingStore.put}. */
  async put(key: string, path: string): Promise<{ bytes: number }> {
    const body = await Deno.readFile(path);
    const res = await this.#fetch("PUT", this.#objectUrl(key), {
      body,
      headers: { "content-type": "audio/ogg" },
    });
    await expectOk("PUT", res);
    return { bytes: body.byteLength };
  }

  /** See {@linkcode RecordingStore.get}. */
  async get(key: string, request?: RangeRequest): Promise<StoredRecording | null> {
    const headers: Record<string, string> = {};
    if (request !== undefined && "suffix" in request) {
      // Some S3 servers (s3rver) read `bytes=-n` as `0-n`: ask for explicit bytes.
      const size = await this.#size(key);
      if (size === null) return null;
      request = resolveRange(request, size);
    }
    if (request !== undefined) headers.range = rangeHeader(request);
    const res = await this.#fetch("GET", this.#objectUrl(key), { headers });
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    const contentRange = /(\d+)-(\d+)\/(\d+)$|\*\/(\d+)$/.exec(
      res.headers.get("content-range") ?? "",
    );
    if (res.status === 416) {
      await res.body?.cancel();
      throw new RangeNotSatisfiableError(Number(contentRange?.[4] ?? 0));
    }
    await expectOk("GET", res);
    const body = res.body ?? new Blob([]).stream();
    if (res.status === 206 && contentRange?.[3] !== undefined) {
      const range = { start: Number(contentRange[1]), end: Number(contentRange[2]) };
      return { body, size: Number(contentRange[3]), range };
    }
    // A server that ignored the range sent the whole file: serve it whole.
    return { body, size: Number(res.headers.get("content-length") ?? 0) };
  }

  /** The object's size (HEAD), or `null` when there is none. */
  async #size(key: string): Promise<number | null> {
    const res = await this.#fetch("HEAD", this.#objectUrl(key), {});
    if (res.status === 404) return null;
    await expectOk("HEAD", res);
    return Number(res.headers.get("content-length") ?? 0);
  }

  /** See {@linkcode RecordingStore.delete}. */
  async delete(key: string): Promise<void> {
    const res = await this.#fetch("DELETE", this.#objectUrl(key), {});
    if (res.status === 404) {
      await res.body?.cancel();
      return;
    }
    await expectOk("DELETE", res);
  }

  /** See {@linkcode RecordingStore.listOlderThan}: ListObjectsV2 under the prefix. */
  async listOlderThan(before: Date, limit: number): Promise<StoredKey[]> {
    const prefix = this.#config.prefix ?? "";
    const out: StoredKey[] = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES && out.length < limit; page++) {
      const url = new URL(this.#bucketUrl());
      url.searchParams.set("list-type", "2");
      if (prefix !== "") url.searchParams.set("prefix", prefix);
      if (token !== undefined) url.searchParams.set("continuation-token", token);
      const res = await this.#fetch("GET", url.toString(), {});
      await expectOk("LIST", res);
      const listing = parseListing(await res.text());
      for (const item of listing.items) {
        if (out.length >= limit) break;
        if (item.lastModified < before && item.key.startsWith(prefix)) {
          out.push({ key: item.key.slice(prefix.length), lastModified: item.lastModified });
        }
      }
      token = listing.nextToken;
      if (token === undefined) break;
    }
    return out;
  }

  /**
   * A presigned GET URL for `key`, valid `ttlSeconds` (1 s to 7 days) from
   * `now`: anyone holding it may download that one object until then.
   */
  async presignGet(key: string, ttlSeconds: number, now: Date = new Date()): Promise<string> {
    const url = new URL(this.#objectUrl(key));
    const ttl = Math.min(MAX_PRESIGN_SECONDS, Math.max(1, Math.trunc(ttlSeconds)));
    url.searchParams.set("X-Amz-Expires", String(ttl));
    const signed = await this.#client.sign(url.toString(), {
      method: "GET",
      aws: { signQuery: true, datetime: amzDate(now) },
    });
    return signed.url;
  }

  #bucketUrl(): string {
    const base = new URL(this.#config.endpoint);
    const path = base.pathname.replace(/\/+$/, "");
    if (this.#config.pathStyle ?? true) {
      return `${base.origin}${path}/${encodeURIComponent(this.#config.bucket)}`;
    }
    return `${base.protocol}//${this.#config.bucket}.${base.host}${path}`;
  }

  #objectUrl(key: string): string {
    const encoded = this.objectKey(key).split("/").map(encodeURIComponent).join("/");
    return `${this.#bucketUrl()}/${encoded}`;
  }

  async #fetch(
    method: string,
    url: string,
    init: { body?: Uint8Array<ArrayBuffer>; headers?: Record<string, string> },
  ): Promise<Response> {
    return await this.#client.fetch(url, {
      method,
      ...init,
      signal: AbortSignal.timeout(this.#timeoutMs),
    });
  }
}

/** `YYYYMMDDTHHMMSSZ`, the SigV4 date. */
function amzDate(d: Date): string {
  return d.toISOString().replace(/[:-]|\.\d{3}/g, "");
}

/** Throws {@linkcode S3RequestError} (with S3's error code, never its body) unless 2xx. */
async function expectOk(operation: string, res: Response): Promise<void> {
  if (res.ok) return;
  const text = await res.text().catch(() => "");
  const code = /<Code>([^<]{1,64})<\/Code>/.exec(text)?.[1];
  throw new S3RequestError(operation, res.status, code);
}

/** One entry of a ListObjectsV2 answer. */
interface ListedObject {
  key: string;
  lastModified: Date;
}

/** The keys and continuation token of a ListObjectsV2 XML answer. */
export function parseListing(xml: string): { items: ListedObject[]; nextToken?: string } {
  const items: ListedObject[] = [];
  for (const [, body] of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
    const key = /<Key>([\s\S]*?)<\/Key>/.exec(body!)?.[1];
    const modified = /<LastModified>([^<]*)<\/LastModified>/.exec(body!)?.[1];
    if (key === undefined || modified === undefined) continue;
    const lastModified = new Date(modified);
    if (!Number.isNaN(lastModified.getTime())) items.push({ key: xmlText(key), lastModified });
  }
  const truncated = /<IsTruncated>true<\/IsTruncated>/.test(xml);
  const token = /<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(xml)?.[1];
  return truncated && token ? { items, nextToken: xmlText(token) } : { items };
}

function xmlText(s: string): string {
  return s.replace(
    /&(lt|gt|quot|apos|amp);/g,
    (_, e: string) => ({ lt: "<", gt: ">", quot: '"', apos: "'", amp: "&" })[e] ?? "",
  );
}
