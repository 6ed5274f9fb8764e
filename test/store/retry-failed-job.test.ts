import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { newId } from "../../src/core/ids.ts";
import type { Delivery } from "../../src/core/types.ts";
import { type CompleteOptions, DEFAULT_COMPLETE, type Store } from "../../src/store/store.ts";
import { testBackends, withTestStore } from "../support/backends.ts";
import { outcomeOf } from "../support/outcomes.ts";

// A retry of every failed delivery of a tenant (one event type) is a replay job walked in steps of
// one transaction each, from the position it recorded: whoever takes the next step (this process
// or another after a restart) goes on from there, and each matching delivery is queued once.

const T0 = 1_700_000_000_000;
const DAY = 86_400_000;
/** Failures open no circuit here: every requeued delivery can be claimed at once. */
const NO_CIRCUIT: CompleteOptions = { ...DEFAULT_COMPLETE, health: { ...DEFAULT_COMPLETE.health, failures: 0, failureRatePct: 0 } };

async function seed(store: Store): Promise<void> {
  await store.createTenant({ id: "acme", name: null, metadata: {}, createdAt: T0, updatedAt: T0 });
  for (let i = 0; i < 2; i++) {
    await store.createEndpoint(
      { id: newId("ep"), tenantId: "acme", url: "http://127.0.0.1:1/x", name: null, description: null, eventTypes: ["*"], enabled: true, secretEnc: "v1:x" },
      T0,
    );
  }
  const events = (n: number, type: string) => Array.from({ length: n }, (_, i) => ({ id: newId("evt"), type, payload: `{"i":${i}}`, idempotencyKey: null }));
  await store.ingest("acme", [...events(7, "a.x"), ...events(3, "b.y")], T0, 1000);
}

/** Claims every due delivery and records it failed, as a worker would after its last attempt. */
async function failAllDue(store: Store, now: number): Promise<number> {
  const claimed = await store.claimDue({ limit: 1000, leaseMs: 60_000, owner: "W", now, endpointConcurrency: 1000 });
  await store.complete(
    "W",
    claimed.map((c) => outcomeOf(c, "failed", null, now)),
    now,
    NO_CIRCUIT,
  );
  return claimed.length;
}

async function all(store: Store): Promise<Delivery[]> {
  return (await store.listDeliveries("acme", {}, { limit: 1000, cursor: null })).data;
}

for (const backend of await testBackends()) {
  describe(`${backend}: retry all failed as a replay job`, () => {
    it("queues each matching failed delivery once, going on from its recorded position", async () => {
      await withTestStore(backend, async (store) => {
        await seed(store);
        assert.equal(await failAllDue(store, T0), 20);
        const now = T0 + 60_000;
        const filter = { tenantId: "acme", endpointId: null, eventType: "a.x", since: 0, until: now };
        assert.equal(await store.countFailed(filter, 100_000), 14);
        assert.equal(await store.countFailed(filter, 5), 5, "the count stops at its cap");
        const made = await store.createReplay({ ...filter, untilGiven: false, sinceAgo: null, untilAgo: null, scope: "failed" }, now, DAY);
        assert.ok(made?.created);
        const id = made.replay.id;
        assert.equal(made.replay.total, 14);

        // Two steps, then what they queued is sent and fails again before the job goes on.
        for (let i = 0; i < 2; i++) await store.stepReplay(id, now, 4);
        assert.equal(await failAllDue(store, now + 1), 8);
        let job = await store.getReplay("acme", id);
        assert.deepEqual([job?.state, job?.processed, job?.queued], ["running", 8, 8]);

        // The rest, in steps, as another process would take them up: nothing is queued twice.
        for (let i = 0; i < 10 && job?.state === "running"; i++) job = await store.stepReplay(id, now + 2, 4);
        assert.deepEqual([job?.state, job?.processed, job?.queued, job?.skipped, job?.total], ["completed", 14, 14, 0, 14]);
        const ds = await all(store);
        assert.equal(ds.filter((d) => d.eventType === "a.x" && d.status === "pending").length, 6, "the last six were queued");
        assert.equal(ds.filter((d) => d.eventType === "a.x" && d.status === "failed").length, 8, "the first eight were queued once, not again");
        assert.ok(
          ds.filter((d) => d.eventType === "b.y").every((d) => d.status === "failed"),
          "another type is left alone",
        );
        assert.equal(await store.nextRunningReplay(""), null);
      });
    });
  });
}
