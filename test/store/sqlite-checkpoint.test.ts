import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, it } from "node:test";
import { newId } from "../../src/core/ids.ts";
import { createSqliteStore } from "../../src/store/sqlite/sqlite-store.ts";

// The embedded store turns SQLite's in-COMMIT checkpoints off and checkpoints from a thread of its
// own: committed WAL frames must still reach the database file while the store is open, so the
// WAL does not grow without bound.
const dir = mkdtempSync(join(tmpdir(), "tocsin-ckpt-"));
after(() => rmSync(dir, { recursive: true, force: true }));

it("copies committed writes into the database file in the background while the store is open", async () => {
  const path = join(dir, "tocsin.db");
  const failures: Error[] = [];
  const store = await createSqliteStore({ path, synchronous: "NORMAL", onCheckpointFailure: (e) => failures.push(e) });
  try {
    const now = Date.now();
    await store.createTenant({ id: "acme", name: null, metadata: {}, createdAt: now, updatedAt: now });
    await store.createEndpoint(
      { id: newId("ep"), tenantId: "acme", url: "http://127.0.0.1:1/x", name: null, description: null, eventTypes: ["*"], enabled: true, secretEnc: "v1:x" },
      now,
    );
    const sizeBefore = statSync(path).size;
    const payload = JSON.stringify({ text: "x".repeat(1000) });
    for (let i = 0; i < 20; i++) {
      const events = Array.from({ length: 100 }, () => ({ id: newId("evt"), type: "a.b", payload, idempotencyKey: null }));
      assert.ok(await store.ingest("acme", events, now, 60_000));
    }
    // About 2 MB of events and deliveries were committed to the WAL; the checkpoint thread runs
    // every second.
    let sizeAfter = statSync(path).size;
    for (let i = 0; i < 100 && sizeAfter < sizeBefore + 1_000_000; i++) {
      await new Promise((r) => setTimeout(r, 50));
      sizeAfter = statSync(path).size;
    }
    assert.ok(sizeAfter >= sizeBefore + 1_000_000, `database file grew from ${sizeBefore} to only ${sizeAfter} bytes`);
    assert.deepEqual(failures, []);
  } finally {
    await store.close();
  }
});
