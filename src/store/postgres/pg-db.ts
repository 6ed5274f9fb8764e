import pg from "pg";
import type { Param, Row, SqlDb } from "../sql.ts";
import type { StatementObserver } from "../statement-observer.ts";
import { StoreUnavailableError } from "../store.ts";
import { coerceError } from "../../core/errors.ts";
import type { StorageFault } from "../../core/storage-health.ts";

// Connection-level failures: the database is down, restarting or unreachable.
const UNAVAILABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN", "EPIPE", "57P01", "57P02", "57P03", "53300"]);

export function isUnavailable(e: unknown): boolean {
  const err = e as { code?: string; message?: string } | undefined;
  if (!err) return false;
  if (err.code && (UNAVAILABLE_CODES.has(err.code) || err.code.startsWith("08"))) return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i.test(
    err.message ?? "",
  );
}

/** SQLSTATEs of a server that answers but cannot write: class 53 (insufficient resources) and I/O errors. */
function writeFault(e: unknown): StorageFault | null {
  const code = (e as { code?: unknown } | undefined)?.code;
  if (code === "53100") return "disk_full";
  if (code === "58030") return "io_error";
  return typeof code === "string" && code.startsWith("53") && code !== "53300" ? "disk_full" : null;
}

/** Rethrows connection failures and a full disk as StoreUnavailableError (503 at the API), anything else as is. */
export function translate(e: unknown): never {
  if (isUnavailable(e)) throw new StoreUnavailableError(`the database is unavailable: ${coerceError(e).message}`, { cause: e });
  const fault = writeFault(e);
  if (fault) throw new StoreUnavailableError(`the database cannot be written: ${coerceError(e).message}`, { cause: e, fault });
  throw e;
}

const numbered = new Map<string, string>();
/** `?` placeholders become `$1, $2, …` (statements never contain a literal `?`). */
export function toPg(sql: string): string {
  let out = numbered.get(sql);
  if (out === undefined) {
    let i = 0;
    out = sql.replace(/\?/g, () => `$${++i}`);
    numbered.set(sql, out);
  }
  return out;
}

type Queryable = pg.Pool | pg.PoolClient;

function view(q: Queryable, tx: SqlDb["tx"]): SqlDb {
  const query = async (sql: string, params: Param[] = []) => {
    try {
      return await q.query(toPg(sql), params as unknown[]);
    } catch (e) {
      return translate(e);
    }
  };
  return {
    all: async (sql, params) => (await query(sql, params)).rows as Row[],
    get: async (sql, params) => (await query(sql, params)).rows[0] as Row | undefined,
    run: async (sql, params) => (await query(sql, params)).rowCount ?? 0,
    tx,
  };
}

/** Runs `fn` in a transaction on one pooled client. */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (e) {
    return translate(e);
  }
  let broken = false;
  // pg-pool drops its own error listener while a client is checked out; without one, a FATAL
  // from a stopping server between two statements is an unhandled 'error' event and kills the process.
  const onError = () => {
    broken = true;
  };
  client.on("error", onError);
  try {
    await client.query("BEGIN");
    const out = await fn(client);
    await client.query("COMMIT");
    return out;
  } catch (e) {
    try {
      await client.query("ROLLBACK");
    } catch {
      broken = true;
    }
    return translate(e);
  } finally {
    client.removeListener("error", onError);
    client.release(broken);
  }
}

export function createPgDb(pool: pg.Pool): SqlDb {
  const tx: SqlDb["tx"] = (fn) =>
    withTransaction(pool, (client) => {
      const inner: SqlDb = view(client, (f) => f(inner));
      return fn(inner);
    });
  return view(pool, tx);
}

/** What the statement profile calls the time spent waiting for a pooled connection. */
export const POOL_WAIT = "(waiting for a pooled connection)";

type Callback = (...results: unknown[]) => void;

/**
 * Times every query that goes through `pool`'s clients (pool.query, transactions, Kysely) from the
 * call until its result or error, and the wait for a free connection, and reports them to
 * `observe`. Each client is wrapped once, when the pool opens it; a pool that is not given to this
 * function runs pg's own methods untouched.
 */
export function observePool(pool: pg.Pool, observe: StatementObserver): void {
  // Times an operation that answers either through a trailing callback or through its promise.
  const timed = (label: string, plain: (...args: unknown[]) => unknown, self: unknown, args: unknown[]): unknown => {
    const t0 = process.hrtime.bigint();
    const done = () => observe(label, process.hrtime.bigint() - t0);
    const last = args.length - 1;
    if (last >= 0 && typeof args[last] === "function") {
      const cb = args[last] as Callback;
      args[last] = (...results: unknown[]) => {
        done();
        cb(...results);
      };
      return plain.apply(self, args);
    }
    const out = plain.apply(self, args) as { then?: unknown } | undefined;
    if (out && typeof out.then === "function") {
      return (out as Promise<unknown>).then(
        (r) => {
          done();
          return r;
        },
        (e: unknown) => {
          done();
          throw e;
        },
      );
    }
    return out;
  };
  pool.on("connect", (client) => {
    const plain = client.query as (...args: unknown[]) => unknown;
    client.query = function (this: unknown, ...args: unknown[]) {
      const first = args[0] as string | { text?: unknown; submit?: unknown } | null | undefined;
      // A Submittable (cursor, stream) answers through events: run it as is.
      if (first === null || first === undefined || (typeof first === "object" && typeof first.submit === "function")) return plain.apply(this, args);
      const sql = typeof first === "string" ? first : String(first.text ?? "");
      return timed(sql, plain, this, args);
    } as typeof client.query;
  });
  const connect = pool.connect as (...args: unknown[]) => unknown;
  pool.connect = function (this: unknown, ...args: unknown[]) {
    return timed(POOL_WAIT, connect, this, args);
  } as typeof pool.connect;
}
