/**
 * The layout's promises, checked on the real module graph (`deno info --json`):
 * product code never reaches into tests, the bridge and CLI never into the
 * Edge Functions' private `_shared/`, `lib/` stays self-contained, and what
 * the Dockerfile copies and `supabase functions deploy` bundles holds every
 * module the entrypoints load.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

interface InfoModule {
  specifier: string;
  dependencies?: { specifier: string; code?: { specifier: string } }[];
}

/** Local modules reachable from `entry`, each with its direct local imports (repo-relative). */
async function graph(entry: string): Promise<Map<string, string[]>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.ok(out.success, `deno info ${entry}`);
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: InfoModule[] };
  const rel = (s: string) => s.startsWith(ROOT.href) ? s.slice(ROOT.href.length) : undefined;
  const modules = new Map<string, string[]>();
  for (const m of info.modules) {
    const path = rel(m.specifier);
    if (path === undefined) continue;
    const deps = (m.dependencies ?? []).flatMap((d) => {
      const p = d.code === undefined ? undefined : rel(d.code.specifier);
      return p === undefined ? [] : [p];
    });
    modules.set(path, deps);
  }
  return modules;
}

function sources(dir: string): string[] {
  const found: string[] = [];
  for (const e of Deno.readDirSync(new URL(dir, ROOT))) {
    const path = `${dir}${e.name}`;
    if (e.isDirectory) found.push(...sources(`${path}/`));
    else if (e.name.endsWith(".ts") && !/(^_test_utils|_test|_test_utils)\.ts$/.test(e.name)) {
      found.push(path); // test files and test-only helpers may reach into tests/
    }
  }
  return found;
}

function violations(
  modules: Map<string, string[]>,
  from: (path: string) => boolean,
  forbidden: (dep: string) => boolean,
): string[] {
  return [...modules].filter(([path]) => from(path))
    .flatMap(([path, deps]) => deps.filter(forbidden).map((d) => `${path} → ${d}`));
}

const PRODUCT_ENTRIES = ["bridge/main.ts", "cli/dev.ts", "cli/call.ts", "cli/functions.ts"];
const isProduct = (p: string) => /^(bridge|cli|simulator|store|lib)\//.test(p);

Deno.test("boundaries: product code imports nothing from tests/ or bench/", async () => {
  for (const entry of [...PRODUCT_ENTRIES, ...sources("simulator/")]) {
    const bad = violations(await graph(entry), isProduct, (d) => /^(tests|bench)\//.test(d));
    assert.deepEqual(bad, [], entry);
  }
});

Deno.test("boundaries: the bridge and the CLI import nothing from the functions' _shared/", async () => {
  for (const entry of PRODUCT_ENTRIES) {
    const bad = violations(
      await graph(entry),
      (p) => /^(bridge|cli|simulator|store|lib)\//.test(p),
      (d) => d.startsWith("supabase/functions/_shared/"),
    );
    assert.deepEqual(bad, [], entry);
  }
});

Deno.test("boundaries: lib/ imports only lib/ (runtime-agnostic, no I/O layers)", async () => {
  for (const entry of sources("lib/")) {
    const bad = violations(
      await graph(entry),
      (p) => p.startsWith("lib/"),
      (d) => !d.startsWith("lib/"),
    );
    assert.deepEqual(bad, [], entry);
  }
});

Deno.test("boundaries: an Edge Function's bundle holds only functions, lib/ and store/", async () => {
  // `supabase functions deploy` bundles the entrypoint's graph from the project
  // root; bridge, CLI, simulator or test code there would ship with the function.
  const config = await Deno.readTextFile(new URL("supabase/config.toml", ROOT));
  const entries = [...config.matchAll(/entrypoint = "\.\/(functions\/[^"]+)"/g)]
    .map((m) => `supabase/${m[1]}`);
  // core, voice-calls, call permissions (and any added since): the regex must find them.
  assert.ok(entries.length >= 3, entries.join(", "));
  for (const entry of entries) {
    const outside = [...(await graph(entry)).keys()]
      .filter((p) => !/^(supabase\/functions|lib|store)\//.test(p));
    assert.deepEqual(outside, [], entry);
  }
});

Deno.test("boundaries: the Dockerfile copies every module the bridge loads", async () => {
  const dockerfile = await Deno.readTextFile(new URL("Dockerfile", ROOT));
  const copied = [...dockerfile.matchAll(/^COPY (\S+) \.\/\S+$/gm)].map((m) => `${m[1]}/`);
  const missing = [...(await graph("bridge/main.ts")).keys()]
    .filter((p) => !copied.some((dir) => p.startsWith(dir)));
  assert.deepEqual(missing, []);
});
