import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, it } from "node:test";
import { backupDatabase } from "../../src/cli/backup.ts";
import { verifyWebhook } from "../../packages/verify/src/index.ts";
import { createSqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import { runCli } from "../support/cli.ts";
import { type Receiver, startReceiver } from "../support/receiver.ts";
import { type ChildServer, spawnServer, startServer, tempDir } from "../support/server.ts";

// `tocsin backup`: a copy taken from a running server (another process, writing meanwhile) that a
// second server starts from with the same tenant, endpoint, event and readable secrets.

const SECRET = `whsec_${randomBytes(32).toString("base64")}`;
const PASSWORD = "backup-me-password";
const BASIC = `Basic ${Buffer.from(`u:${PASSWORD}`).toString("base64")}`;

/** Runs the CLI with only the TOCSIN_ variables a test sets. */
const run = (args: string[], env: Record<string, string>, timeoutMs = 30_000) => runCli(args, env, { timeoutMs, cleanEnv: true });

async function stopChild(s: ChildServer): Promise<void> {
  s.child.kill("SIGTERM");
  const timer = setTimeout(() => s.child.kill("SIGKILL"), 15_000);
  await s.exited;
  clearTimeout(timer);
}

const partials = (dir: string) => readdirSync(dir).filter((f) => f.includes(".partial-"));

describe("tocsin backup", () => {
  let rx: Receiver;
  let source: ChildServer;
  const sourceDir = tempDir();
  const outDir = tempDir("tocsin-backups-");
  const backupFile = join(outDir, "tocsin-backup.db");
  const apiKey = `tsk_test_${randomBytes(8).toString("hex")}`;
  let endpointId = "";
  let eventId = "";
  let backupRun: { code: number | null; out: string; err: string };
  let writesDuringBackup = 0;

  before(async () => {
    rx = await startReceiver((r) => (r.headers.authorization === BASIC ? {} : { status: 401 }));
    source = await spawnServer(sourceDir, apiKey);
    const api = source.api;
    assert.equal((await api("POST", "/v1/tenants", { id: "acme" })).status, 201);
    const ep = await api<{ id: string }>("POST", "/v1/tenants/acme/endpoints", {
      url: `${rx.url}/hook`,
      eventTypes: ["alert.*"],
      secret: SECRET,
      auth: { type: "basic", username: "u", password: PASSWORD },
    });
    assert.equal(ep.status, 201, JSON.stringify(ep.body));
    endpointId = ep.body.id;
    const ev = await api<{ id: string }>("POST", "/v1/tenants/acme/events", { type: "alert.fired", payload: { score: 9.5 } });
    assert.equal(ev.status, 202);
    eventId = ev.body.id;
    // About 6 MB of events no endpoint matches, so the copy takes several steps and reports progress.
    const blob = "x".repeat(200_000);
    for (let i = 0; i < 30; i++) assert.equal((await api("POST", "/v1/tenants/acme/events", { type: "bulk.data", payload: { i, blob } })).status, 202);

    // The server keeps taking events while the backup runs.
    let backupDone = false;
    const writer = (async () => {
      const deadline = Date.now() + 30_000;
      for (let i = 0; i < 2_000 && !backupDone && Date.now() < deadline; i++) {
        const r = await api("POST", "/v1/tenants/acme/events", { type: "bulk.data", payload: { during: i } });
        assert.equal(r.status, 202);
        writesDuringBackup++;
      }
    })();
    backupRun = await run(["backup", backupFile], { TOCSIN_DATA_DIR: sourceDir });
    backupDone = true;
    await writer;
  });

  after(async () => {
    if (source) await stopChild(source);
    await rx?.close();
    rmSync(sourceDir, { recursive: true, force: true });
    rmSync(outDir, { recursive: true, force: true });
  });

  it("copies a running server's database, reports progress, and warns that the master key is not in it", () => {
    assert.equal(backupRun.code, 0, `stdout: ${backupRun.out}\nstderr: ${backupRun.err}`);
    assert.ok(writesDuringBackup > 0, "the server took events while the backup ran");
    assert.match(backupRun.out, new RegExp(`^backup written: ${backupFile}$`, "m"));
    assert.match(backupRun.out, /^size: +\d+ bytes \(\d+\.\d MiB\)$/m);
    assert.match(backupRun.err, /^copied \d+ of \d+ pages \(\d+%\)$/m);
    assert.match(backupRun.err, /^copied (\d+) of \1 pages \(100%\)$/m);
    assert.match(backupRun.err, /warning: the master key is NOT in this backup/);
    assert.ok(backupRun.err.includes(`The key: ${join(sourceDir, "master-key")}`), backupRun.err);
    assert.match(backupRun.err, /stored apart from the backups: a backup together with\n +its key gives away every endpoint's secrets/);
    assert.equal(readFileSync(backupFile).subarray(0, 16).toString("latin1"), "SQLite format 3\0");
    assert.deepEqual(partials(outDir), []);
  });

  it("a server started on the copy with the master key has the tenant, endpoint, event and secrets", async () => {
    const dir = tempDir();
    copyFileSync(backupFile, join(dir, "tocsin.db"));
    copyFileSync(join(sourceDir, "master-key"), join(dir, "master-key"));
    const s = await startServer({}, dir);
    try {
      assert.equal((await s.api("GET", "/v1/tenants/acme")).status, 200);
      const ep = await s.api<{ url: string; eventTypes: string[]; auth: { type: string; username: string; passwordSet: boolean } }>(
        "GET",
        `/v1/tenants/acme/endpoints/${endpointId}`,
      );
      assert.equal(ep.status, 200);
      assert.equal(ep.body.url, `${rx.url}/hook`);
      assert.deepEqual(ep.body.eventTypes, ["alert.*"]);
      assert.deepEqual(ep.body.auth, { type: "basic", username: "u", passwordSet: true });
      const ev = await s.api<{ type: string; payload: unknown }>("GET", `/v1/tenants/acme/events/${eventId}`);
      assert.equal(ev.status, 200);
      assert.equal(ev.body.type, "alert.fired");
      assert.deepEqual(ev.body.payload, { score: 9.5 });
      const secret = await s.api<{ secret: string }>("GET", `/v1/tenants/acme/endpoints/${endpointId}/secret`);
      assert.equal(secret.status, 200);
      assert.equal(secret.body.secret, SECRET);

      // The password decrypts too, and the restored server signs with the original secret.
      const before = rx.requests.length;
      const test = await s.api<{ response: { status: number } | null }>("POST", `/v1/tenants/acme/endpoints/${endpointId}/test`, {});
      assert.equal(test.status, 200, JSON.stringify(test.body));
      assert.equal(test.body.response?.status, 200);
      const [req] = rx.requests.slice(before);
      assert.equal(req.headers.authorization, BASIC);
      const checked = verifyWebhook({ secret: SECRET, headers: req.headers, body: req.body });
      assert.ok(checked.ok, JSON.stringify(checked));
    } finally {
      await s.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a copy restored without the master key does not start until the original key is put back", async () => {
    const dir = tempDir();
    const key = `tsk_test_${randomBytes(8).toString("hex")}`;
    try {
      copyFileSync(backupFile, join(dir, "tocsin.db"));
      await assert.rejects(spawnServer(dir, key), /The master key does not match the one this database was created with/);
      // The failed start generated a key of its own; it is the original that must go back.
      const original = readFileSync(join(sourceDir, "master-key"), "utf8");
      assert.ok(existsSync(join(dir, "master-key")));
      assert.notEqual(readFileSync(join(dir, "master-key"), "utf8"), original);
      writeFileSync(join(dir, "master-key"), original, { mode: 0o600 });
      const s = await spawnServer(dir, key);
      try {
        const secret = await s.api<{ secret: string }>("GET", `/v1/tenants/acme/endpoints/${endpointId}/secret`);
        assert.equal(secret.body.secret, SECRET);
      } finally {
        await stopChild(s);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses to replace an existing file without --force, and replaces it with --force", async () => {
    const target = join(outDir, "existing.db");
    writeFileSync(target, "keep me");
    const refused = await run(["backup", "--data-dir", sourceDir, target], {});
    assert.equal(refused.code, 1, refused.err);
    assert.equal(refused.err.trim(), `tocsin: ${target} already exists; pass --force to replace it`);
    assert.equal(refused.out, "");
    assert.equal(readFileSync(target, "utf8"), "keep me");
    assert.deepEqual(partials(outDir), []);

    const forced = await run(["backup", "--data-dir", sourceDir, "--force", "--json", target], {});
    assert.equal(forced.code, 0, forced.err);
    const result = JSON.parse(forced.out) as { file: string; bytes: number; pages: number; masterKey: { included: boolean; source: string } };
    assert.equal(result.file, target);
    assert.equal(result.bytes, readFileSync(target).length);
    assert.ok(result.pages > 1024, `pages: ${result.pages}`);
    assert.deepEqual(result.masterKey, { included: false, source: join(sourceDir, "master-key") });
    assert.match(forced.err, /warning: the master key is NOT in this backup/);
    assert.equal(readFileSync(target).subarray(0, 15).toString("latin1"), "SQLite format 3");
  });

  it("names TOCSIN_MASTER_KEY in the warning when the key comes from the environment", async () => {
    const target = join(outDir, "env-key.db");
    const r = await run(["backup", target], { TOCSIN_DATA_DIR: sourceDir, TOCSIN_MASTER_KEY: readFileSync(join(sourceDir, "master-key"), "utf8").trim() });
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /The key: TOCSIN_MASTER_KEY$/m);
  });

  it("exits 2 with PostgreSQL configured and points to pg_dump", async () => {
    const target = join(outDir, "pg.db");
    const r = await run(["backup", target], { TOCSIN_DATA_DIR: sourceDir, TOCSIN_DATABASE_URL: "postgres://tocsin@127.0.0.1:1/tocsin" });
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /pg_dump -Fc/);
    assert.match(r.err, /docs\/operating\.md/);
    assert.equal(existsSync(target), false);
  });

  it("exits 1 when the data folder has no database, and 2 on usage errors", async () => {
    const empty = tempDir();
    try {
      const missing = await run(["backup", "--data-dir", empty, join(outDir, "none.db")], {});
      assert.equal(missing.code, 1);
      assert.match(missing.err, new RegExp(`there is no database at ${join(empty, "tocsin.db")}: point --data-dir`));
      assert.equal(existsSync(join(outDir, "none.db")), false);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
    const noFile = await run(["backup", "--data-dir", sourceDir], {});
    assert.equal(noFile.code, 2);
    assert.match(noFile.err, /missing FILE/);
    const unknown = await run(["backup", "--data-dir", sourceDir, "--rate", "5", join(outDir, "x.db")], {});
    assert.equal(unknown.code, 2);
    const live = await run(["backup", "--data-dir", sourceDir, "--force", join(sourceDir, "tocsin.db")], {});
    assert.equal(live.code, 2);
    assert.match(live.err, /one of the data folder's own files/);
    const help = await run(["backup", "--help"], {});
    assert.equal(help.code, 0);
    assert.match(help.out, /^Usage: tocsin backup/);
  });

  it("finishes while another connection writes between every step, with the database as it was when it started", async () => {
    const dir = tempDir();
    try {
      const dbPath = join(dir, "tocsin.db");
      const store = await createSqliteStore({ path: dbPath, synchronous: "NORMAL" });
      await store.setMeta("marker", "before");
      await store.close();
      const writer = new DatabaseSync(dbPath, { timeout: 5_000 });
      writer.exec("PRAGMA journal_mode = WAL");
      const write = writer.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('marker', ?)");
      const steps: number[] = [];
      // Without a fixed snapshot, SQLite restarts the copy after each write and it never ends; the
      // writes stop after 2,000 steps so that a regression fails the assertions below, not the clock.
      const copy = await backupDatabase(dbPath, join(dir, "copy.db"), {
        pagesPerStep: 1,
        onProgress: ({ copiedPages }) => {
          steps.push(copiedPages);
          if (steps.length < 2_000) write.run(`during ${steps.length}`);
        },
      });
      writer.close();
      assert.ok(copy.pages > 10, `pages: ${copy.pages}`);
      assert.ok(steps.length <= copy.pages, `${steps.length} steps for ${copy.pages} pages: the copy restarted`);
      assert.deepEqual(
        steps,
        [...steps].sort((a, b) => a - b),
      );
      const restored = new DatabaseSync(copy.file, { readOnly: true });
      const marker = restored.prepare("SELECT value FROM meta WHERE key = 'marker'").get() as { value: string };
      restored.close();
      assert.equal(marker.value, "before");
      assert.deepEqual(partials(dir), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
