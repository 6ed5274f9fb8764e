import { rmSync } from "node:fs";
import { join } from "node:path";
import { createSqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import type { Store } from "../../src/store/store.ts";
import { tempDir } from "./server.ts";

export type Backend = "sqlite";

/** The backends every store test runs against. */
export function testBackends(): Backend[] {
  return ["sqlite"];
}

/** Runs `fn` with a fresh, migrated store of `backend`, and always closes and removes it. */
export async function withTestStore(backend: Backend, fn: (store: Store) => Promise<void>): Promise<void> {
  const dir = tempDir("tocsin-store-");
  const store = await createSqliteStore({ path: join(dir, "tocsin.db"), synchronous: "NORMAL" });
  try {
    await fn(store);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
