import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { describe, it } from "node:test";
import { ConfigError, loadConfig } from "../../../src/config.ts";
import { createStatementRecorder, normaliseSql } from "../../../src/observability/statement-profile.ts";
import { SqliteDb } from "../../../src/store/sqlite/sqlite-db.ts";

describe("statement profile", () => {
  it("is off unless TOCSIN_PROFILE_STATEMENTS names a file", () => {
    assert.equal(loadConfig({}).profileStatementsFile, null);
    assert.equal(loadConfig({ TOCSIN_PROFILE_STATEMENTS: " " }).profileStatementsFile, null);
    assert.equal(loadConfig({ TOCSIN_PROFILE_STATEMENTS: "/tmp/statements.json" }).profileStatementsFile, "/tmp/statements.json");
    for (const flag of ["1", "true", "on", "0"]) {
      assert.throws(
        () => loadConfig({ TOCSIN_PROFILE_STATEMENTS: flag }),
        (e: unknown) => e instanceof ConfigError && /TOCSIN_PROFILE_STATEMENTS names the JSON file/.test(e.message),
      );
    }
  });

  it("counts executions per statement, merging texts that differ only in whitespace", () => {
    const r = createStatementRecorder();
    r.observe("SELECT 1", 5n);
    r.observe("SELECT\n    1", 7n);
    r.observe("  SELECT  1 ", 3_000_000n);
    r.observe("UPDATE t SET x = ?", 2_000_000n);
    const s = r.snapshot();
    assert.deepEqual(
      s.map((x) => [x.sql, x.count]),
      [
        ["SELECT 1", 3],
        ["UPDATE t SET x = ?", 1],
      ],
    );
    assert.equal(s[0].totalMs, 3.000012);
    assert.equal(s[0].maxMs, 3);
    assert.equal(normaliseSql("\tWITH a AS (\n  SELECT 1\n)\nSELECT * FROM a\n"), "WITH a AS ( SELECT 1 ) SELECT * FROM a");
  });

  it("reports every SQLite statement, transaction control included, only when given an observer", async () => {
    const seen: string[] = [];
    const raw = new DatabaseSync(":memory:");
    const db = new SqliteDb(raw, (sql) => seen.push(sql));
    await db.run("CREATE TABLE t (x INTEGER)");
    await db.writeTx(() => db.runSync("INSERT INTO t (x) VALUES (?)", [1]));
    assert.deepEqual(
      (await db.all("SELECT x FROM t")).map((r) => ({ ...r })),
      [{ x: 1 }],
    );
    assert.deepEqual(seen, [
      "CREATE TABLE t (x INTEGER)",
      "BEGIN IMMEDIATE",
      "SAVEPOINT op",
      "INSERT INTO t (x) VALUES (?)",
      "RELEASE op",
      "COMMIT",
      "SELECT x FROM t",
    ]);
    raw.close();

    // Off: the prototype's methods, untouched.
    const plainRaw = new DatabaseSync(":memory:");
    const plain = new SqliteDb(plainRaw);
    for (const m of ["allSync", "getSync", "runSync", "exec"]) assert.equal(Object.hasOwn(plain, m), false, m);
    plainRaw.close();
  });
});
