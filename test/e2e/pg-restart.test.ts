import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { describe, it } from "node:test";
import { createPostgresStore } from "../../src/store/postgres/postgres-store.ts";
import { createPgClusterOrSkip, findPgBinDir } from "../support/pg-cluster.ts";
import { type Receiver, startReceiver } from "../support/receiver.ts";
import { type ChildServer, eventually, setupTenant, spawnServer, tempDir } from "../support/server.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Phase = "before" | "stopping" | "down" | "starting" | "after";

interface Outcome {
  n: number;
  /** Phase when the request was sent and when its answer arrived. */
  sent: Phase;
  answered: Phase;
  status: number;
  id?: string;
  retryAfter: string | null;
  contentType: string | null;
  body: unknown;
}

/** Resolves with the exit code, or "running" if the process has not exited within `ms`. */
async function exitWithin(s: ChildServer, ms: number): Promise<number | null | "running"> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([s.exited, new Promise<"running">((r) => (timer = setTimeout(() => r("running"), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

if (!findPgBinDir()) {
  const msg = "no PostgreSQL binaries under /usr/lib/postgresql/<version>/bin";
  if (process.env.CI === "true") throw new Error(`${msg}: the PostgreSQL restart test is required in CI`);
  console.log(`# ${msg}: the PostgreSQL restart test is SKIPPED`);
}

describe("postgres: database restart during ingest", { skip: findPgBinDir() ? false : "no PostgreSQL binaries" }, () => {
  it("answers 503 while PostgreSQL is down, recovers when it is back, and loses no acknowledged event", { timeout: 60_000 }, async (t) => {
    const made = await createPgClusterOrSkip();
    if ("skip" in made) {
      t.skip(made.skip);
      return;
    }
    const cluster = made.cluster;
    const dataDir = tempDir();
    let rx: Receiver | null = null;
    let server: ChildServer | null = null;
    try {
      rx = await startReceiver();
      const store = await createPostgresStore({ url: cluster.url, poolSize: 1, schema: "apply" });
      await store.close();

      const apiKey = `tsk_test_${randomBytes(8).toString("hex")}`;
      server = await spawnServer(dataDir, apiKey, {
        TOCSIN_DATABASE_URL: cluster.url,
        TOCSIN_MASTER_KEY: randomBytes(32).toString("base64"),
        TOCSIN_DATABASE_POOL_SIZE: "4",
        // A short lease bounds the wait for a delivery whose claim committed but whose answer was lost.
        TOCSIN_CONNECT_TIMEOUT: "2s",
        TOCSIN_REQUEST_TIMEOUT: "3s",
        TOCSIN_LEASE: "10s",
      });
      const s = server;
      const receiver = rx;
      await setupTenant(s.api, "acme", [{ url: `${receiver.url}/hook` }]);

      let phase: Phase = "before";
      let ingesting = true;
      let next = 0;
      const outcomes: Outcome[] = [];
      const transportErrors: string[] = [];
      const loop = async () => {
        while (ingesting) {
          const n = next++;
          const sent = phase;
          try {
            const r = await s.api<{ id?: string }>("POST", "/v1/tenants/acme/events", { type: "a.b", payload: { n } });
            outcomes.push({
              n,
              sent,
              answered: phase,
              status: r.status,
              id: r.status === 202 ? r.body.id : undefined,
              retryAfter: r.headers.get("retry-after"),
              contentType: r.headers.get("content-type"),
              body: r.body,
            });
          } catch (e) {
            transportErrors.push(`#${n} (${sent}): ${(e as Error).message}`);
            await sleep(50);
          }
          await sleep(5);
        }
      };
      const loops = Promise.all(Array.from({ length: 4 }, loop));

      await sleep(1_500);
      phase = "stopping";
      await cluster.stop();
      phase = "down";
      await sleep(2_000);
      phase = "starting";
      await cluster.start();
      phase = "after";
      await sleep(2_000);
      ingesting = false;
      await loops;

      const acked = outcomes.filter((o) => o.status === 202);
      const unavailable = outcomes.filter((o) => o.status === 503);
      const unexpected = outcomes.filter((o) => o.status !== 202 && o.status !== 503);
      const logTail = () => s.output.slice(-80).join("\n");

      assert.equal(await exitWithin(s, 0), "running", `Tocsin exited while PostgreSQL restarted:\n${logTail()}`);
      assert.deepEqual(transportErrors, [], `requests failed without an HTTP answer:\n${logTail()}`);
      assert.deepEqual(
        unexpected.map((o) => `#${o.n} (${o.sent}→${o.answered}) ${o.status} ${JSON.stringify(o.body)}`),
        [],
        `ingest answered only 202 or 503:\n${logTail()}`,
      );
      assert.ok(
        outcomes.some((o) => o.answered === "before"),
        "events were ingested before the stop",
      );
      assert.deepEqual(
        outcomes.filter((o) => o.answered === "before" && o.status !== 202).map((o) => o.n),
        [],
        "every event before the stop was acknowledged",
      );
      assert.ok(
        unavailable.some((o) => o.sent === "down"),
        `ingest answered 503 while PostgreSQL was down (503s: ${unavailable.length}; sent while down: ${outcomes.filter((o) => o.sent === "down").length})`,
      );
      for (const o of unavailable) {
        assert.equal(o.contentType?.split(";")[0], "application/problem+json", `503 for #${o.n} is a problem document`);
        assert.equal((o.body as { status?: number }).status, 503, `503 for #${o.n} says 503 in its body`);
        assert.ok(o.retryAfter && /^\d+$/.test(o.retryAfter), `503 for #${o.n} has a Retry-After header, got ${o.retryAfter}`);
      }
      const afterAcked = acked.filter((o) => o.sent === "after");
      assert.ok(afterAcked.length > 0, `ingest answers 202 again after PostgreSQL is back:\n${logTail()}`);
      const lastAnswers = outcomes.filter((o) => o.sent === "after").slice(-8);
      assert.deepEqual(
        lastAnswers.filter((o) => o.status !== 202).map((o) => `#${o.n} ${o.status}`),
        [],
        "the last answers after the restart are all 202",
      );

      const ackedIds = new Set(acked.map((o) => o.id!));
      assert.equal(ackedIds.size, acked.length, "every acknowledged event has its own id");
      const delivered = () => new Set(receiver.requests.map((r) => String(r.headers["webhook-id"])));
      try {
        await eventually(async () => [...ackedIds].every((id) => delivered().has(id)), 30_000, "every acknowledged event at the receiver");
      } catch (e) {
        const got = delivered();
        const missing = acked.filter((o) => !got.has(o.id!)).map((o) => `#${o.n} ${o.id} (${o.sent}→${o.answered})`);
        assert.fail(
          `${(e as Error).message}; ${missing.length} of ${acked.length} acknowledged events never arrived: ${missing.slice(0, 20).join(", ")}\n${logTail()}`,
        );
      }
      const got = delivered();
      const byPhase = (os: Outcome[]) =>
        (["before", "stopping", "down", "starting", "after"] as const).map((p) => `${p}=${os.filter((o) => o.sent === p).length}`).join(" ");
      const duplicates = receiver.requests.length - got.size;
      const unacknowledgedDelivered = [...got].filter((id) => !ackedIds.has(id)).length;
      console.log(
        `# pg restart: requests=${outcomes.length} acknowledged=${acked.length} 503s=${unavailable.length} ` +
          `(by phase sent: ${byPhase(unavailable)}) delivered=${got.size} duplicates=${duplicates} ` +
          `delivered-but-not-acknowledged=${unacknowledgedDelivered}`,
      );
      assert.equal(await exitWithin(s, 0), "running", "Tocsin is still running after the deliveries");

      s.child.kill("SIGTERM");
      assert.equal(await exitWithin(s, 20_000), 0, `SIGTERM drains and exits 0:\n${logTail()}`);
    } finally {
      if (server && server.child.exitCode === null && server.child.signalCode === null) {
        server.child.kill("SIGKILL");
        await exitWithin(server, 5_000);
      }
      await rx?.close();
      await cluster.destroy();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
