import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { describe, it } from "node:test";
import { startReceiver } from "../support/receiver.ts";
import { eventually, setupTenant, spawnServer, startServer, tempDir } from "../support/server.ts";

const uniqueIds = (reqs: { headers: Record<string, unknown> }[]) => new Set(reqs.map((r) => String(r.headers["webhook-id"])));

describe("durability", () => {
  it("loses nothing when the server is killed with SIGKILL mid-delivery and started again", async () => {
    const rx = await startReceiver(() => ({ delayMs: 20 }));
    const dir = tempDir();
    const key = "tsk_test_kill9";
    const env = { TOCSIN_ENDPOINT_CONCURRENCY: "8", TOCSIN_CONCURRENCY: "8" };
    try {
      const first = await spawnServer(dir, key, env);
      await setupTenant(first.api, "acme", [{ url: `${rx.url}/hook` }]);
      const accepted: string[] = [];
      for (let b = 0; b < 4; b++) {
        const r = await first.api<{ events: { id: string }[] }>(
          "POST",
          "/v1/tenants/acme/events",
          Array.from({ length: 100 }, (_, i) => ({ type: "a.b", payload: { b, i } })),
        );
        assert.equal(r.status, 202);
        accepted.push(...r.body.events.map((e) => e.id));
      }
      await rx.waitFor(30, 10_000);
      first.child.kill("SIGKILL");
      assert.equal(await first.exited, null);
      const before = uniqueIds(rx.requests).size;
      assert.ok(before < 400, `the kill came mid-queue (${before} of 400 delivered)`);

      const second = await spawnServer(dir, key, env);
      try {
        await eventually(async () => uniqueIds(rx.requests).size >= 400, 30_000, "all 400 events after restart");
        const ids = uniqueIds(rx.requests);
        for (const id of accepted) assert.ok(ids.has(id), `event ${id} was acknowledged but never delivered`);
        const duplicates = rx.requests.length - ids.size;
        assert.ok(duplicates <= 8, `duplicates are bounded by what was in flight (8), got ${duplicates}`);
        const pending = await second.api<{ data: unknown[] }>("GET", "/v1/tenants/acme/deliveries?status=pending");
        const delivering = await second.api<{ data: unknown[] }>("GET", "/v1/tenants/acme/deliveries?status=delivering");
        await eventually(
          async () => {
            const ok = await second.api<{ data: unknown[] }>("GET", "/v1/tenants/acme/deliveries?status=succeeded&limit=1000");
            return ok.body.data.length === 400;
          },
          10_000,
          "400 succeeded deliveries recorded",
        );
        assert.ok(pending.body.data.length + delivering.body.data.length <= 400);
      } finally {
        second.child.kill("SIGTERM");
        assert.equal(await second.exited, 0, "SIGTERM drains and exits 0");
      }
    } finally {
      await rx.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("resumes the queue after a graceful restart with nothing lost or repeated", async () => {
    const rx = await startReceiver(() => ({ delayMs: 10 }));
    const dir = tempDir();
    try {
      const s1 = await startServer({ TOCSIN_ENDPOINT_CONCURRENCY: "4", TOCSIN_CONCURRENCY: "4" }, dir);
      await setupTenant(s1.api, "acme", [{ url: `${rx.url}/hook` }]);
      const r = await s1.api(
        "POST",
        "/v1/tenants/acme/events",
        Array.from({ length: 300 }, (_, i) => ({ type: "a.b", payload: { i } })),
      );
      assert.equal(r.status, 202);
      await rx.waitFor(20);
      await s1.stop();
      const mid = uniqueIds(rx.requests).size;
      assert.ok(mid < 300, `stopped mid-queue (${mid} of 300)`);
      const s2 = await startServer({ TOCSIN_ENDPOINT_CONCURRENCY: "4", TOCSIN_CONCURRENCY: "4" }, dir);
      try {
        await rx.waitFor(300, 30_000);
        await new Promise((res) => setTimeout(res, 200));
        assert.equal(uniqueIds(rx.requests).size, 300);
        assert.equal(rx.requests.length, 300, "a graceful stop finishes in-flight attempts, so nothing is sent twice");
      } finally {
        await s2.stop();
      }
    } finally {
      await rx.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a second server on the same data folder, clearly, and frees it when the first dies", async () => {
    const dir = tempDir();
    try {
      const first = await spawnServer(dir, "tsk_test_lock");
      const second = spawnServer(dir, "tsk_test_lock");
      await assert.rejects(second, /data folder .* is in use by another Tocsin process/);
      first.child.kill("SIGKILL");
      await first.exited;
      const third = await spawnServer(dir, "tsk_test_lock");
      third.child.kill("SIGTERM");
      assert.equal(await third.exited, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("generates an admin key into the data folder with mode 0600 and never logs it", async () => {
    const dir = tempDir();
    const { spawn } = await import("node:child_process");
    const { readFileSync, statSync } = await import("node:fs");
    try {
      const bin = new URL("../../bin/tocsin.js", import.meta.url).pathname;
      const env: Record<string, string | undefined> = { ...process.env, TOCSIN_DATA_DIR: dir, TOCSIN_PORT: "0", TOCSIN_API_KEY: "" };
      const child = spawn(process.execPath, [bin, "serve"], { env, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      child.stdout.on("data", (c) => {
        out += c;
      });
      await eventually(async () => out.includes("listening on"), 15_000, "server start");
      const key = readFileSync(`${dir}/admin-key`, "utf8").trim();
      assert.match(key, /^tsk_[A-Za-z0-9_-]{43}$/);
      assert.equal(statSync(`${dir}/admin-key`).mode & 0o777, 0o600);
      assert.ok(out.includes(`${dir}/admin-key`), "the log names the key file");
      assert.ok(!out.includes(key), "the log never contains the key");
      const url = JSON.parse(out.split("\n").find((l) => l.includes("listening on")) ?? "{}").url;
      assert.equal((await fetch(`${url}/v1/tenants`, { headers: { authorization: `Bearer ${key}` } })).status, 200);
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
