import pg from "pg";
import type { Param, Row, SqlDb } from "../sql.ts";
import { StoreUnavailableError } from "../store.ts";

// Connection-level failures: the database is down, restarting or unreachable.
const UNAVAILABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN", "EPIPE", "57P01", "57P02", "57P03", "53300"]);

export function isUnavailable(e: unknown): boolean {
  const err = e as { code?: string; message?: string } | undefined;
  if (!err) return false;
  if (err.code && (UNAVAILABLE_CODES.has(err.code) || err.code.startsWith("08"))) return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i.test(err.message ?? "");
}

/** Rethrows connection failures as StoreUnavailableError (503 at the API), anything else as is. */
export function translate(e: unknown): never {
  if (isUnavailable(e)) throw new StoreUnavailableError(`the database is unavailable: ${(e as Error).message}`, { cause: e });
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
