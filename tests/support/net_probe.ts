/**
 * A tiny UDP/TCP probe run inside a test's network namespace, driven by JSON
 * lines on stdin and reporting on stdout (see `json_lines.ts`):
 *
 * - `udp <addr> <port>`: prints `{ready}`; each stdin `{to: "ip:port", data}`
 *   (or `hex` instead of `data`) sends a datagram; each datagram received
 *   prints `{from, data, hex, at}` (`at`: Date.now()).
 * - `tcp-listen <addr> <port>`: prints `{ready}`, then `{from, data}` per connection.
 * - `tcp-send <addr> <port> <data>`: prints `{sent}` or `{error}` and exits.
 *
 * Lives only as long as its stdin is open (and at most ten minutes).
 *
 * @module
 */
import { emit, stdinLines } from "./json_lines.ts";

const [mode, addr = "0.0.0.0", port = "0", data = ""] = Deno.args;
setTimeout(() => Deno.exit(0), 600_000);

if (mode === "udp") {
  const sock = Deno.listenDatagram({ transport: "udp", hostname: addr, port: Number(port) });
  emit({ ready: (sock.addr as Deno.NetAddr).port });
  (async () => {
    for await (const [bytes, from] of sock) {
      const f = from as Deno.NetAddr;
      const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
      emit({
        from: `${f.hostname}:${f.port}`,
        data: new TextDecoder().decode(bytes),
        hex,
        at: Date.now(),
      });
    }
  })();
  for await (const cmd of stdinLines()) {
    const [host, p] = String(cmd.to).split(":");
    const bytes = typeof cmd.hex === "string"
      ? Uint8Array.from(cmd.hex.match(/../g) ?? [], (h) => parseInt(h, 16))
      : new TextEncoder().encode(String(cmd.data));
    await sock.send(bytes, {
      transport: "udp",
      hostname: host!,
      port: Number(p),
    });
  }
  Deno.exit(0);
} else if (mode === "tcp-listen") {
  const listener = Deno.listen({ hostname: addr, port: Number(port) });
  emit({ ready: (listener.addr as Deno.NetAddr).port });
  (async () => {
    for await (const conn of listener) {
      const buf = new Uint8Array(1024);
      const n = await conn.read(buf).catch(() => null);
      const f = conn.remoteAddr as Deno.NetAddr;
      emit({
        from: `${f.hostname}:${f.port}`,
        data: new TextDecoder().decode(buf.subarray(0, n ?? 0)),
      });
      conn.close();
    }
  })();
  for await (const _ of stdinLines()) { /* runs until stdin closes */ }
  Deno.exit(0);
} else if (mode === "tcp-send") {
  try {
    const conn = await Deno.connect({ hostname: addr, port: Number(port) });
    await conn.write(new TextEncoder().encode(data));
    conn.close();
    emit({ sent: true });
  } catch (e) {
    emit({ error: String(e) });
  }
  Deno.exit(0);
} else {
  console.error(`unknown mode ${mode}`);
  Deno.exit(2);
}
