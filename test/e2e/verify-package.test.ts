import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { tempDir } from "../support/server.ts";
import { consumerEnv } from "../support/fixtures.ts";

// @tocsin/verify as a receiver installs it from the registry: packed, installed into a fresh
// project's node_modules (where Node strips no TypeScript), imported from ESM and CommonJS, and
// type-checked by a consumer.

const run = promisify(execFile);
const PKG = new URL("../../packages/verify/", import.meta.url).pathname;
const TSC = new URL("../../node_modules/typescript/bin/tsc", import.meta.url).pathname;

// The Standard Webhooks shared test vector.
const VECTOR = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  headers: {
    "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
    "webhook-timestamp": "1614265330",
    "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
  },
  body: '{"test": 2432232314}',
  now: 1614265330_000,
};

describe("@tocsin/verify as installed from a package", () => {
  it("packs compiled JavaScript with declarations and no dependencies, and works from ESM, CommonJS and TypeScript", { timeout: 120_000 }, async () => {
    const dir = tempDir("tocsin-verify-pkg-");
    try {
      const env = { ...consumerEnv(), PATH: `${join(PKG, "../../node_modules/.bin")}:${process.env.PATH}`, npm_config_update_notifier: "false" };
      const packed = await run("npm", ["pack", "--json", "--pack-destination", dir], { cwd: PKG, env, timeout: 60_000 });
      const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf("["))) as { filename: string; files: { path: string }[] }[];
      assert.deepEqual(info.files.map((f) => f.path).sort(), ["README.md", "dist/index.d.ts", "dist/index.js", "package.json"]);

      const app = join(dir, "app");
      await run("mkdir", ["-p", app]);
      writeFileSync(join(app, "package.json"), JSON.stringify({ name: "receiver", version: "1.0.0", private: true, type: "module" }));
      await run("npm", ["install", "--offline", "--no-audit", "--no-fund", join(dir, info.filename)], { cwd: app, env, timeout: 60_000 });
      const installed = JSON.parse(readFileSync(join(app, "node_modules/@tocsin/verify/package.json"), "utf8")) as { dependencies?: object };
      assert.equal(installed.dependencies, undefined, "no runtime dependencies");

      const call = `verifyWebhook({ secret: ${JSON.stringify(VECTOR.secret)}, headers: ${JSON.stringify(VECTOR.headers)}, body: ${JSON.stringify(VECTOR.body)}, now: ${VECTOR.now} })`;
      const tampered = call.replace("2432232314", "2432232315");
      writeFileSync(join(app, "esm.mjs"), `import { verifyWebhook } from "@tocsin/verify";\nconsole.log(JSON.stringify([${call}, ${tampered}]));\n`);
      writeFileSync(join(app, "cjs.cjs"), `const { verifyWebhook } = require("@tocsin/verify");\nconsole.log(JSON.stringify([${call}, ${tampered}]));\n`);
      for (const file of ["esm.mjs", "cjs.cjs"]) {
        const out = await run(process.execPath, [file], { cwd: app, env: consumerEnv(), timeout: 20_000 });
        const [good, bad] = JSON.parse(out.stdout) as { ok: boolean; reason?: string; id?: string }[];
        assert.deepEqual(good, { ok: true, id: VECTOR.headers["webhook-id"], timestamp: 1614265330, secretIndex: 0 }, file);
        assert.equal(bad.reason, "bad_signature", file);
      }

      // A TypeScript consumer type-checks against the shipped declarations, and a wrong call does not.
      writeFileSync(
        join(app, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: { module: "nodenext", moduleResolution: "nodenext", strict: true, noEmit: true, skipLibCheck: false, types: [] },
          files: ["use.ts"],
        }),
      );
      writeFileSync(
        join(app, "use.ts"),
        `import { verifyWebhook, type VerifyResult } from "@tocsin/verify";\nconst r: VerifyResult = ${call.replace("now: 1614265330000", 'signing: { scheme: "hmac-sha256", header: "x-sig", encoding: "hex", prefix: "sha256=" }')};\nexport const why: string = r.ok ? String(r.secretIndex) : r.reason;\n`,
      );
      await run(process.execPath, [TSC, "-p", "."], { cwd: app, env: consumerEnv(), timeout: 60_000 });
      writeFileSync(
        join(app, "use.ts"),
        `import { verifyWebhook } from "@tocsin/verify";\nverifyWebhook({ secret: "s", signing: { scheme: "hmac-sha256" }, headers: {}, body: "" });\n`,
      );
      await assert.rejects(run(process.execPath, [TSC, "-p", "."], { cwd: app, env: consumerEnv(), timeout: 60_000 }), (e: { stdout: string }) =>
        /header/.test(e.stdout),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
