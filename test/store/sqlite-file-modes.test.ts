import assert from "node:assert/strict";
import { chmodSync, existsSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createSqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import { tempDir } from "../support/server.ts";

const modeOf = (f: string) => statSync(f).mode & 0o777;

describe("SQLite database files", () => {
  it("are readable by their owner only: the database, its WAL and shared-memory files, new or left by an older install", async () => {
    const dir = tempDir("tocsin-modes-");
    const path = join(dir, "tocsin.db");
    const prev = process.umask(0o022);
    try {
      let store = await createSqliteStore({ path, synchronous: "NORMAL" });
      await store.createTenant({ id: "acme", name: null, metadata: {}, createdAt: 1, updatedAt: 1 });
      for (const f of [path, `${path}-wal`, `${path}-shm`]) {
        assert.ok(existsSync(f), f);
        assert.equal(modeOf(f).toString(8), "600", f);
      }
      await store.close();
      // An install from before this rule: world-readable files are narrowed at the next start.
      for (const f of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(f)) chmodSync(f, 0o644);
      store = await createSqliteStore({ path, synchronous: "NORMAL" });
      await store.ping();
      for (const f of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(f)) assert.equal(modeOf(f).toString(8), "600", f);
      await store.close();
    } finally {
      process.umask(prev);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
