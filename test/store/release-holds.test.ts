import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { newId } from "../../src/core/ids.ts";
import type { Store } from "../../src/store/store.ts";
import { testBackends, withTestStore } from "../support/backends.ts";

// The release job at store level, with explicit times: a silence holds an alert's sends while it
// is active (a maintenance window only inside its window), and when it no longer does, one of
// several concurrent runs queues the alert's last event for the endpoint.

const SPRING = Date.parse("2026-03-29T00:00:00Z");
const at = (iso: string) => Date.parse(iso);

async function seed(store: Store): Promise<string> {
  await store.createTenant({ id: "acme", name: null, metadata: {}, createdAt: SPRING, updatedAt: SPRING });
  const ep = newId("ep");
  await store.createEndpoint(
    { id: ep, tenantId: "acme", url: "http://127.0.0.1:1/x", name: null, description: null, eventTypes: ["*"], enabled: true, secretEnc: "v1:x" },
    SPRING,
  );
  await store.createSilence({
    id: newId("sil"),
    tenantId: "acme",
    matchers: { fingerprint: "fp" },
    endpointIds: null,
    startsAt: SPRING,
    endsAt: null,
    schedule: { days: ["sun"], start: "02:00", end: "04:00", timeZone: "Europe/Berlin" },
    comment: "weekly",
    createdBy: { kind: "admin", keyId: "bootstrap", name: null },
    createdAt: SPRING,
    expiredEarly: false,
    suppressed: 0,
  });
  return ep;
}

const statuses = async (store: Store, eventId: string) =>
  (await store.listDeliveries("acme", { eventId }, { limit: 10, cursor: null })).data.map((d) => d.status).sort();

for (const backend of await testBackends()) {
  describe(`${backend}: releasing held alerts`, () => {
    it("holds an alert inside the spring window, and releases it once when the window closes, whoever runs the job", async () => {
      await withTestStore(backend, async (store) => {
        const ep = await seed(store);
        // 00:30Z is 01:30 CET: outside the window, which runs 01:00Z–02:00Z that Sunday.
        const [outside] = (await store.ingest(
          "acme",
          [{ id: newId("evt"), type: "x", payload: "{}", idempotencyKey: null, fingerprint: "fp-other" }],
          at("2026-03-29T00:30:00Z"),
          0,
        ))!;
        assert.deepEqual(await statuses(store, outside!.id), ["pending"]);
        const [held] = (await store.ingest(
          "acme",
          [{ id: newId("evt"), type: "x", payload: "{}", idempotencyKey: null, fingerprint: "fp" }],
          at("2026-03-29T01:30:00Z"),
          0,
        ))!;
        assert.deepEqual(await statuses(store, held!.id), ["suppressed"]);
        assert.deepEqual(
          (await store.getAlert("acme", "fp"))?.holds.map((h) => h.endpointId),
          [ep],
        );

        // Still inside the window: nothing is released.
        assert.deepEqual(await store.releaseHolds(at("2026-03-29T01:59:59Z")), { released: 0, queued: 0 });
        // The window has closed: two runs at once, one release.
        const runs = await Promise.all([store.releaseHolds(at("2026-03-29T02:00:00Z")), store.releaseHolds(at("2026-03-29T02:00:00Z"))]);
        assert.deepEqual(runs.map((r) => r.queued).sort(), [0, 1]);
        assert.deepEqual(await statuses(store, held!.id), ["pending", "suppressed"]);
        assert.deepEqual((await store.getAlert("acme", "fp"))?.holds, []);
        assert.deepEqual(await store.releaseHolds(at("2026-03-29T02:00:01Z")), { released: 0, queued: 0 }, "nothing is held any more");
      });
    });
  });
}
