import type { DatabaseSync, SQLInputValue, StatementSync } from "node:sqlite";
import type { Param, Row, SqlDb } from "../sql.ts";

/**
 * node:sqlite behind the shared SqlDb surface. There is one connection, so every statement and
 * transaction takes a turn on an async mutex: no statement can run inside another caller's open
 * transaction. Hot paths use `exclusive()` to run a synchronous block (a whole BEGIN IMMEDIATE
 * transaction of prepared statements) in one turn.
 */
export class SqliteDb implements SqlDb {
  readonly raw: DatabaseSync;
  private readonly cache = new Map<string, StatementSync>();
  private tail: Promise<unknown> = Promise.resolve();

  constructor(raw: DatabaseSync) {
    this.raw = raw;
  }

  stmt(sql: string): StatementSync {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.raw.prepare(sql.replace(/\s+FOR UPDATE\s*$/i, ""));
      this.cache.set(sql, s);
    }
    return s;
  }

  allSync(sql: string, params: Param[] = []): Row[] {
    return this.stmt(sql).all(...(params as SQLInputValue[])) as Row[];
  }
  getSync(sql: string, params: Param[] = []): Row | undefined {
    return this.stmt(sql).get(...(params as SQLInputValue[])) as Row | undefined;
  }
  runSync(sql: string, params: Param[] = []): number {
    return Number(this.stmt(sql).run(...(params as SQLInputValue[])).changes);
  }

  /** A synchronous write transaction; call only inside `exclusive()`. */
  txSync<T>(fn: () => T): T {
    this.raw.exec("BEGIN IMMEDIATE");
    try {
      const out = fn();
      this.raw.exec("COMMIT");
      return out;
    } catch (e) {
      if (this.raw.isTransaction) this.raw.exec("ROLLBACK");
      throw e;
    }
  }

  /** Runs `fn` when no other statement or transaction is in progress on the connection. */
  exclusive<T>(fn: () => T | Promise<T>): Promise<T> {
    const run = this.tail.then(fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  all(sql: string, params?: Param[]) {
    return this.exclusive(() => this.allSync(sql, params));
  }
  get(sql: string, params?: Param[]) {
    return this.exclusive(() => this.getSync(sql, params));
  }
  run(sql: string, params?: Param[]) {
    return this.exclusive(() => this.runSync(sql, params));
  }
  tx<T>(fn: (db: SqlDb) => Promise<T>): Promise<T> {
    const inner: SqlDb = {
      all: async (sql, params) => this.allSync(sql, params),
      get: async (sql, params) => this.getSync(sql, params),
      run: async (sql, params) => this.runSync(sql, params),
      tx: (f) => f(inner),
    };
    return this.exclusive(async () => {
      this.raw.exec("BEGIN IMMEDIATE");
      try {
        const out = await fn(inner);
        this.raw.exec("COMMIT");
        return out;
      } catch (e) {
        if (this.raw.isTransaction) this.raw.exec("ROLLBACK");
        throw e;
      }
    });
  }
}
