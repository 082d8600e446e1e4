/**
 * JSON lines over a child process's pipes: how the test talks to processes
 * it runs inside network namespaces (never over the network, which would
 * leave the namespaces).
 *
 * @module
 */

/** Reads `{...}` lines from a stream and keeps them; lets a test wait for one. */
export class JsonLines<T = Record<string, unknown>> {
  /** Every parsed line, in arrival order. */
  readonly lines: T[] = [];
  /** Lines that were not JSON (e.g. a crash trace), kept for error messages. */
  readonly other: string[] = [];
  /** Resolves when the stream ends. */
  readonly done: Promise<void>;
  #waiters = new Set<() => void>();

  /** Starts reading `stream` at once. */
  constructor(stream: ReadableStream<Uint8Array>) {
    this.done = this.#pump(stream);
  }

  /** The first line (at or after `from`) for which `pred` holds, waiting up to `timeoutMs`. */
  async next(pred: (line: T) => boolean, timeoutMs: number, what: string, from = 0): Promise<T> {
    const end = performance.now() + timeoutMs;
    let ended = false;
    void this.done.then(() => ended = true);
    while (true) {
      const hit = this.lines.slice(from).find(pred);
      if (hit !== undefined) return hit;
      const left = end - performance.now();
      if (left <= 0 || ended) {
        const tail = this.other.slice(-5).join(" | ");
        throw new Error(`timed out waiting for ${what}${tail ? `; stderr/other: ${tail}` : ""}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(wake, Math.min(left, 250));
        const self = this.#waiters;
        function wake() {
          clearTimeout(timer);
          self.delete(wake);
          resolve();
        }
        self.add(wake);
      });
    }
  }

  async #pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    let buf = "";
    const dec = new TextDecoder();
    try {
      for await (const chunk of stream) {
        buf += dec.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          this.#take(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
        }
      }
    } catch {
      // The process was killed: what we have is what there is.
    }
    if (buf) this.#take(buf);
    for (const w of [...this.#waiters]) w();
  }

  #take(line: string): void {
    if (line.startsWith("{")) {
      try {
        this.lines.push(JSON.parse(line) as T);
        for (const w of [...this.#waiters]) w();
        return;
      } catch {
        // Not JSON after all.
      }
    }
    if (line.trim()) this.other.push(line.slice(0, 500));
  }
}

/** Writes JSON lines to a child's stdin. */
export class JsonWriter {
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #enc = new TextEncoder();

  /** Takes `stream`'s writer. */
  constructor(stream: WritableStream<Uint8Array>) {
    this.#writer = stream.getWriter();
  }

  /** Sends one line; a closed pipe is ignored (the child is gone, its output says why). */
  async send(value: unknown): Promise<void> {
    await this.#writer.write(this.#enc.encode(JSON.stringify(value) + "\n")).catch(() => {});
  }
}

/** Prints one JSON line on stdout (the child's side). */
export function emit(value: Record<string, unknown>): void {
  Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(value) + "\n"));
}

/** Yields each JSON line arriving on stdin (the child's side). */
export async function* stdinLines(): AsyncGenerator<Record<string, unknown>> {
  const reader = new JsonLines(Deno.stdin.readable);
  let i = 0;
  while (true) {
    try {
      yield await reader.next(() => true, 3_600_000, "stdin", i++);
    } catch {
      return;
    }
  }
}
