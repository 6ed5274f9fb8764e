import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defaultSettings } from "../../src/core/endpoint-settings.ts";
import { newId, newUlid as newUlidAt } from "../../src/core/ids.ts";
import type { ClaimedDelivery, DeliveryOutcome } from "../../src/core/types.ts";
import type { Store } from "../../src/store/store.ts";
import { testBackends, withTestStore } from "../support/backends.ts";
import { outcomeOf } from "../support/outcomes.ts";

const T0 = 1_700_000_000_000;

async function seed(store: Store, endpoints: { id?: string; types?: string[]; enabled?: boolean }[]) {
  await store.createTenant({ id: "acme", name: null, metadata: {}, createdAt: T0, updatedAt: T0 });
  const ids: string[] = [];
  for (const e of endpoints) {
    const ep = await store.createEndpoint(
      {
        id: e.id ?? newId("ep"),
        tenantId: "acme",
        url: "http://127.0.0.1:1/x",
        name: null,
        description: null,
        eventTypes: e.types ?? ["*"],
        enabled: e.enabled ?? true,
        secretEnc: "v1:x",
      },
      T0,
    );
    ids.push(ep.id);
  }
  return ids;
}

const events = (n: number, type = "a.b") => Array.from({ length: n }, (_, i) => ({ id: newId("evt"), type, payload: `{"i":${i}}`, idempotencyKey: null }));

const outcome = (c: ClaimedDelivery, status: DeliveryOutcome["status"], next: number | null = null) => outcomeOf(c, status, next, T0);

