import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, openSync, rmSync, writeSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { startReceiver, type Receiver } from "../support/receiver.ts";
import { type ChildServer, eventually, loggedLines, spawnServer, tempDir } from "../support/server.ts";

// A database that cannot grow is an outage, and is said as one: writes answer 503 with
// Retry-After and "nothing was stored", /readyz answers 503 with the reason, the metrics show
// it, the log says it once per change, and nothing acknowledged is lost.

const KEY = "tsk_test_disk_full_0123456789";
const PAYLOAD = { blob: "x".repeat(4096) };

/** POSTs events one at a time until one is not accepted (at most `max`); returns the accepted ids and the refusal. */
async function fillUp(s: ChildServer, max: number) {
  const accepted: string[] = [];
  for (let i = 0; i < max; i++) {
    const r = await s.api<{ id: string; detail?: string; code?: string }>("POST", "/v1/tenants/acme/events", {
      type: "disk.test",
      payload: { n: i, ...PAYLOAD },
    });
    if (r.status !== 202) return { accepted, refusal: r };
    accepted.push(r.body.id);
  }
  throw new Error(`${max} events were all accepted: the database never filled`);
}

async function setup(s: ChildServer, rx: Receiver) {
  assert.equal((await s.api("POST", "/v1/tenants", { id: "acme" })).status, 201);
  const ep = await s.api("POST", "/v1/tenants/acme/endpoints", { url: rx.url, eventTypes: ["*"] });
  assert.equal(ep.status, 201, JSON.stringify(ep.body));
}

async function stop(s: ChildServer) {
  if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill("SIGTERM");
  await s.exited;
}

/** Every id in `ids` was delivered to `rx` (by its webhook-id header). */
async function allDelivered(rx: Receiver, ids: string[]) {
  await eventually(
    async () => {
      const seen = new Set(rx.requests.map((r) => r.headers["webhook-id"]));
      return ids.every((id) => seen.has(id));
    },
    60_000,
    `all ${ids.length} acknowledged events delivered`,
  );
}

