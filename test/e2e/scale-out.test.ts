import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { describe, it } from "node:test";
import { backendEnv } from "../support/backends.ts";
import { pgAvailable } from "../support/pg.ts";
import { type Receiver, startReceiver } from "../support/receiver.ts";
import { type ChildServer, eventually, setupTenant, spawnRole, tempDir } from "../support/server.ts";

const available = await pgAvailable();
const KEY = "tsk_test_scale";

/** Posts `n` events in batches through the API process; returns every acknowledged id. */
async function ingest(api: ChildServer["api"], n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < n; start += 500) {
    const batch = Array.from({ length: Math.min(500, n - start) }, (_, i) => ({ type: (start + i) % 2 ? "a.x" : "b.x", payload: { i: start + i } }));
    const r = await api<{ events: { id: string }[] }>("POST", "/v1/tenants/acme/events", batch);
    assert.equal(r.status, 202, JSON.stringify(r.body));
    ids.push(...r.body.events.map((e) => e.id));
  }
  return ids;
}

function counts(rx: Receiver) {
  const ids = new Set(rx.requests.map((r) => String(r.headers["webhook-id"])));
  return { received: rx.requests.length, unique: ids.size, duplicates: rx.requests.length - ids.size, ids };
}

async function stopAll(children: ChildServer[]) {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill("SIGTERM");
  await Promise.all(children.map((c) => c.exited));
}

describe("postgres: scale-out", { skip: available ? false : "PostgreSQL does not answer" }, () => {
  it("wakes an idle worker in another process through LISTEN/NOTIFY, not the poll", { timeout: 60_000 }, async () => {
    const rx = await startReceiver();
    const db = await backendEnv("postgres");
    const dir = tempDir();
    const env = { ...db.env, TOCSIN_POLL_INTERVAL: "60s" };
    const children: ChildServer[] = [];
    try {
      const api = await spawnRole("api", dir, KEY, env);
      children.push(api);
      await setupTenant(api.api, "acme", [{ url: `${rx.url}/a` }]);
      children.push(await spawnRole("worker", dir, KEY, env));
      // Let the worker finish its first poll, so only a notification can wake it now.
      await new Promise((r) => setTimeout(r, 500));
      for (let i = 0; i < 3; i++) {
        const t0 = Date.now();
        const r = await api.api("POST", "/v1/tenants/acme/events", { type: "a.b", payload: { i } });
        assert.equal(r.status, 202);
        await rx.waitFor(i + 1, 5_000);
        const ms = Date.now() - t0;
        console.log(`# notify: event ${i} delivered ${ms} ms after ingest with a 60 s poll interval`);
        assert.ok(ms < 3_000, `delivered after ${ms} ms`);
      }
    } finally {
      await stopAll(children);
      await rx.close();
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("3 workers and 1 API process deliver 10,000 events, each exactly once when no process dies", { timeout: 120_000 }, async () => {
    const rx = await startReceiver();
    const db = await backendEnv("postgres");
    const dir = tempDir();
    const env = { ...db.env, TOCSIN_ENDPOINT_CONCURRENCY: "24", TOCSIN_CONCURRENCY: "32" };
    const children: ChildServer[] = [];
    try {
      const api = await spawnRole("api", dir, KEY, env);
      children.push(api);
      for (let i = 0; i < 3; i++) children.push(await spawnRole("worker", dir, KEY, env));
      await setupTenant(api.api, "acme", [
        { url: `${rx.url}/a`, eventTypes: ["a.*"] },
        { url: `${rx.url}/b`, eventTypes: ["b.*"] },
      ]);
      const t0 = Date.now();
      const acked = await ingest(api.api, 10_000);
      await eventually(async () => counts(rx).unique >= 10_000, 90_000, "10,000 deliveries");
      const seconds = (Date.now() - t0) / 1000;
      await new Promise((r) => setTimeout(r, 500));
      const c = counts(rx);
      console.log(
        `# scale-out: ${acked.length} acknowledged, ${c.unique} delivered, ${c.duplicates} duplicates, ${(c.unique / seconds).toFixed(0)} deliveries/s`,
      );
      for (const id of acked) assert.ok(c.ids.has(id), `acknowledged event ${id} was not delivered`);
      assert.equal(c.duplicates, 0, "no event is delivered twice when no process dies");
    } finally {
      await stopAll(children);
      await rx.close();
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("loses no acknowledged event while workers are killed with SIGKILL over and over", { timeout: 150_000 }, async () => {
    const rx = await startReceiver(() => ({ delayMs: 2 }));
    const db = await backendEnv("postgres");
    const dir = tempDir();
    // Short lease so that a killed worker's deliveries return to the others within the test.
    const env = {
      ...db.env,
      TOCSIN_ENDPOINT_CONCURRENCY: "16",
      TOCSIN_CONCURRENCY: "16",
      TOCSIN_CONNECT_TIMEOUT: "1s",
      TOCSIN_REQUEST_TIMEOUT: "2s",
      TOCSIN_LEASE: "8s",
    };
    const children: ChildServer[] = [];
    let kills = 0;
    try {
      const api = await spawnRole("api", dir, KEY, env);
      children.push(api);
      const workers: ChildServer[] = [];
      for (let i = 0; i < 3; i++) workers.push(await spawnRole("worker", dir, KEY, env));
      children.push(...workers);
      await setupTenant(api.api, "acme", [
        { url: `${rx.url}/a`, eventTypes: ["a.*"] },
        { url: `${rx.url}/b`, eventTypes: ["b.*"] },
      ]);
      const acked = await ingest(api.api, 10_000);
      // Kill a worker every 700 ms and start a replacement, until most events are out.
      for (let round = 0; round < 40 && counts(rx).unique < 8_000; round++) {
        await new Promise((r) => setTimeout(r, 700));
        const victim = workers.splice(Math.floor(Math.random() * workers.length), 1)[0];
        victim.child.kill("SIGKILL");
        await victim.exited;
        kills++;
        const fresh = await spawnRole("worker", dir, KEY, env);
        workers.push(fresh);
        children.push(fresh);
      }
      await eventually(async () => counts(rx).unique >= 10_000, 90_000, "every acknowledged event after the kills");
      const c = counts(rx);
      console.log(
        `# chaos: ${kills} workers killed with SIGKILL; ${acked.length} acknowledged, ${c.unique} delivered, ${c.duplicates} duplicates (bound: ${kills} x 32 in flight)`,
      );
      for (const id of acked) assert.ok(c.ids.has(id), `acknowledged event ${id} was lost`);
      assert.ok(kills >= 3, `the test killed workers (${kills})`);
      // Each killed worker can have had at most its two endpoints' caps (2 x 16) in flight.
      assert.ok(c.duplicates <= kills * 32, `duplicates (${c.duplicates}) bounded by what was in flight`);
    } finally {
      await stopAll(children);
      await rx.close();
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
