import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { it } from "node:test";
import { fileURLToPath } from "node:url";

// The tree drawn from src/'s static imports (type-only imports included: they say the same about
// the design) has no circle. Dynamic `import()` is left out: it is how a module loads another
// only when needed.

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SRC = join(ROOT, "src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return p.endsWith(".ts") ? [p] : [];
  });
}

/** Relative modules a file imports or re-exports statically. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+"(\.{1,2}\/[^"]+)"/gms)) out.push(resolve(dirname(file), m[1]));
  for (const m of text.matchAll(/^\s*import\s+"(\.{1,2}\/[^"]+)"/gm)) out.push(resolve(dirname(file), m[1]));
  return out;
}

/** Every cycle found by a depth-first walk, as the files on it. */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "active" | "done">();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, "active");
    stack.push(f);
    for (const g of graph.get(f) ?? []) {
      if (!graph.has(g)) continue;
      if (state.get(g) === "active") found.push(stack.slice(stack.indexOf(g)).concat(g));
      else if (!state.has(g)) visit(g);
    }
    stack.pop();
    state.set(f, "done");
  };
  for (const f of [...graph.keys()].sort()) if (!state.has(f)) visit(f);
  return found;
}

it("src has no import cycle", () => {
  const files = sourceFiles(SRC);
  assert.ok(files.length > 50, `found ${files.length} source files`);
  const graph = new Map(files.map((f) => [f, importsOf(f)]));
  const edges = [...graph.values()].reduce((n, l) => n + l.length, 0);
  assert.ok(edges > 200, `found ${edges} imports`);
  const found = cycles(graph).map((c) => c.map((f) => relative(ROOT, f)).join(" -> "));
  assert.deepEqual(found, []);
});

it("the cycle check finds a cycle when there is one", () => {
  const g = new Map([
    ["a", ["b"]],
    ["b", ["c"]],
    ["c", ["a"]],
    ["d", ["a"]],
  ]);
  assert.deepEqual(cycles(g), [["a", "b", "c", "a"]]);
});
