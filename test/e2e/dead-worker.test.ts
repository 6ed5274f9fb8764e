import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { createServer } from "node:http";
import { describe, it } from "node:test";
import { backendEnv } from "../support/backends.ts";
import { pgAvailable } from "../support/pg.ts";
import { type ChildServer, eventually, setupTenant, spawnRole, tempDir } from "../support/server.ts";

// A worker killed with SIGKILL holds leases it will never finish. Another worker must resume
// them within seconds (the dead worker's heartbeat stops), not when the lease expires; and a
// slow worker that is alive keeps its leases.

const available = await pgAvailable();
const KEY = "tsk_test_dead_worker";

async function stopAll(children: ChildServer[]) {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill("SIGTERM");
  await Promise.all(children.map((c) => c.exited));
}

describe("postgres: a dead worker's deliveries", { skip: available ? false : "PostgreSQL does not answer" }, () => {
  it("come back in seconds after its SIGKILL, long before its 2-minute leases expire, each sent once more", { timeout: 90_000 }, async () => {
    // The receiver holds the first worker's requests open, so it dies with them in flight.
    let holding = true;
    const held: (() => void)[] = [];
    const db = await backendEnv("postgres");
    const dir = tempDir();
    // Leases of 2 minutes, and requests that may take as long: only the heartbeat can free them sooner.
    const env = { ...db.env, TOCSIN_LEASE: "120s", TOCSIN_REQUEST_TIMEOUT: "100s", TOCSIN_CONNECT_TIMEOUT: "5s" };
    const children: ChildServer[] = [];
    try {
      // A receiver that does not answer while `holding`: it keeps the responses open.
      const seen: string[] = [];
      const server = createServer((req, res) => {
        seen.push(String(req.headers["webhook-id"]));
        req.resume();
        if (holding) held.push(() => res.end("late"));
        else res.end("ok");
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      const port = (server.address() as { port: number }).port;
      try {
        const api = await spawnRole("api", dir, KEY, env);
        children.push(api);
        await setupTenant(api.api, "acme", [{ url: `http://127.0.0.1:${port}/hook` }]);
        const first = await spawnRole("worker", dir, KEY, env);
        children.push(first);
        const ids: string[] = [];
        for (let i = 0; i < 12; i++) {
          const r = await api.api<{ id: string }>("POST", "/v1/tenants/acme/events", { type: "a.b", payload: { i } });
          assert.equal(r.status, 202);
          ids.push(r.body.id);
        }
        await eventually(async () => seen.length >= 12, 20_000, "the first worker to send all 12");
        first.child.kill("SIGKILL");
        await first.exited;
        const killedAt = Date.now();
        holding = false;

        children.push(await spawnRole("worker", dir, KEY, env));
        await eventually(async () => ids.every((id) => seen.filter((s) => s === id).length >= 2), 60_000, "the second worker to send all 12 again");
        const took = Date.now() - killedAt;
        console.log(`# dead worker: its 12 deliveries were sent again ${took} ms after its SIGKILL (lease: 120 s)`);
        // Well before the 120 s lease: the dead worker's heartbeat stopped.
        assert.ok(took < 60_000, `${took} ms`);
        // Sent once more each, not more: the second worker sent each exactly once.
        await new Promise((r) => setTimeout(r, 1000));
        for (const id of ids) assert.equal(seen.filter((s) => s === id).length, 2, id);
      } finally {
        for (const release of held) release();
        await new Promise<void>((r) => server.close(() => r()));
      }
    } finally {
      await stopAll(children);
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