for (const backend of await testBackends()) {
  describe(`${backend}: ingest, claimDue and complete`, () => {
    it("ingests atomically and answers null for an unknown tenant", async () => {
      await withTestStore(backend, async (store) => {
        assert.equal(await store.ingest("nobody", events(1), T0, 1000), null);
        await seed(store, [{ types: ["a.*"] }, { types: ["b"] }]);
        const r = await store.ingest("acme", events(3), T0, 1000);
        assert.deepEqual(
          r?.map((x) => x.deliveries),
          [1, 1, 1],
        );
      });
    });

    it("leases due deliveries to one owner and never hands the same one out twice", async () => {
      await withTestStore(backend, async (store) => {
        await seed(store, [{}]);
        await store.ingest("acme", events(10), T0, 1000);
        const a = await store.claimDue({ limit: 6, leaseMs: 1000, owner: "A", now: T0, endpointConcurrency: 100 });
        const b = await store.claimDue({ limit: 6, leaseMs: 1000, owner: "B", now: T0, endpointConcurrency: 100 });
        assert.equal(a.length, 6);
        assert.equal(b.length, 4);
        assert.equal(new Set([...a, ...b].map((c) => c.id)).size, 10);
        assert.equal(a[0].payload.startsWith('{"i":'), true);
        assert.equal((await store.claimDue({ limit: 6, leaseMs: 1000, owner: "C", now: T0, endpointConcurrency: 100 })).length, 0);
      });
    });

    it("caps the deliveries in flight per endpoint across owners", async () => {
      await withTestStore(backend, async (store) => {
        const [slow, fast] = await seed(store, [{}, {}]);
        await store.ingest("acme", events(20), T0, 1000);
        const a = await store.claimDue({ limit: 100, leaseMs: 1000, owner: "A", now: T0, endpointConcurrency: 3 });
        const b = await store.claimDue({ limit: 100, leaseMs: 1000, owner: "B", now: T0, endpointConcurrency: 3 });
        assert.equal(a.filter((c) => c.endpointId === slow).length, 3);
        assert.equal(a.filter((c) => c.endpointId === fast).length, 3);
        assert.equal(b.length, 0, "both endpoints are at their cap");
        await store.complete(
          "A",
          a.filter((c) => c.endpointId === fast).map((c) => outcome(c, "succeeded")),
          T0,
        );
        const c = await store.claimDue({ limit: 100, leaseMs: 1000, owner: "B", now: T0, endpointConcurrency: 3 });
        assert.deepEqual(
          c.map((x) => x.endpointId),
          [fast, fast, fast],
        );
      });
    });

    it("skips disabled endpoints and does not claim deliveries before they are due", async () => {
      await withTestStore(backend, async (store) => {
        const [ep] = await seed(store, [{}]);
        await store.ingest("acme", events(2), T0, 1000);
        await store.updateEndpoint("acme", ep, { enabled: false, disabledReason: "manual" }, T0);
        assert.equal((await store.claimDue({ limit: 10, leaseMs: 1000, owner: "A", now: T0, endpointConcurrency: 10 })).length, 0);
        await store.updateEndpoint("acme", ep, { enabled: true, disabledReason: null }, T0);
        const [first] = await store.claimDue({ limit: 1, leaseMs: 1000, owner: "A", now: T0, endpointConcurrency: 10 });
        await store.complete("A", [outcome(first, "pending", T0 + 5000)], T0);
        const again = await store.claimDue({ limit: 10, leaseMs: 1000, owner: "A", now: T0 + 1000, endpointConcurrency: 10 });
        assert.equal(again.length, 1, "only the never-tried delivery is due");
        assert.notEqual(again[0].id, first.id);
        const later = await store.claimDue({ limit: 10, leaseMs: 1000, owner: "A", now: T0 + 5000, endpointConcurrency: 10 });
        assert.equal(later[0]?.id, first.id);
        assert.equal(later[0].attempts, 1);
      });
    });

    it("fences completion by owner: an expired, re-claimed lease cannot be overwritten", async () => {
      await withTestStore(backend, async (store) => {
        await seed(store, [{}]);
        await store.ingest("acme", events(1), T0, 1000);
        const [a] = await store.claimDue({ limit: 1, leaseMs: 1000, owner: "A", now: T0, endpointConcurrency: 10 });
        assert.equal(await store.releaseExpiredLeases(T0 + 500), 0, "a live lease is not released");
        assert.equal(await store.releaseExpiredLeases(T0 + 1001), 1);
        const [b] = await store.claimDue({ limit: 1, leaseMs: 1000, owner: "B", now: T0 + 1001, endpointConcurrency: 10 });
        assert.equal(b.id, a.id);
        await store.complete("A", [outcome(a, "failed")], T0 + 1002);
        assert.equal((await store.getDelivery("acme", a.id))?.status, "delivering", "A's late outcome changed nothing");
        assert.equal((await store.listAttempts("acme", a.id)).length, 0);
        await store.complete("B", [outcome(b, "succeeded")], T0 + 1003);
        const d = await store.getDelivery("acme", a.id);
        assert.equal(d?.status, "succeeded");
        assert.equal(d?.attempts, 1);
        assert.equal((await store.listAttempts("acme", a.id)).length, 1);
      });
    });

    it("hands an owner's leases back on releaseOwned and cancels them when the endpoint is deleted", async () => {
      await withTestStore(backend, async (store) => {
        const [ep] = await seed(store, [{}]);
        await store.ingest("acme", events(4), T0, 1000);
        const claimed = await store.claimDue({ limit: 2, leaseMs: 60_000, owner: "A", now: T0, endpointConcurrency: 10 });
        assert.equal(await store.releaseOwned("A", T0), 2);
        assert.equal((await store.claimDue({ limit: 10, leaseMs: 60_000, owner: "B", now: T0, endpointConcurrency: 10 })).length, 4);
        assert.equal(await store.deleteEndpoint("acme", ep, T0), true);
        assert.equal((await store.getDelivery("acme", claimed[0].id))?.status, "cancelled");
        const page = await store.listDeliveries("acme", { status: "cancelled" }, { limit: 10, cursor: null });
        assert.equal(page.data.length, 4);
      });
    });

    it("disables the endpoint with the outcome's reason in the same transaction", async () => {
      await withTestStore(backend, async (store) => {
        const [ep] = await seed(store, [{}]);
        await store.ingest("acme", events(1), T0, 1000);
        const [c] = await store.claimDue({ limit: 1, leaseMs: 1000, owner: "A", now: T0, endpointConcurrency: 10 });
        await store.complete("A", [{ ...outcome(c, "failed"), disableEndpoint: "gone" }], T0);
        const e = await store.getEndpoint("acme", ep);
        assert.equal(e?.enabled, false);
        assert.equal(e?.disabledReason, "gone");
        assert.equal(e?.version, 2);
      });
    });

    it("returns the original event for an idempotency key inside its window only", async () => {
      await withTestStore(backend, async (store) => {
        await seed(store, [{}]);
        const one = { id: newId("evt"), type: "a", payload: "1", idempotencyKey: "k" };
        const [first] = (await store.ingest("acme", [one], T0, 1000))!;
        const [dup] = (await store.ingest("acme", [{ ...one, id: newId("evt") }], T0 + 999, 1000))!;
        assert.equal(dup.id, first.id);
        assert.equal(dup.duplicate, true);
        const [fresh] = (await store.ingest("acme", [{ ...one, id: newId("evt") }], T0 + 1001, 1000))!;
        assert.notEqual(fresh.id, first.id);
        assert.equal(fresh.duplicate, false);
      });
    });
  });
}

