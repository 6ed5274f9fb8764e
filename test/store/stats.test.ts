import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { newId } from "../../src/core/ids.ts";
import type { Store } from "../../src/store/store.ts";
import { testBackends, withTestStore } from "../support/backends.ts";

const T0 = 1_700_000_000_000;

async function addEndpoint(store: Store, id: string, eventTypes: string[]) {
  await store.createEndpoint(
    { id, tenantId: "acme", url: "http://127.0.0.1:1/x", name: null, description: null, eventTypes, enabled: true, secretEnc: "v1:x" },
    T0,
  );
}

const event = (type: string) => ({ id: newId("evt"), type, payload: "{}", idempotencyKey: null });

for (const backend of await testBackends()) {
  describe(`${backend}: operationalStats`, () => {
    it("counts pending, due and leased deliveries, leaving a disabled endpoint's backlog out of due", async () => {
      await withTestStore(backend, async (store) => {
        await store.createTenant({ id: "acme", name: null, metadata: {}, createdAt: T0, updatedAt: T0 });
        await addEndpoint(store, "ep_a", ["*"]);
        await addEndpoint(store, "ep_b", ["x.*"]);
        await addEndpoint(store, "ep_c", ["x.1"]);
        await addEndpoint(store, "ep_d", ["*"]);
        // a: 3 deliveries, b: 2, c: 1, d: 3, all due at T0.
        await store.ingest("acme", [event("x.1"), event("x.2"), event("y.1")], T0, 1000);
        await store.updateEndpoint("acme", "ep_d", { enabled: false }, T0);

        const before = await store.operationalStats(T0 - 1, 2, ["ep_c"]);
        assert.equal(before.pending, 9);
        assert.equal(before.due, 0, "nothing is due before T0");
        assert.equal(before.oldestDueAt, null);

        const s = await store.operationalStats(T0 + 1000, 2, ["ep_c"]);
        assert.deepEqual(
          { pending: s.pending, due: s.due, delivering: s.delivering, oldestDueAt: s.oldestDueAt },
          { pending: 9, due: 6, delivering: 0, oldestDueAt: T0 },
        );
        assert.deepEqual(s.endpoints, { enabled: 3, disabled: 1 });
        assert.deepEqual(s.circuits, { closed: 3, open: 0, halfOpen: 0 }, "endpoints without a health row are closed; disabled ones are not counted");
        // The listed endpoint first, then the top 2 by pending deliveries, ties in id order.
        assert.deepEqual(s.perEndpoint, [
          { id: "ep_c", pending: 1 },
          { id: "ep_a", pending: 3 },
          { id: "ep_d", pending: 3 },
        ]);

        const claimed = await store.claimDue({ limit: 100, leaseMs: 60_000, owner: "w", now: T0 + 1000, endpointConcurrency: 100 });
        assert.equal(claimed.length, 6);
        const leased = await store.operationalStats(T0 + 2000, 0, []);
        assert.deepEqual(
          { pending: leased.pending, due: leased.due, delivering: leased.delivering, oldestDueAt: leased.oldestDueAt, perEndpoint: leased.perEndpoint },
          { pending: 3, due: 0, delivering: 6, oldestDueAt: null, perEndpoint: [] },
        );
      });
    });

    it("lists an opted-in endpoint with nothing pending, or that does not exist, with 0", async () => {
      await withTestStore(backend, async (store) => {
        const s = await store.operationalStats(T0, 5, ["ep_gone"]);
        assert.deepEqual(s, {
          pending: 0,
          due: 0,
          delivering: 0,
          oldestDueAt: null,
          circuits: { closed: 0, open: 0, halfOpen: 0 },
          endpoints: { enabled: 0, disabled: 0 },
          perEndpoint: [{ id: "ep_gone", pending: 0 }],
          alertsFlapping: 0,
        });
      });
    });
  });
}
