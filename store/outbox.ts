/**
 * A durable, append-only outbox on local disk: one JSON line per item, each
 * append fsynced before it returns, so an item acknowledged survives the
 * process. Used by whatever process has a disk (the bridge, the local
 * functions server) for writes the database could not take.
 *
 * Every append starts with a newline, so a line torn by a crash stays a line
 * of its own: it fails to parse and is skipped, and the items around it keep
 * their order. Draining applies items in order and removes only those
 * applied, so a failure half way leaves the rest for the next try.
 *
 * @module
 */
import type { z } from "zod";

/** Default bound on the file: beyond it appends are refused rather than fill the disk. */
export const DEFAULT_OUTBOX_MAX_BYTES = 64 * 1024 * 1024;

/** An append refused because the outbox is at its size bound. */
export class OutboxFullError extends Error {
  constructor(path: string, maxBytes: number) {
    super(`outbox ${path} is full (${maxBytes} bytes)`);
    this.name = "OutboxFullError";
  }
}

/** Items appended to a file, replayed in order. */
export class FileOutbox<T> {
  readonly #path: string;
  readonly #schema: z.ZodType<T>;
  readonly #maxBytes: number;
  /** Serializes file changes; appends never wait on a drain's `apply`. */
  #lock: Promise<unknown> = Promise.resolve();

  /** An outbox at `path` (created on first append) whose items `schema` checks. */
  constructor(path: string, schema: z.ZodType<T>, maxBytes = DEFAULT_OUTBOX_MAX_BYTES) {
    this.#path = path;
    this.#schema = schema;
    this.#maxBytes = maxBytes;
  }

  /** Appends `items` durably (fsync); throws {@link OutboxFullError} past the bound. */
  append(items: readonly T[]): Promise<void> {
    if (items.length === 0) return Promise.resolve();
    const text = `\n${items.map((i) => JSON.stringify(i)).join("\n")}\n`;
    return this.#locked(async () => {
      const bytes = new TextEncoder().encode(text);
      if ((await this.#size()) + bytes.length > this.#maxBytes) {
        throw new OutboxFullError(this.#path, this.#maxBytes);
      }
      const file = await Deno.open(this.#path, { append: true, create: true });
      try {
        let written = 0;
        while (written < bytes.length) written += await file.write(bytes.subarray(written));
        await file.sync();
      } finally {
        file.close();
      }
    });
  }

  /** The items in order; torn or invalid lines are skipped. */
  async read(): Promise<T[]> {
    let text: string;
    try {
      text = await Deno.readTextFile(this.#path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return [];
      throw error;
    }
    return text.split("\n").flatMap((line) => {
      if (line === "") return [];
      try {
        const parsed = this.#schema.safeParse(JSON.parse(line));
        return parsed.success ? [parsed.data] : [];
      } catch {
        return [];
      }
    });
  }

  /**
   * Applies the items in order and removes each applied one; stops at the
   * first `apply` that throws and rethrows it. Resolves with how many applied.
   */
  async drain(apply: (item: T) => Promise<void>): Promise<number> {
    const items = await this.read();
    let applied = 0;
    try {
      for (const item of items) {
        await apply(item);
        applied++;
      }
    } finally {
      if (applied > 0) await this.#removeFirst(applied);
    }
    return applied;
  }

  /** Rewrites the file without its first `n` items, keeping anything appended meanwhile. */
  #removeFirst(n: number): Promise<void> {
    return this.#locked(async () => {
      const rest = (await this.read()).slice(n);
      const tmp = `${this.#path}.tmp`;
      const text = rest.map((i) => `${JSON.stringify(i)}\n`).join("");
      await Deno.writeTextFile(tmp, text);
      const file = await Deno.open(tmp, { write: true });
      try {
        await file.sync();
      } finally {
        file.close();
      }
      await Deno.rename(tmp, this.#path);
    });
  }

  async #size(): Promise<number> {
    try {
      return (await Deno.stat(this.#path)).size;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return 0;
      throw error;
    }
  }

  #locked<R>(fn: () => Promise<R>): Promise<R> {
    const run = this.#lock.then(fn, fn);
    this.#lock = run.catch(() => {});
    return run;
  }
}
