import assert from "node:assert/strict";
import { describe, it } from "node:test";
import pg from "pg";
import { newId } from "../../src/core/ids.ts";
import type { ClaimedDelivery } from "../../src/core/types.ts";
import { createPostgresStore } from "../../src/store/postgres/postgres-store.ts";
import type { Store } from "../../src/store/store.ts";
import { outcomeOf } from "../support/outcomes.ts";
import { createPgSchema, pgAvailable } from "../support/pg.ts";

// On PostgreSQL a claim holds the row locks of the endpoints it claims from until it commits, and
// completions serialise on each endpoint's health row. A completion must not wait for a claim (nor
// make claims skip its endpoints), and concurrent completions on one endpoint must not lose each
// other's health updates.

const T0 = 1_700_000_000_000;

const failed = (c: ClaimedDelivery, at: number) => outcomeOf(c, "pending", at + 60_000, at);

async function withStore(fn: (store: Store, url: string) => Promise<void>) {
  const s = await createPgSchema();
  const store = await createPostgresStore({ url: s.url, poolSize: 8, schema: "apply" });
  try {
    await fn(store, s.url);
  } finally {
    await store.close();
    await s.drop();
  }
}

async function seed(store: Store, events: number): Promise<string> {
  await store.createTenant({ id: "acme", name: null, metadata: {}, createdAt: T0, updatedAt: T0 });
  const ep = await store.createEndpoint(
    { id: newId("ep"), tenantId: "acme", url: "http://127.0.0.1:1/x", name: null, description: null, eventTypes: ["*"], enabled: true, secretEnc: "v1:x" },
    T0,
  );
  const evs = Array.from({ length: events }, (_, i) => ({ id: newId("evt"), type: "a.b", payload: `{"i":${i}}`, idempotencyKey: null }));
  await store.ingest("acme", evs, T0, 1000);
  return ep.id;
}

if (await pgAvailable()) {
  describe("postgres: completion locks", () => {
    it("records outcomes while a claim holds the endpoint's row lock", async () => {
      await withStore(async (store, url) => {
        const epId = await seed(store, 4);
        const got = await store.claimDue({ limit: 4, leaseMs: 60_000, owner: "w", now: T0, endpointConcurrency: 16 });
        assert.equal(got.length, 4);
        // Another worker's claim, still open, holding the endpoint as DUE_ENDPOINTS locks it.
        const other = new pg.Client({ connectionString: url });
        await other.connect();
        try {
          await other.query("BEGIN");
          await other.query("SELECT id FROM endpoints WHERE id = $1 FOR UPDATE", [epId]);
          let released = false;
          // Released only after the completion resolved, or after a deadline that a completion
          // waiting for the lock would run into; the test asserts which came first.
          const deadline = new Promise<void>((r) => setTimeout(r, 15_000).unref());
          const completion = store
            .complete(
              "w",
              got.map((c) => failed(c, T0 + 1)),
              T0 + 1,
            )
            .then(() => released);
          const first = await Promise.race([completion.then(() => "completion" as const), deadline.then(() => "deadline" as const)]);
          released = true;
          await other.query("ROLLBACK");
          await completion;
          assert.equal(first, "completion", "the completion waited for the claim's lock on the endpoint");
        } finally {
          await other.end();
        }
        const health = (await store.getEndpointHealth("acme", [epId])).get(epId);
        assert.equal(health?.consecutiveFailures, 4);
      });
    });

    it("applies concurrent completions on one endpoint one after the other: no failure is lost", async () => {
      await withStore(async (store) => {
        const epId = await seed(store, 40);
        // Ten owners, four deliveries each, all completed at once on separate connections; the
        // endpoint has no health row yet, so the first completions also race to create it.
        const claims: { owner: string; got: ClaimedDelivery[] }[] = [];
        for (let i = 0; i < 10; i++) {
          const owner = `w${i}`;
          claims.push({ owner, got: await store.claimDue({ limit: 4, leaseMs: 60_000, owner, now: T0, endpointConcurrency: 40 }) });
        }
        assert.equal(
          claims.reduce((n, c) => n + c.got.length, 0),
          40,
        );
        await Promise.all(
          claims.map((c) =>
            store.complete(
              c.owner,
              c.got.map((d) => failed(d, T0 + 1)),
              T0 + 1,
            ),
          ),
        );
        const health = (await store.getEndpointHealth("acme", [epId])).get(epId);
        assert.equal(health?.consecutiveFailures, 40);
      });
    });
  });
}
