import assert from "node:assert/strict";
import { it } from "node:test";
import { ESLint } from "eslint";

// The layering and promise lints (eslint.config.js) must fire: each folder, given an import it
// must not make, reports it, and the same folder's allowed imports pass. Linted as the text of an
// existing file of the folder (the type-aware rules need a file of the project); nothing is written.

const cases: { file: string; refused: string[]; allowed: string[] }[] = [
  { file: "src/core/ids.ts", refused: ["../store/store.ts", "../config.ts"], allowed: ["./ids.ts"] },
  { file: "src/signing/standard.ts", refused: ["../store/store.ts", "../delivery/worker.ts"], allowed: ["../core/ids.ts"] },
  {
    file: "src/store/sqlite/sqlite-db.ts",
    refused: ["../../delivery/worker.ts", "../../services/endpoints.ts", "../../config.ts"],
    allowed: ["../claim.ts", "../../core/ids.ts"],
  },
  { file: "src/delivery/worker.ts", refused: ["../services/endpoints.ts", "../api/server.ts", "../main.ts"], allowed: ["../store/store.ts", "../core/ids.ts"] },
  { file: "src/services/endpoints.ts", refused: ["../api/server.ts", "../cli/main.ts"], allowed: ["../delivery/attempt.ts", "../store/store.ts"] },
  {
    file: "src/api/routes/common.ts",
    refused: ["../../store/crud.ts", "../../store/sqlite/sqlite-store.ts", "../../delivery/worker.ts", "../../cli/main.ts"],
    allowed: ["../../store/store.ts", "../../services/endpoints.ts"],
  },
];

it("lint refuses imports that climb a layer or reach around one, and allows the rest", async () => {
  const eslint = new ESLint();
  for (const c of cases) {
    for (const [path, refused] of [...c.refused.map((p) => [p, true] as const), ...c.allowed.map((p) => [p, false] as const)]) {
      const [result] = await eslint.lintText(`import "${path}";\n`, { filePath: c.file });
      const layering = result.messages.filter((m) => m.ruleId === "no-restricted-imports");
      assert.equal(layering.length, refused ? 1 : 0, `${c.file} importing ${path}: ${JSON.stringify(layering.map((m) => m.message))}`);
    }
  }
});

it("lint refuses a promise left floating in source, and one passed where a callback returns void", async () => {
  const eslint = new ESLint();
  // Linted as the text of an existing source file, so that the type-aware rules have its project.
  const lint = async (text: string) => (await eslint.lintText(text, { filePath: "src/core/ids.ts" }))[0].messages.map((m) => m.ruleId);
  assert.deepEqual(await lint("async function f(): Promise<void> {}\nf();\n"), ["@typescript-eslint/no-floating-promises"]);
  assert.deepEqual(await lint("async function f(): Promise<void> {}\nvoid f();\n"), []);
  assert.deepEqual(await lint("async function f(): Promise<void> {}\n[1].forEach(async () => { await f(); });\n"), ["@typescript-eslint/no-misused-promises"]);
});

it("lint refuses a source file over 400 lines and a test file over 600", async () => {
  const eslint = new ESLint();
  const lengthErrors = async (file: string, lines: number) =>
    (await eslint.lintText(`${"export const x = 1;\n".repeat(1)}${"// line\n".repeat(lines - 1)}`, { filePath: file }))[0].messages.filter(
      (m) => m.ruleId === "max-lines",
    ).length;
  assert.equal(await lengthErrors("src/core/ids.ts", 400), 0);
  assert.equal(await lengthErrors("src/core/ids.ts", 401), 1);
  // No file is listed in LONG_FILES: a test file may have 600 lines, not one more.
  assert.equal(await lengthErrors("test/e2e/endpoint-settings.test.ts", 600), 0);
  assert.equal(await lengthErrors("test/e2e/endpoint-settings.test.ts", 601), 1);
});
