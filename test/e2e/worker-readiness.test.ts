import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { describe, it } from "node:test";
import { createPostgresStore } from "../../src/store/postgres/postgres-store.ts";
import { createPgClusterOrSkip, findPgBinDir } from "../support/pg-cluster.ts";
import { freePort } from "../support/receiver.ts";
import { type ChildServer, eventually, loggedLines, spawnRole, tempDir } from "../support/server.ts";

// A worker has no API port, so its own /readyz (on TOCSIN_METRICS_PORT) must say when the
// database it claims from is gone, while /healthz keeps saying the process is up; and the
// outage is logged once, with a count when it ends, not twice a second.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("postgres: a worker's readiness during a database outage", { skip: findPgBinDir() ? false : "no PostgreSQL binaries" }, () => {
  it(
    "answers /readyz 503 while PostgreSQL is down and 200 once it is back; /healthz stays 200; logs the outage once each way",
    { timeout: 90_000 },
    async (t) => {
      const made = await createPgClusterOrSkip();
      if ("skip" in made) {
        t.skip(made.skip);
        return;
      }
      const cluster = made.cluster;
      const dataDir = tempDir();
      let worker: ChildServer | null = null;
      try {
        const store = await createPostgresStore({ url: cluster.url, poolSize: 1, schema: "apply" });
        await store.close();
        const port = await freePort();
        worker = await spawnRole("worker", dataDir, `tsk_test_${randomBytes(8).toString("hex")}`, {
          TOCSIN_DATABASE_URL: cluster.url,
          TOCSIN_MASTER_KEY: randomBytes(32).toString("base64"),
          TOCSIN_METRICS_PORT: String(port),
        });
        const base = `http://127.0.0.1:${port}`;
        const status = async (path: string) => {
          try {
            return (await fetch(base + path, { signal: AbortSignal.timeout(5000) })).status;
          } catch {
            return 0;
          }
        };
        assert.equal(await status("/readyz"), 200);
        assert.equal(await status("/healthz"), 200);

        await cluster.stop();
        await eventually(async () => (await status("/readyz")) === 503, 20_000, "/readyz 503 while PostgreSQL is down");
        assert.equal(await status("/healthz"), 200, "the process itself is up");
        // Several poll intervals (500 ms) of failing claims.
        await sleep(3000);
        await cluster.start();
        await eventually(async () => (await status("/readyz")) === 200, 30_000, "/readyz 200 once PostgreSQL is back");
        const w = worker;
        await eventually(
          async () => loggedLines(w, /claiming deliveries again after \d+ failed attempts/).length === 1,
          20_000,
          "the end of the outage logged",
        );
        assert.equal(loggedLines(w, /could not claim deliveries/).length, 1, w.output.join("\n"));
      } finally {
        if (worker) {
          worker.child.kill("SIGTERM");
          await worker.exited;
        }
        await cluster.destroy();
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  );
});
