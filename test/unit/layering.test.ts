import assert from "node:assert/strict";
import { it } from "node:test";
import { ESLint } from "eslint";

// The layering lint (eslint.config.js) must fire: each folder, given an import it must not make,
// reports it, and the same folder's allowed imports pass. Linted as text under the folder's path,
// so no file is written.

const cases: { file: string; refused: string[]; allowed: string[] }[] = [
  { file: "src/core/x.ts", refused: ["../store/store.ts", "../config.ts"], allowed: ["./ids.ts"] },
  { file: "src/signing/x.ts", refused: ["../store/store.ts", "../delivery/worker.ts"], allowed: ["../core/ids.ts"] },
  { file: "src/store/sqlite/x.ts", refused: ["../../delivery/worker.ts", "../../services/endpoints.ts", "../../config.ts"], allowed: ["../claim.ts", "../../core/ids.ts"] },
  { file: "src/delivery/x.ts", refused: ["../services/endpoints.ts", "../api/server.ts", "../main.ts"], allowed: ["../store/store.ts", "../core/ids.ts"] },
  { file: "src/services/x.ts", refused: ["../api/server.ts", "../cli/main.ts"], allowed: ["../delivery/attempt.ts", "../store/store.ts"] },
  { file: "src/api/routes/x.ts", refused: ["../../store/crud.ts", "../../store/sqlite/sqlite-store.ts", "../../delivery/worker.ts", "../../cli/main.ts"], allowed: ["../../store/store.ts", "../../services/endpoints.ts"] },
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