for (const backend of await testBackends()) {
  describe(`${backend}: concurrency and retention`, () => {
    it("never hands one delivery to two concurrent claimers and holds the endpoint cap across them", async () => {
      await withTestStore(backend, async (store) => {
        const eps = await seed(store, [{}, {}, {}]);
        await store.ingest("acme", events(300), T0, 1000); // 900 deliveries
        const seen = new Map<string, string>();
        const inflight = new Map<string, Set<string>>(eps.map((e) => [e, new Set()]));
        let maxInflight = 0;
        const claimer = async (owner: string) => {
          for (let round = 0; round < 2000; round++) {
            const got = await store.claimDue({ limit: 7, leaseMs: 60_000, owner, now: T0, endpointConcurrency: 5 });
            for (const c of got) {
              assert.equal(seen.has(c.id), false, `${c.id} claimed by ${seen.get(c.id)} and ${owner}`);
              seen.set(c.id, owner);
              inflight.get(c.endpointId)!.add(c.id);
            }
            for (const s of inflight.values()) maxInflight = Math.max(maxInflight, s.size);
            await store.complete(
              owner,
              got.map((c) => outcome(c, "succeeded")),
              T0,
            );
            for (const c of got) inflight.get(c.endpointId)!.delete(c.id);
            if (seen.size === 900) return;
            if (got.length === 0) await new Promise((r) => setTimeout(r, 2));
          }
        };
        await Promise.all(["A", "B", "C", "D"].map(claimer));
        assert.equal(seen.size, 900);
        assert.ok(maxInflight <= 5, `at most 5 in flight per endpoint, saw ${maxInflight}`);
        const done = await store.listDeliveries("acme", { status: "succeeded" }, { limit: 1000, cursor: null });
        assert.equal(done.data.length, 900);
      });
    });

    it("purges finished deliveries, their attempts and events before the cutoff, and keeps unfinished ones", async () => {
      await withTestStore(backend, async (store) => {
        await seed(store, [{}]);
        const old = Date.now() - 40 * 86_400_000;
        const oldEvents = events(5).map((e, i) => ({ ...e, id: `evt_${idAt(old + i)}` }));
        await store.ingest("acme", oldEvents, old, 1000);
        const claimed = await store.claimDue({ limit: 3, leaseMs: 1000, owner: "A", now: old, endpointConcurrency: 10 });
        await store.complete(
          "A",
          claimed.map((c) => outcome(c, "succeeded")),
          old,
        );
        await store.ingest("acme", events(2), Date.now(), 1000);
        let purged = 0;
        for (let i = 0; i < 20; i++) {
          const n = await store.purge(Date.now() - 30 * 86_400_000, Date.now(), 2);
          purged += n;
          if (n === 0) break;
        }
        assert.ok(purged > 0);
        const evs = await store.listEvents("acme", { limit: 100, cursor: null }, {});
        assert.equal(evs.data.length, 4, "2 new events and the 2 old ones whose deliveries are still pending remain");
        const left = await store.listDeliveries("acme", {}, { limit: 100, cursor: null });
        assert.equal(left.data.filter((d) => d.status === "succeeded").length, 0);
        assert.equal(left.data.filter((d) => d.status === "pending").length, 4);
        for (const c of claimed) assert.equal((await store.listAttempts("acme", c.id)).length, 0);
      });
    });

    it("holds back deliveries of endpoints whose validation has not passed, and fences the result by version", async () => {
      await withTestStore(backend, async (store) => {
        await store.createTenant({ id: "acme", name: null, metadata: {}, createdAt: T0, updatedAt: T0 });
        const settings = { ...defaultSettings(), validation: { mode: "token-path" as const, method: "POST" as const } };
        const ep = await store.createEndpoint(
          {
            id: newId("ep"),
            tenantId: "acme",
            url: "http://127.0.0.1:1/x",
            name: null,
            description: null,
            eventTypes: ["*"],
            enabled: true,
            secretEnc: "v1:x",
            settings,
            validationStatus: "pending",
          },
          T0,
        );
        assert.equal(ep.validationStatus, "pending");
        assert.deepEqual(ep.settings, settings);
        assert.equal((await store.ingest("acme", events(3), T0, 1000))?.[0].deliveries, 1, "deliveries fan out while validation is pending");
        const claim = () => store.claimDue({ limit: 10, leaseMs: 1000, owner: "A", now: T0, endpointConcurrency: 10 });
        assert.equal((await claim()).length, 0, "pending validation: nothing is claimed");
        assert.deepEqual(
          (await store.listPendingValidation(10)).map((e) => e.id),
          [ep.id],
        );
        assert.equal(await store.setValidationResult("acme", ep.id, ep.version, "failed", "HTTP 404", T0 + 1), true);
        assert.equal((await claim()).length, 0, "failed validation: nothing is claimed");
        const failed = await store.getEndpoint("acme", ep.id);
        assert.deepEqual([failed?.validationStatus, failed?.validationError, failed?.version], ["failed", "HTTP 404", ep.version]);
        // The URL changes while a validation runs: its result (for the old version) is not recorded.
        const moved = await store.updateEndpoint("acme", ep.id, { url: "http://127.0.0.1:2/y", validationStatus: "pending" }, T0 + 2);
        assert.equal(await store.setValidationResult("acme", ep.id, ep.version, "passed", null, T0 + 3), false);
        assert.equal((await store.getEndpoint("acme", ep.id))?.validationStatus, "pending");
        assert.equal(await store.setValidationResult("acme", ep.id, moved!.version, "passed", null, T0 + 4), true);
        const passed = await store.getEndpoint("acme", ep.id);
        assert.deepEqual([passed?.validationStatus, passed?.validatedAt], ["passed", T0 + 4]);
        assert.equal((await claim()).length, 3);
        assert.equal((await store.listPendingValidation(10)).length, 0);
      });
    });

    it("filters by minSeverity at ingest and keeps settings, credentials and the previous secret", async () => {
      await withTestStore(backend, async (store) => {
        await store.createTenant({ id: "acme", name: null, metadata: {}, createdAt: T0, updatedAt: T0 });
        const base = { tenantId: "acme", url: "http://127.0.0.1:1/x", name: null, description: null, eventTypes: ["*"], enabled: true, secretEnc: "v2:k:s" };
        const high = await store.createEndpoint({ ...base, id: newId("ep"), minSeverity: "high", credentialsEnc: "v2:k:c" }, T0);
        await store.createEndpoint({ ...base, id: newId("ep") }, T0);
        const r = await store.ingest(
          "acme",
          (["info", "high", "critical", null] as const).map((severity) => ({ ...events(1)[0], severity })),
          T0,
          1000,
        );
        assert.deepEqual(
          r?.map((x) => x.deliveries),
          [1, 2, 2, 1],
        );
        assert.equal((await store.getEvent("acme", r![1].id))?.severity, "high");
        assert.equal((await store.getEvent("acme", r![3].id))?.severity, null);
        await store.updateEndpoint("acme", high.id, { secretEnc: "v2:k:new", previousSecretEnc: "v2:k:s", previousSecretExpiresAt: T0 + 5 }, T0 + 1);
        const found = await store.getEndpointForDelivery(high.id);
        assert.deepEqual(found?.secrets, { secretEnc: "v2:k:new", previousSecretEnc: "v2:k:s", credentialsEnc: "v2:k:c" });
        assert.equal(found?.endpoint.previousSecretExpiresAt, T0 + 5);
        assert.equal(found?.endpoint.minSeverity, "high");
        assert.deepEqual(found?.endpoint.settings, defaultSettings(), "a row without settings reads as the defaults");
        assert.deepEqual(await store.getEndpointSecrets("other", high.id), null, "tenant-scoped");
      });
    });

    it("grants a named lease to one owner at a time, renews it for that owner, and frees it on expiry", async () => {
      await withTestStore(backend, async (store) => {
        assert.equal(await store.acquireLease("retention", "A", T0, 60_000), true);
        assert.equal(await store.acquireLease("retention", "B", T0 + 1, 60_000), false);
        assert.equal(await store.acquireLease("retention", "A", T0 + 30_000, 60_000), true, "the holder renews");
        // A's lease now runs to T0 + 90 s.
        assert.equal(await store.acquireLease("retention", "B", T0 + 89_999, 60_000), false);
        assert.equal(await store.acquireLease("retention", "B", T0 + 90_001, 60_000), true, "expired: another owner takes it");
        assert.equal(await store.acquireLease("retention", "A", T0 + 90_002, 60_000), false);
        assert.equal(await store.acquireLease("other-job", "A", T0 + 90_002, 60_000), true, "leases are per name");
        // Two owners racing for a free lease: exactly one wins.
        const race = await Promise.all(["C", "D", "E"].map((o) => store.acquireLease("race", o, T0, 60_000)));
        assert.equal(race.filter(Boolean).length, 1);
      });
    });
  });
}

function idAt(ms: number): string {
  return newUlidAt(ms);
}
