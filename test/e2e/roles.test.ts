import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { describe, it } from "node:test";
import { createPgSchema, pgAvailable } from "../support/pg.ts";
import { tempDir } from "../support/server.ts";

const BIN = new URL("../../bin/tocsin.js", import.meta.url).pathname;
const MASTER = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const available = await pgAvailable();

function run(args: string[], env: Record<string, string>, timeoutMs = 20_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, TOCSIN_PORT: "0", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let stopped = false;
    child.stdout.on("data", (c) => {
      out += c;
      // A role that started: stop it (once; a second signal would not wait for the drain).
      if (!stopped && /listening on|worker started/.test(out)) {
        stopped = true;
        child.kill("SIGTERM");
      }
    });
    child.stderr.on("data", (c) => {
      out += c;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe("process roles", () => {
  it("refuses api and worker on the embedded SQLite database, saying what to do", async () => {
    const dir = tempDir();
    try {
      for (const role of ["api", "worker"]) {
        const r = await run([role], { TOCSIN_DATA_DIR: dir, TOCSIN_DATABASE_URL: "" });
        assert.equal(r.code, 1);
        assert.match(r.out, new RegExp(`'tocsin ${role}' needs PostgreSQL \\(TOCSIN_DATABASE_URL\\)`));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe("on PostgreSQL", { skip: available ? false : "PostgreSQL does not answer" }, () => {
    it("checks the schema at start, migrates idempotently from several processes at once, and needs the master key", async () => {
      const s = await createPgSchema();
      const env = { TOCSIN_DATABASE_URL: s.url, TOCSIN_MASTER_KEY: MASTER, TOCSIN_API_KEY: "tsk_roles" };
      try {
        const before = await run(["worker"], env);
        assert.equal(before.code, 1);
        assert.match(before.out, /schema is behind this build .*run 'tocsin migrate'/);
        const api = await run(["api"], env);
        assert.equal(api.code, 1);
        assert.match(api.out, /run 'tocsin migrate'/);

        const all = await Promise.all([run(["migrate"], env), run(["migrate"], env), run(["migrate"], env)]);
        for (const m of all) {
          assert.equal(m.code, 0, m.out);
          assert.match(m.out, /schema is up to date/);
        }
        assert.equal((await run(["migrate"], env)).code, 0, "migrate is idempotent");

        const worker = await run(["worker"], env);
        assert.equal(worker.code, 0, worker.out);
        assert.match(worker.out, /worker started/);
        const apiUp = await run(["api"], env);
        assert.equal(apiUp.code, 0, apiUp.out);
        assert.match(apiUp.out, /listening on/);

        const noKey = await run(["worker"], { ...env, TOCSIN_MASTER_KEY: "" });
        assert.equal(noKey.code, 1);
        assert.match(noKey.out, /TOCSIN_MASTER_KEY is required with PostgreSQL/);
        const wrongKey = await run(["worker"], { ...env, TOCSIN_MASTER_KEY: "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=" });
        assert.equal(wrongKey.code, 1);
        assert.match(wrongKey.out, /master key does not match/);
        const noApiKey = await run(["api"], { ...env, TOCSIN_API_KEY: "" });
        assert.equal(noApiKey.code, 1);
        assert.match(noApiKey.out, /TOCSIN_API_KEY is required with PostgreSQL/);
      } finally {
        await s.drop();
      }
    });
  });
});