describe("a full SQLite database (TOCSIN_SQLITE_MAX_BYTES)", () => {
  let rx: Receiver;
  // While the database fills, the receiver answers slowly, so that deliveries are still in flight
  // when it is full and their outcomes cannot be recorded (whichever write hits the limit first);
  // once there is room again it answers at once.
  let slow = true;
  before(async () => {
    rx = await startReceiver(() => (slow ? { delayMs: 300 } : {}));
  });
  after(async () => {
    await rx.close();
  });

  it("answers writes 503 with Retry-After, readiness 503 with the reason, logs it once, and loses nothing", { timeout: 120_000 }, async () => {
    const dir = tempDir("tocsin-full-");
    try {
      let s = await spawnServer(dir, KEY, { TOCSIN_SQLITE_MAX_BYTES: String(1024 * 1024) });
      let accepted: string[];
      try {
        await setup(s, rx);
        const filled = await fillUp(s, 3000);
        accepted = filled.accepted;
        assert.ok(accepted.length > 10, `only ${accepted.length} events fitted`);
        const r = filled.refusal;
        assert.equal(r.status, 503, JSON.stringify(r.body));
        assert.ok(Number(r.headers.get("retry-after")) > 0, "Retry-After");
        assert.equal(r.body.code, "unavailable");
        assert.match(String(r.body.detail), /full/);
        assert.match(String(r.body.detail), /nothing was stored/);

        // Each further write is refused the same way, and said once in the log, not once a request.
        for (let i = 0; i < 20; i++) {
          const again = await s.api("POST", "/v1/tenants/acme/events", { type: "disk.test", payload: PAYLOAD });
          assert.equal(again.status, 503, JSON.stringify(again.body));
        }
        assert.equal(loggedLines(s, /database.*(full|cannot write)/i).length, 1, s.output.join("\n"));

        // Reads still work; readiness says why it is not ready; the metrics show it.
        assert.equal((await s.api("GET", "/v1/tenants/acme/events?limit=1")).status, 200);
        const ready = await fetch(`${s.url}/readyz`);
        assert.equal(ready.status, 503);
        assert.match(await ready.text(), /full/);
        const metrics = await (await fetch(`${s.url}/metrics`)).text();
        assert.match(metrics, /^tocsin_database_writable 0$/m);
        assert.match(metrics, /^tocsin_database_write_failures_total\{reason="disk_full"\} [1-9]\d*$/m);

        // SIGTERM ends in bounded time though outcomes cannot be recorded: in-flight requests get
        // the drain's bound (connect plus request timeout, 90 s by default), then 5 s go to
        // recording outcomes, and it says what it handed back. Nothing is in flight here, so it
        // takes about 5 s; it used to retry the recording for the whole 90 s.
        const t0 = Date.now();
        await stop(s);
        const took = Date.now() - t0;
        assert.ok(took < 50_000, `SIGTERM took ${took} ms`);
        assert.equal(loggedLines(s, /handed unfinished deliveries back|could not record some outcomes/).length > 0, true, s.output.join("\n"));
      } finally {
        await stop(s);
      }

      // Nothing acknowledged is lost: with room again, every accepted event is delivered.
      slow = false;
      s = await spawnServer(dir, KEY);
      try {
        await allDelivered(rx, accepted);
        assert.equal((await fetch(`${s.url}/readyz`)).status, 200);
      } finally {
        await stop(s);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Mounts a tmpfs of `mib` MiB at a new folder; null (with the reason) where that is not allowed. */
function mountTmpfs(mib: number): { dir: string; unmount(): void } | { skip: string } {
  if (process.getuid?.() !== 0) return { skip: "not root: no tmpfs can be mounted (the max_page_count case above still runs)" };
  const dir = tempDir("tocsin-tmpfs-");
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${mib}m`, "tmpfs", dir], { stdio: "pipe" });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    return { skip: `mount -t tmpfs failed: ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}` };
  }
  return {
    dir,
    unmount() {
      execFileSync("umount", ["-l", dir], { stdio: "pipe" });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Writes zeros to `path` until the file system is full. */
function fillDisk(path: string): void {
  const fd = openSync(path, "w");
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (let i = 0; i < 1_000_000; i++) writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOSPC") throw e;
  } finally {
    closeSync(fd);
  }
}

const mounted = mountTmpfs(24);
describe("a full disk (tmpfs)", { skip: "skip" in mounted ? mounted.skip : false }, () => {
  let rx: Receiver;
  before(async () => {
    rx = await startReceiver();
  });
  after(async () => {
    await rx.close();
    if ("unmount" in mounted) mounted.unmount();
  });

  it("refuses writes while the disk is full and takes them again, without a restart, once there is room", { timeout: 120_000 }, async () => {
    assert.ok("dir" in mounted);
    const data = `${mounted.dir}/data`;
    const s = await spawnServer(data, KEY);
    try {
      await setup(s, rx);
      const before = await s.api<{ id: string }>("POST", "/v1/tenants/acme/events", { type: "disk.test", payload: PAYLOAD });
      assert.equal(before.status, 202);
      const filler = `${mounted.dir}/filler`;
      fillDisk(filler);

      const filled = await fillUp(s, 3000);
      assert.equal(filled.refusal.status, 503, JSON.stringify(filled.refusal.body));
      assert.match(String(filled.refusal.body.detail), /nothing was stored/);
      assert.equal((await fetch(`${s.url}/readyz`)).status, 503);

      rmSync(filler);
      // Back without a restart: readiness first, then writes.
      await eventually(async () => (await fetch(`${s.url}/readyz`)).status === 200, 20_000, "ready again once the disk has room");
      const after = await s.api("POST", "/v1/tenants/acme/events", { type: "disk.test", payload: PAYLOAD });
      assert.equal(after.status, 202, JSON.stringify(after.body));
      assert.equal(loggedLines(s, /database.*(writable|can write) again/i).length, 1, s.output.join("\n"));
      await allDelivered(rx, [before.body.id, ...filled.accepted]);
    } finally {
      await stop(s);
    }
  });

  it("says the disk is full, and where, when it cannot start for lack of room", { timeout: 60_000 }, async () => {
    assert.ok("dir" in mounted);
    const data = `${mounted.dir}/fresh`;
    const filler = `${mounted.dir}/filler2`;
    fillDisk(filler);
    try {
      const err = await spawnServer(data, KEY).then(
        async (s) => {
          await stop(s);
          return null;
        },
        (e: Error) => e,
      );
      assert.ok(err, "the server started on a full disk");
      assert.match(err.message, /full|no space/i);
      assert.match(err.message, new RegExp(mounted.dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
      assert.doesNotMatch(err.message, /in use by another Tocsin process/);
    } finally {
      rmSync(filler, { force: true });
    }
  });
});
