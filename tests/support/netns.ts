/**
 * A network lab for tests: Linux network namespaces joined by veth links,
 * with nftables rulesets and per-namespace sysctls, and processes spawned
 * inside them. Every name carries the test process's pid, so parallel test
 * files never collide, and `close()` removes all of it again. Nothing here
 * touches the root namespace's interfaces, routes or rules.
 *
 * @module
 */
import { type CommandResult, mustRun, run, type Spawned, spawnProcess } from "./command.ts";
import { BRIDGE_ADDR, ONE_TO_ONE, routerRuleset } from "./nat_rules.ts";

export { type CommandResult, mustRun, run } from "./command.ts";
export { holdInboundRtp, type RouterCounter, routerCounter, routerRuleset } from "./nat_rules.ts";

/**
 * A name part unique among parallel test files: `deno test --parallel` runs
 * files as workers of one process, so the pid alone is shared.
 */
function uniqueTag(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(3));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function commandWorks(cmd: string, args: string[]): boolean {
  try {
    return new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
}

/**
 * Why namespace tests cannot run here, or undefined when they can: needs
 * root, `ip`, `nft`, and a kernel that lets us add (and delete) a namespace.
 */
export function netnsUnavailable(): string | undefined {
  if (Deno.build.os !== "linux") return "not Linux";
  if (Deno.uid?.() !== 0) return "not root";
  if (!commandWorks("ip", ["-V"])) return "no `ip` (iproute2)";
  if (!commandWorks("nft", ["--version"])) return "no `nft` (nftables)";
  const probe = `wa${Deno.pid}x${uniqueTag()}-probe`;
  if (!commandWorks("ip", ["netns", "add", probe])) return "`ip netns add` failed";
  const nftOk = commandWorks("ip", ["netns", "exec", probe, "nft", "list", "ruleset"]);
  commandWorks("ip", ["netns", "del", probe]);
  return nftOk ? undefined : "nftables does not work inside a namespace";
}

/** One end of a veth link. */
export interface LinkEnd {
  /** Namespace name (from {@linkcode NetLab.addNs}). */
  ns: string;
  /** Interface name inside `ns` (at most 15 characters). */
  dev: string;
  /** Addresses in CIDR form, e.g. `10.77.0.2/24`. */
  addrs?: string[];
}

/** A process running inside a namespace. */
export type NsProcess = Spawned;

/** A set of namespaces and the processes in them, removed together by `close()`. */
export class NetLab {
  /** Prefix of every namespace name: `wa<pid>x<random>`. */
  readonly prefix: string;
  readonly #namespaces: string[] = [];
  readonly #processes: NsProcess[] = [];

  /** A lab; nothing exists until `addNs`. */
  constructor() {
    this.prefix = `wa${Deno.pid}x${uniqueTag()}`;
  }

  /** Creates namespace `<prefix>-<role>` with loopback up; returns its name. */
  async addNs(role: string): Promise<string> {
    const name = `${this.prefix}-${role}`;
    await mustRun("ip", ["netns", "add", name]);
    this.#namespaces.push(name);
    await mustRun("ip", ["-n", name, "link", "set", "lo", "up"]);
    // `ip netns exec` mounts /etc/netns/<name>/* over /etc: no DNS server in the lab,
    // so a lookup (werift's default STUN server is a hostname) fails at once, on loopback.
    await Deno.mkdir(`/etc/netns/${name}`, { recursive: true });
    await Deno.writeTextFile(`/etc/netns/${name}/resolv.conf`, "nameserver 127.0.0.1\n");
    return name;
  }

  /** A veth pair from `a` to `b`, both up, with their addresses. */
  async link(a: LinkEnd, b: LinkEnd): Promise<void> {
    await mustRun("ip", [
      "-n",
      a.ns,
      "link",
      "add",
      a.dev,
      "type",
      "veth",
      "peer",
      "name",
      b.dev,
      "netns",
      b.ns,
    ]);
    for (const end of [a, b]) {
      for (const addr of end.addrs ?? []) await this.addAddr(end.ns, end.dev, addr);
      await mustRun("ip", ["-n", end.ns, "link", "set", end.dev, "up"]);
    }
  }

  /** Adds `cidr` to `dev` in `ns`. */
  async addAddr(ns: string, dev: string, cidr: string): Promise<void> {
    await mustRun("ip", ["-n", ns, "addr", "add", cidr, "dev", dev]);
  }

  /**
   * A route in `ns`: to `dest` (`default` or a CIDR) via gateway `via`, or
   * straight out of `dev` when `via` is absent (an on-link route); `src` is
   * the source address for sockets bound to 0.0.0.0.
   */
  async route(
    ns: string,
    dest: string,
    opts: { via?: string; dev?: string; src?: string },
  ): Promise<void> {
    const args = ["-n", ns, "route", "add", dest];
    if (opts.via) args.push("via", opts.via);
    if (opts.dev) args.push("dev", opts.dev);
    if (opts.src) args.push("src", opts.src);
    await mustRun("ip", args);
  }

  /** Sets a sysctl inside `ns` (net.* sysctls are per namespace); no procps needed. */
  async sysctl(ns: string, key: string, value: string | number): Promise<void> {
    await mustRun("ip", ["netns", "exec", ns, "sh", "-c", `echo ${value} > ${sysctlPath(key)}`]);
  }

  /** Reads a sysctl inside `ns`. */
  async readSysctl(ns: string, key: string): Promise<string> {
    return (await mustRun("ip", ["netns", "exec", ns, "cat", sysctlPath(key)])).trim();
  }

  /** Loads an nftables ruleset (nft -f syntax) into `ns`. */
  async nft(ns: string, ruleset: string): Promise<void> {
    await mustRun("ip", ["netns", "exec", ns, "nft", "-f", "-"], ruleset);
  }

  /** Runs a command to completion inside `ns`. */
  exec(ns: string, cmd: string, args: string[], stdin?: string): Promise<CommandResult> {
    return run("ip", ["netns", "exec", ns, cmd, ...args], stdin);
  }

  /**
   * Starts a long-running process inside `ns` with piped stdio; `close()`
   * stops it. `env` adds to a minimal environment (PATH, HOME, DENO_DIR, no
   * Deno update check).
   */
  spawn(ns: string, cmd: string, args: string[], env: Record<string, string> = {}): NsProcess {
    // No update check: `deno run` would look up dl.deno.land from inside the lab.
    const base: Record<string, string> = { DENO_NO_UPDATE_CHECK: "1" };
    for (const k of ["PATH", "HOME", "DENO_DIR", "OPUS_FORCE_WASM", "NO_COLOR"]) {
      const v = Deno.env.get(k);
      if (v !== undefined) base[k] = v;
    }
    const proc = spawnProcess("ip", ["netns", "exec", ns, cmd, ...args], {
      env: { ...base, ...env },
      clearEnv: true,
    });
    this.#processes.push(proc);
    return proc;
  }

  /** Stops every process, then deletes every namespace; errors are collected, not thrown early. */
  async close(): Promise<void> {
    await Promise.all(this.#processes.map((p) => p.stop()));
    const errors: string[] = [];
    for (const ns of this.#namespaces.splice(0).reverse()) {
      // Anything left inside (e.g. a grandchild) dies with the namespace's pids.
      await run("ip", ["netns", "pids", ns]).then((r) => {
        for (const pid of r.stdout.split(/\s+/).filter(Boolean)) {
          try {
            Deno.kill(Number(pid), "SIGKILL");
          } catch {
            // Gone already.
          }
        }
      });
      const r = await run("ip", ["netns", "del", ns]);
      if (r.code !== 0) errors.push(`${ns}: ${r.stderr.trim()}`);
      await Deno.remove(`/etc/netns/${ns}`, { recursive: true }).catch(() => {});
    }
    if (errors.length > 0) throw new Error(`could not delete namespaces: ${errors.join("; ")}`);
  }
}

/** `/proc/sys/...` for a dotted sysctl key (checked: keys come from tests, not input). */
export function sysctlPath(key: string): string {
  if (!/^[a-z0-9_.]+$/.test(key)) throw new Error(`bad sysctl key ${key}`);
  return `/proc/sys/${key.replaceAll(".", "/")}`;
}

/** Deletes the namespaces {@linkcode staleNamespaces} finds (a killed run's leftovers). */
export async function removeStaleNamespaces(): Promise<void> {
  for (const ns of await staleNamespaces()) {
    await run("ip", ["netns", "del", ns]);
    await Deno.remove(`/etc/netns/${ns}`, { recursive: true }).catch(() => {});
  }
}

/** Namespace names with pid prefixes of processes that no longer run (left by a killed test). */
export async function staleNamespaces(): Promise<string[]> {
  const r = await run("ip", ["netns", "list"]);
  return r.stdout.split("\n").map((l) => l.split(" ")[0] ?? "").filter((name) => {
    const pid = name.match(/^wa(\d+)x[0-9a-f]+-/)?.[1];
    if (!pid) return false;
    try {
      Deno.statSync(`/proc/${pid}`);
      return false;
    } catch {
      return true;
    }
  });
}

/** How the lab's router translates the bridge's traffic. */
export type NatKind = "masquerade" | "symmetric" | "one_to_one";

/** Options of {@linkcode natLab}. */
export interface NatLabOptions {
  nat: NatKind;
  /** Conntrack UDP timeout (both `udp_timeout` and `udp_timeout_stream`) in the router. */
  udpTimeoutS?: number;
  /** The router drops every forwarded UDP datagram (TCP passes). */
  blockUdp?: boolean;
  /** How many addresses the public namespace holds (203.0.113.10 upwards). @default 2 */
  publicAddrs?: number;
}

/** The three namespaces of a NAT lab and their addresses. */
export interface NatLab {
  lab: NetLab;
  ns: { bridge: string; router: string; public: string };
  /** The bridge's only (private) address. */
  bridgeAddr: string;
  /** The router's address on the public side: masquerade's source address. */
  routerPublicAddr: string;
  /** With `one_to_one`: the public address mapped to the bridge. */
  oneToOneAddr: string | undefined;
  /**
   * Hosts on the "internet", 203.0.113.0/24: the first is the Meta relay's
   * (and the source of anything the public namespace sends from 0.0.0.0),
   * the others for coturn, STUN servers and so on.
   */
  publicAddrs: string[];
  /** Stops processes and deletes the namespaces. */
  close(): Promise<void>;
}

/** Subnets: private 10.77.0.0/24, router's public side 198.51.100.0/24, hosts 203.0.113.0/24. */
const ROUTER_INSIDE = "10.77.0.1";
const ROUTER_PUBLIC = "198.51.100.1";

/**
 * bridge ns (10.77.0.2) — router ns (NAT, forwarding) — public ns (203.0.113.x).
 * The public side has no route to 10.77.0.0/24, as on the internet: the
 * bridge reaches it only through the router's translation.
 */
export async function natLab(opts: NatLabOptions): Promise<NatLab> {
  await removeStaleNamespaces();
  const lab = new NetLab();
  try {
    const bridge = await lab.addNs("bridge");
    const router = await lab.addNs("router");
    const pub = await lab.addNs("public");
    const publicAddrs = Array.from(
      { length: opts.publicAddrs ?? 2 },
      (_, i) => `203.0.113.${10 + i}`,
    );
    await lab.link(
      { ns: bridge, dev: "lan0", addrs: [`${BRIDGE_ADDR}/24`] },
      { ns: router, dev: "lan1", addrs: [`${ROUTER_INSIDE}/24`] },
    );
    const wan = [`${ROUTER_PUBLIC}/24`, ...(opts.nat === "one_to_one" ? [`${ONE_TO_ONE}/24`] : [])];
    await lab.link(
      { ns: router, dev: "wan0", addrs: wan },
      {
        ns: pub,
        dev: "pub0",
        addrs: publicAddrs.map((a) => `${a}/24`),
      },
    );
    await lab.route(bridge, "default", { via: ROUTER_INSIDE });
    // Two documentation subnets on one wire: each side reaches the other on-link.
    await lab.route(router, "203.0.113.0/24", { dev: "wan0" });
    // werift binds 0.0.0.0: the relay's replies must leave from the address it offered.
    await lab.route(pub, "198.51.100.0/24", { dev: "pub0", src: publicAddrs[0]! });
    await lab.sysctl(router, "net.ipv4.ip_forward", 1);
    await lab.nft(router, routerRuleset(opts));
    if (opts.udpTimeoutS !== undefined) {
      // Per namespace since Linux 4.x; the nat table above loaded conntrack here.
      await lab.sysctl(router, "net.netfilter.nf_conntrack_udp_timeout", opts.udpTimeoutS);
      await lab.sysctl(router, "net.netfilter.nf_conntrack_udp_timeout_stream", opts.udpTimeoutS);
    }
    return {
      lab,
      ns: { bridge, router, public: pub },
      bridgeAddr: BRIDGE_ADDR,
      routerPublicAddr: ROUTER_PUBLIC,
      oneToOneAddr: opts.nat === "one_to_one" ? ONE_TO_ONE : undefined,
      publicAddrs,
      close: () => lab.close(),
    };
  } catch (error) {
    await lab.close().catch(() => {});
    throw error;
  }
}

/**
 * Registers a namespace test, skipped visibly (`[skipped: <why>]` in its name)
 * when `unavailable` gives a reason (from {@linkcode netnsUnavailable}, or a
 * missing tool).
 */
export function netnsTest(
  name: string,
  unavailable: string | undefined,
  fn: () => Promise<void>,
): void {
  Deno.test({
    name: unavailable ? `${name} [skipped: ${unavailable}]` : name,
    ignore: unavailable !== undefined,
    fn,
  });
}

/** Runs `fn` in a fresh {@linkcode natLab}, closed afterwards whatever happens. */
export async function withNatLab<T>(
  opts: NatLabOptions,
  fn: (lab: NatLab) => Promise<T>,
): Promise<T> {
  const lab = await natLab(opts);
  try {
    return await fn(lab);
  } finally {
    await lab.close();
  }
}

/** Starts processes inside `ns`: the spawner tests/support/coturn.ts takes. */
export function spawnIn(lab: NetLab, ns: string): (cmd: string, args: string[]) => NsProcess {
  return (cmd, args) => lab.spawn(ns, cmd, args);
}
