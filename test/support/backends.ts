import { rmSync } from "node:fs";
import { join } from "node:path";
import { createPostgresStore } from "../../src/store/postgres/postgres-store.ts";
import { createSqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import type { Store } from "../../src/store/store.ts";
import { createPgSchema, pgAvailable } from "./pg.ts";
import { tempDir } from "./server.ts";

export type Backend = "sqlite" | "postgres";

/** The backends every store and delivery test runs against (PostgreSQL when it answers; always in CI). */
export async function testBackends(): Promise<Backend[]> {
  return (await pgAvailable()) ? ["sqlite", "postgres"] : ["sqlite"];
}

/** Runs `fn` with a fresh, migrated store of `backend`, and always closes and removes it. */
export async function withTestStore(backend: Backend, fn: (store: Store) => Promise<void>): Promise<void> {
  if (backend === "postgres") {
    const s = await createPgSchema();
    const store = await createPostgresStore({ url: s.url, poolSize: 4, schema: "apply" });
    try {
      await fn(store);
    } finally {
      await store.close();
      await s.drop();
    }
    return;
  }
  const dir = tempDir("tocsin-store-");
  const store = await createSqliteStore({ path: join(dir, "tocsin.db"), synchronous: "NORMAL" });
  try {
    await fn(store);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Environment for a test server on `backend`: a fresh migrated schema on PostgreSQL. */
export async function backendEnv(backend: Backend): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  if (backend === "sqlite") return { env: {}, drop: async () => {} };
  const s = await createPgSchema();
  const store = await createPostgresStore({ url: s.url, poolSize: 1, schema: "apply" });
  await store.close();
  return {
    env: { TOCSIN_DATABASE_URL: s.url, TOCSIN_MASTER_KEY: "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", TOCSIN_DATABASE_POOL_SIZE: "4" },
    drop: () => s.drop(),
  };
}
