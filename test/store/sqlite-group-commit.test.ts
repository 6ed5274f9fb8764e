import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, it } from "node:test";
import { SqliteDb } from "../../src/store/sqlite/sqlite-db.ts";

// Group commit on the embedded database: writes queued while the connection is busy share one
// transaction, yet each keeps its own result and its own failure.
describe("SqliteDb.writeTx", () => {
  let dir: string;
  let raw: DatabaseSync;
  let db: SqliteDb;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "tocsin-group-"));
    raw = new DatabaseSync(join(dir, "db.sqlite"));
    raw.exec("PRAGMA journal_mode = WAL");
    raw.exec("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)");
    db = new SqliteDb(raw);
  });
  after(() => {
    raw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const count = () => Number((raw.prepare("SELECT count(*) AS n FROM t").get() as { n: number }).n);

  /** Counts the COMMITs the connection runs while `fn` is pending. */
  async function commitsDuring<T>(fn: () => Promise<T>): Promise<{ value: T; commits: number }> {
    const exec = raw.exec.bind(raw);
    let commits = 0;
    raw.exec = (sql: string) => {
      if (/^\s*COMMIT/i.test(sql)) commits++;
      return exec(sql);
    };
    try {
      return { value: await fn(), commits };
    } finally {
      raw.exec = exec;
    }
  }

  it("commits calls queued together in one transaction, each resolving with its own value", async () => {
    const inTx: boolean[] = [];
    // A slow turn holds the connection while the writes queue up behind it.
    const { value, commits } = await commitsDuring(async () => {
      const hold = db.exclusive(() => new Promise<void>((r) => setTimeout(r, 20)));
      const writes = Array.from({ length: 50 }, (_, i) =>
        db.writeTx(() => {
          db.runSync("INSERT INTO t (k, v) VALUES (?, ?)", [`a${i}`, i]);
          inTx.push(raw.isTransaction);
          return i * 2;
        }),
      );
      await hold;
      return Promise.all(writes);
    });
    assert.deepEqual(
      value,
      Array.from({ length: 50 }, (_, i) => i * 2),
    );
    assert.equal(commits, 1);
    assert.equal(inTx.length, 50);
    assert.ok(inTx.every(Boolean), "every call ran inside the transaction");
    // Committed, not merely written: a second connection sees every row.
    const other = new DatabaseSync(join(dir, "db.sqlite"), { readOnly: true });
    try {
      assert.equal(Number((other.prepare("SELECT count(*) AS n FROM t WHERE k LIKE 'a%'").get() as { n: number }).n), 50);
    } finally {
      other.close();
    }
  });

  it("undoes only the failing call's writes and rejects only its promise", async () => {
    const hold = db.exclusive(() => new Promise<void>((r) => setTimeout(r, 10)));
    const ok1 = db.writeTx(() => db.runSync("INSERT INTO t (k, v) VALUES ('b1', 1)"));
    const bad = db.writeTx(() => {
      db.runSync("INSERT INTO t (k, v) VALUES ('b2', 2)");
      // Duplicate key: the statement fails after this call already wrote b2.
      db.runSync("INSERT INTO t (k, v) VALUES ('b1', 3)");
    });
    const ok2 = db.writeTx(() => db.runSync("INSERT INTO t (k, v) VALUES ('b3', 3)"));
    await hold;
    assert.equal(await ok1, 1);
    await assert.rejects(bad, /UNIQUE constraint failed/);
    assert.equal(await ok2, 1);
    const keys = (raw.prepare("SELECT k FROM t WHERE k LIKE 'b%' ORDER BY k").all() as { k: string }[]).map((r) => r.k);
    assert.deepEqual(keys, ["b1", "b3"]);
    assert.equal(raw.isTransaction, false);
  });

  it("commits a lone call by itself, and a call queued after a commit in the next transaction", async () => {
    const { commits } = await commitsDuring(async () => {
      assert.equal(await db.writeTx(() => db.runSync("INSERT INTO t (k, v) VALUES ('c1', 1)")), 1);
      assert.equal(await db.writeTx(() => db.runSync("INSERT INTO t (k, v) VALUES ('c2', 1)")), 1);
    });
    assert.equal(commits, 2);
    assert.equal(count(), 54);
  });
});
