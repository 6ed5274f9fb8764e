import type { DatabaseSync, SQLInputValue, StatementSync } from "node:sqlite";
import type { Param, Row, SqlDb } from "../sql.ts";
import type { StatementObserver } from "../statement-observer.ts";
import { storageError } from "./sqlite-errors.ts";

/**
 * node:sqlite behind the shared SqlDb surface. There is one connection, so every statement and
 * transaction takes a turn on an async mutex: no statement can run inside another caller's open
 * transaction. Hot paths use `writeTx()`: a synchronous block of prepared statements, run in one
 * turn inside a BEGIN IMMEDIATE transaction shared with the other writes queued meanwhile.
 *
 * Given an `observe` function, every execution (the prepare of a statement's first use included,
 * and the BEGIN, SAVEPOINT and COMMIT of group commits) is timed and reported to it.
 */
export class SqliteDb implements SqlDb {
  readonly raw: DatabaseSync;
  private readonly cache = new Map<string, StatementSync>();
  private tail: Promise<unknown> = Promise.resolve();

  constructor(raw: DatabaseSync, observe?: StatementObserver) {
    this.raw = raw;
    // Chosen once: without an observer the prototype's methods run and no clock is read.
    if (observe) {
      // Wraps a method so that each call, by its SQL text, is timed (the text is the first argument).
      const timed =
        <A extends [string, ...unknown[]], R>(f: (...args: A) => R) =>
        (...args: A): R => {
          const t0 = process.hrtime.bigint();
          try {
            return f.apply(this, args);
          } finally {
            observe(args[0], process.hrtime.bigint() - t0);
          }
        };
      this.allSync = timed(this.allSync);
      this.getSync = timed(this.getSync);
      this.runSync = timed(this.runSync);
      this.exec = timed(this.exec);
    }
  }

  /** Statements without results or parameters: transaction control. */
  private exec(sql: string): void {
    this.raw.exec(sql);
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

  /**
   * Group commit: runs `fn` (synchronous statements only) in a write transaction shared with the
   * other calls queued while the connection was busy, each inside its own SAVEPOINT so that one
   * call's error undoes only its own writes. Every call resolves after the one COMMIT. On a loaded
   * server this turns many small transactions (each a WAL append of several pages) into few.
   */
  writeTx<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.group.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (this.group.length === 1) void this.exclusive(() => this.commitGroup());
    });
  }

  private group: { fn: () => unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = [];

  private commitGroup(): void {
    const ops = this.group;
    this.group = [];
    const results: { op: (typeof ops)[number]; ok: boolean; value: unknown }[] = [];
    try {
      this.exec("BEGIN IMMEDIATE");
      for (const op of ops) {
        this.exec("SAVEPOINT op");
        try {
          results.push({ op, ok: true, value: op.fn() });
          this.exec("RELEASE op");
        } catch (e) {
          // A full disk or an I/O error can make SQLite roll the whole transaction back: then
          // every call of the group fails with it (below), the ones that had run included.
          if (!this.raw.isTransaction) throw e;
          this.exec("ROLLBACK TO op");
          this.exec("RELEASE op");
          results.push({ op, ok: false, value: storageError(e) });
        }
      }
      this.exec("COMMIT");
    } catch (e) {
      if (this.raw.isTransaction) this.exec("ROLLBACK");
      const err = storageError(e);
      for (const op of ops) op.reject(err);
      return;
    }
    for (const r of results) {
      if (r.ok) r.op.resolve(r.value);
      else r.op.reject(r.value);
    }
  }

  /** Runs `fn` when no other statement or transaction is in progress on the connection. */
  exclusive<T>(fn: () => T | Promise<T>): Promise<T> {
    const run = this.tail.then(fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  all(sql: string, params?: Param[]) {
    return this.exclusive(() => storageErrors(() => this.allSync(sql, params)));
  }
  get(sql: string, params?: Param[]) {
    return this.exclusive(() => storageErrors(() => this.getSync(sql, params)));
  }
  run(sql: string, params?: Param[]) {
    return this.exclusive(() => storageErrors(() => this.runSync(sql, params)));
  }
  tx<T>(fn: (db: SqlDb) => Promise<T>): Promise<T> {
    const inner: SqlDb = {
      all: async (sql, params) => this.allSync(sql, params),
      get: async (sql, params) => this.getSync(sql, params),
      run: async (sql, params) => this.runSync(sql, params),
      tx: (f) => f(inner),
    };
    return this.exclusive(async () => {
      this.exec("BEGIN IMMEDIATE");
      try {
        const out = await fn(inner);
        this.exec("COMMIT");
        return out;
      } catch (e) {
        if (this.raw.isTransaction) this.exec("ROLLBACK");
        throw storageError(e);
      }
    });
  }
}

/** Runs `f`, rethrowing what SQLite could not write for lack of room, I/O or a lock as StoreUnavailableError. */
function storageErrors<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw storageError(e);
  }
}
