// `npm run bench [-- --profile]`: the delivery benchmark (bench/run.ts), then the cost of a
// transformed body (bench/transform.ts), of an ed25519 signature (bench/signing.ts) and of an
// endpoint filter (bench/filter.ts). npm appends arguments to the script's last command, so this
// entry hands them to bench/run.ts, whose options they are; the other benches run with their
// defaults, and each only when the one before it succeeded.

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const run = (script: string, args: string[]): number => {
  const r = spawnSync(process.execPath, [fileURLToPath(new URL(script, import.meta.url)), ...args], { stdio: "inherit" });
  if (r.error) throw r.error;
  return r.status ?? 1;
};

const args = process.argv.slice(2);
let code = run("./run.ts", args);
if (code === 0 && !args.includes("--help") && !args.includes("-h")) code = run("./transform.ts", []);
if (code === 0 && !args.includes("--help") && !args.includes("-h")) code = run("./signing.ts", []);
if (code === 0 && !args.includes("--help") && !args.includes("-h")) code = run("./filter.ts", []);
process.exitCode = code;
