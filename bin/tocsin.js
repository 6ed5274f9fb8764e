#!/usr/bin/env node
// Plain-JS launcher: it must parse on any Node, so an old Node gets a message, not a stack trace.
const major = Number(process.versions.node.split(".")[0]);
if (major < 24) {
  process.stderr.write(
    `Tocsin needs Node.js 24 or newer; this is Node.js ${process.versions.node}.\n` +
      "Run it through npm (npm start, npm run tocsin -- <command>), which uses the Node 24 that 'npm ci' installed\n" +
      "into node_modules/.bin, or install Node.js 24 LTS.\n",
  );
  process.exit(1);
}
await limitHeapGrowth();
await resolveWorkspaceSources();
const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv.slice(2), process.env);

/**
 * V8 sizes the heap for throughput: its young generation grows to two 64 MiB semi-spaces, and the
 * old generation to about 4x its live size before a full collection. Under a delivery burst that
 * took 'tocsin serve' to ~500 MiB of RSS while it held under 100 MiB of live objects. Node's
 * --max-semi-space-size is read only when the process starts, but these flags are read at each
 * collection, so they can be set here:
 * - the old generation may grow to 1.5x the live size left by the last full collection;
 * - the young generation starts at V8's minimum and, once the process is idle between tasks (a
 *   gc observer runs then, not inside the synchronous start-up), doubles up to SEMI_SPACE_MIB.
 * An operator's own heap flags (command line or NODE_OPTIONS) win over these.
 */
async function limitHeapGrowth() {
  const SEMI_SPACE_MIB = 16;
  const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ""].join(" ");
  const v8 = await import("node:v8");
  if (!/heap-growing-percent/.test(given)) v8.setFlagsFromString("--heap-growing-percent=50");
  if (/semi-space/.test(given)) return;
  const { PerformanceObserver } = await import("node:perf_hooks");
  let growing = false;
  v8.setFlagsFromString("--semi-space-growth-factor=1");
  new PerformanceObserver(() => {
    const young = v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space");
    // new_space counts both semi-spaces.
    const grow = young !== undefined && young.space_size < 2 * SEMI_SPACE_MIB * 1024 * 1024;
    if (grow === growing) return;
    growing = grow;
    v8.setFlagsFromString(`--semi-space-growth-factor=${grow ? 2 : 1}`);
  }).observe({ entryTypes: ["gc"] });
}

/**
 * The CLI imports @tocsin/client and @tocsin/verify by package name; in this repository they
 * resolve to their TypeScript source through the "tocsin-source" condition of their exports, as
 * they do for npm scripts (.npmrc) and the type checker (tsconfig.json).
 */
async function resolveWorkspaceSources() {
  if (process.execArgv.includes("--conditions=tocsin-source") || /--conditions[= ]tocsin-source/.test(process.env.NODE_OPTIONS ?? "")) return;
  const { registerHooks } = await import("node:module");
  registerHooks({
    resolve: (specifier, context, next) =>
      specifier.startsWith("@tocsin/") ? next(specifier, { ...context, conditions: [...context.conditions, "tocsin-source"] }) : next(specifier, context),
  });
}
