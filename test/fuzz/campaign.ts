import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

// `npm run fuzz`: the fuzz tests with a long campaign, 20000 cases per route and no time budget
// unless TOCSIN_FUZZ_RUNS / TOCSIN_FUZZ_BUDGET_MS say otherwise. Extra arguments go to `node --test`
// (e.g. `npm run fuzz -- --test-name-pattern="POST /v1/tenants"`).
const file = fileURLToPath(new URL("./api.fuzz.test.ts", import.meta.url));
const env = { ...process.env, TOCSIN_FUZZ_RUNS: process.env.TOCSIN_FUZZ_RUNS || "20000" };
const r = spawnSync(process.execPath, ["--test", "--test-reporter=spec", ...process.argv.slice(2), file], { env, stdio: "inherit" });
process.exit(r.status ?? 1);
