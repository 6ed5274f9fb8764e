import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_HEALTH_POLICY } from "../../src/core/health.ts";
import { newId } from "../../src/core/ids.ts";
import type { ClaimedDelivery, DeliveryOutcome } from "../../src/core/types.ts";
import type { Store } from "../../src/store/store.ts";
import { testBackends, withTestStore } from "../support/backends.ts";
import { outcomeOf } from "../support/outcomes.ts";

// claimDue with a fallback endpoint: a failing endpoint's deliveries go to its fallback under the
// fallback's concurrency cap, counted together with the fallback's own, across claimers.

const T0 = 1_700_000_000_000;
const OPTS = { health: { ...DEFAULT_HEALTH_POLICY, failures: 1, failureRatePct: 0, cooldownMs: 60_000 }, opsTenant: null };

async function seed(store: Store): Promise<{ p: string; f: string }> {
  await store.createTenant({ id: "acme", name: null, metadata: {}, createdAt: T0, updatedAt: T0 });
  const make = (eventTypes: string[], fallbackEndpointId: string | null) =>
    store.createEndpoint(
      {
        id: newId("ep"),
        tenantId: "acme",
        url: "http://127.0.0.1:1/x",
        name: null,
        description: null,
        eventTypes,
        enabled: true,
        secretEnc: "v1:x",
        fallbackEndpointId,
      },
      T0,
    );
  const f = await make(["b.*"], null);
  const p = await make(["a.*"], f.id);
  return { p: p.id, f: f.id };
}

/** The outcome of a successful attempt, at the endpoint the claim sent it to. */
function sent(c: ClaimedDelivery, at: number): DeliveryOutcome {
  const o = outcomeOf(c, "succeeded", null, at);
  const to = c.sendTo?.endpointId ?? null;
  return to === null ? o : { ...o, sentToEndpointId: to, attempt: { ...o.attempt, sentToEndpointId: to } };
}

const events = (n: number, type: string) => Array.from({ length: n }, (_, i) => ({ id: newId("evt"), type, payload: `{"i":${i}}`, idempotencyKey: null }));

for (const backend of await testBackends()) {
  describe(`${backend}: claimDue with a fallback endpoint`, () => {
    it("sends a failing endpoint's deliveries to its fallback, within the fallback's concurrency cap", async () => {
      await withTestStore(backend, async (store) => {
        const { p, f } = await seed(store);
        // One failed attempt opens the primary's circuit (failures: 1) for a minute.
        await store.ingest("acme", events(1, "a.x"), T0, 0);
        const [first] = await store.claimDue({ limit: 10, leaseMs: 60_000, owner: "A", now: T0, endpointConcurrency: 3 });
        assert.equal(first.sendTo ?? null, null, "a closed circuit: the endpoint's own");
        await store.complete("A", [outcomeOf(first, "pending", T0 + 1, T0)], T0, OPTS);
        assert.equal((await store.getEndpointHealth("acme", [p])).get(p)?.circuit, "open");

        // Its retry goes to the fallback; so does the failing notice about it (the fallback does not
        // subscribe to tocsin.*: it gets a delivery of its own).
        const pre = await store.claimDue({ limit: 100, leaseMs: 60_000, owner: "A", now: T0 + 5, endpointConcurrency: 100 });
        assert.deepEqual(
          pre.map((c) => [c.endpointId, c.eventType, c.sendTo?.endpointId ?? null]).sort(),
          [
            [f, "tocsin.endpoint.failing", null],
            [p, "a.x", f],
          ].sort(),
        );
        await store.complete(
          "A",
          pre.map((c) => sent(c, T0 + 6)),
          T0 + 6,
          OPTS,
        );

        await store.ingest("acme", events(5, "a.x"), T0 + 10, 0);
        const a = await store.claimDue({ limit: 100, leaseMs: 60_000, owner: "A", now: T0 + 10, endpointConcurrency: 3 });
        assert.equal(a.length, 3, "up to the fallback's cap");
        for (const c of a) assert.deepEqual([c.endpointId, c.sendTo?.endpointId], [p, f]);
        const one = a[0]!;
        assert.equal((await store.getDelivery("acme", one.id))?.sentToEndpointId, f);
        // The fallback's own deliveries count together with those it took, across claimers.
        await store.ingest("acme", events(5, "b.x"), T0 + 11, 0);
        assert.equal((await store.claimDue({ limit: 100, leaseMs: 60_000, owner: "B", now: T0 + 12, endpointConcurrency: 3 })).length, 0);

        // The fallback's health takes the result; the primary's circuit stays open.
        await store.complete("A", [sent(one, T0 + 20)], T0 + 20, OPTS);
        const health = await store.getEndpointHealth("acme", [p, f]);
        assert.equal(health.get(p)?.circuit, "open");
        assert.equal(health.get(f)?.lastSuccessAt, T0 + 23);
        const d = await store.getDelivery("acme", one.id);
        assert.equal(d?.status, "succeeded");
        assert.equal(d?.sentToEndpointId, f);
        assert.equal((await store.listAttempts("acme", one.id)).at(-1)?.sentToEndpointId, f);
        assert.equal(
          (await store.claimDue({ limit: 100, leaseMs: 60_000, owner: "B", now: T0 + 21, endpointConcurrency: 3 })).length,
          1,
          "one slot free again",
        );
      });
    });
  });
}
