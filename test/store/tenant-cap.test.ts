import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defaultSettings } from "../../src/core/endpoint-settings.ts";
import { newId } from "../../src/core/ids.ts";
import type { ClaimedDelivery } from "../../src/core/types.ts";
import type { ClaimOptions, Store } from "../../src/store/store.ts";
import { testBackends, withTestStore } from "../support/backends.ts";
import { outcomeOf } from "../support/outcomes.ts";

// The per-tenant cap of a claim: the worker passes what it has in flight per tenant, and the claim
// takes nothing for a tenant at its cap and stops taking for one as soon as it reaches it.

const T0 = 1_700_000_000_000;

async function tenantWith(store: Store, tenant: string, endpoints: number, batch: { maxEvents: number; maxWaitMs: number } | null = null): Promise<string[]> {
  await store.createTenant({ id: tenant, name: null, metadata: {}, createdAt: T0, updatedAt: T0 });
  const ids: string[] = [];
  for (let i = 0; i < endpoints; i++) {
    const ep = await store.createEndpoint(
      {
        id: newId("ep"),
        tenantId: tenant,
        url: "http://127.0.0.1:1/x",
        name: null,
        description: null,
        eventTypes: ["*"],
        enabled: true,
        secretEnc: "v1:x",
        settings: { ...defaultSettings(), batch },
      },
      T0,
    );
    ids.push(ep.id);
  }
  return ids;
}

const events = (n: number) => Array.from({ length: n }, (_, i) => ({ id: newId("evt"), type: "a.b", payload: `{"i":${i}}`, idempotencyKey: null }));
const count = (claimed: ClaimedDelivery[], tenant: string) => claimed.filter((c) => c.tenantId === tenant).length;
const claim = (store: Store, o: Partial<ClaimOptions>) => store.claimDue({ limit: 256, leaseMs: 60_000, owner: "w", now: T0, endpointConcurrency: 10, ...o });

for (const backend of await testBackends()) {
  describe(`${backend}: claimDue with a per-tenant cap`, () => {
    it("claims nothing for a tenant at its cap and everything the others may take", async () => {
      await withTestStore(backend, async (store) => {
        await tenantWith(store, "noisy", 3);
        await tenantWith(store, "quiet", 1);
        await store.ingest("noisy", events(10), T0, 0);
        await store.ingest("quiet", events(3), T0, 0);
        const got = await claim(store, { tenantConcurrency: 4, tenantInFlight: new Map([["noisy", 4]]) });
        assert.equal(count(got, "noisy"), 0);
        assert.equal(count(got, "quiet"), 3);
      });
    });

    it("stops claiming for a tenant when it reaches its cap within one claim", async () => {
      await withTestStore(backend, async (store) => {
        await tenantWith(store, "noisy", 3);
        await tenantWith(store, "quiet", 2);
        await store.ingest("noisy", events(10), T0, 0);
        await store.ingest("quiet", events(10), T0, 0);
        // Noisy has 1 in flight of 5: room for 4 across its three endpoints; quiet none in flight.
        const got = await claim(store, { tenantConcurrency: 5, tenantInFlight: new Map([["noisy", 1]]) });
        assert.equal(count(got, "noisy"), 4);
        assert.equal(count(got, "quiet"), 5);
        // The next claim, with those in flight, takes nothing more for either.
        const inFlight = new Map([
          ["noisy", 5],
          ["quiet", 5],
        ]);
        assert.equal((await claim(store, { owner: "w2", tenantConcurrency: 5, tenantInFlight: inFlight })).length, 0);
        // Without a cap, the endpoints' own caps (10 each) are all that applies.
        const rest = await claim(store, { owner: "w3" });
        assert.equal(count(rest, "noisy"), 30 - 4);
        assert.equal(count(rest, "quiet"), 20 - 5);
      });
    });

    it("counts a batch as one request against its tenant's cap", async () => {
      await withTestStore(backend, async (store) => {
        await tenantWith(store, "noisy", 1, { maxEvents: 5, maxWaitMs: 60_000 });
        await store.ingest("noisy", events(20), T0, 0);
        // Four full batches are due; room for two requests.
        const got = await claim(store, { tenantConcurrency: 3, tenantInFlight: new Map([["noisy", 1]]) });
        assert.equal(got.length, 10);
        assert.equal(new Set(got.map((c) => c.batchId)).size, 2);
      });
    });

    it("counts a retried batch against its tenant's cap on an endpoint that no longer batches", async () => {
      await withTestStore(backend, async (store) => {
        const eps = await tenantWith(store, "noisy", 2, { maxEvents: 2, maxWaitMs: 0 });
        await store.ingest("noisy", events(2), T0, 0);
        // One batch per endpoint, sent and failed: both are due again at T0.
        const first = await claim(store, { owner: "a" });
        const batches = Map.groupBy(first, (c) => c.batchId!);
        assert.equal(batches.size, 2);
        await store.complete(
          "a",
          [...batches.values()].map((m) => ({ ...outcomeOf(m[0], "pending", T0, T0), memberIds: m.map((c) => c.id) })),
          T0,
        );
        // Batching turned off; new events go alone.
        for (const id of eps) await store.updateEndpoint("noisy", id, { settings: { ...defaultSettings(), batch: null } }, T0);
        await store.ingest("noisy", events(5), T0, 0);
        const got = await claim(store, { owner: "b", tenantConcurrency: 2, tenantInFlight: new Map() });
        const requests = new Set(got.map((c) => c.batchId ?? c.id));
        assert.equal(requests.size, 2, `requests claimed: ${[...requests].join(", ")}`);
      });
    });

    it("leaves a capped tenant's deliveries to another process with room", async () => {
      await withTestStore(backend, async (store) => {
        await tenantWith(store, "noisy", 2);
        await store.ingest("noisy", events(6), T0, 0);
        assert.equal((await claim(store, { owner: "a", tenantConcurrency: 2, tenantInFlight: new Map([["noisy", 2]]) })).length, 0);
        const b = await claim(store, { owner: "b", tenantConcurrency: 2, tenantInFlight: new Map() });
        assert.equal(b.length, 2);
      });
    });
  });
}
