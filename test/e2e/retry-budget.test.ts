import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { withReceiver } from "../support/receiver.ts";
import { eventually, setupTenant, withServer } from "../support/server.ts";

// A receiver that answers 429 with a short Retry-After must not burn the retry schedule faster
// than the schedule itself: the budget by age (TOCSIN_RETRY_BUDGET, by default the schedule's
// shortest span) keeps the delivery going until it is that old.

describe("Retry-After and the retry budget", () => {
  it(
    "retries a receiver answering 429 Retry-After: 1 until the budget by age, not only as many times as the schedule has steps",
    { timeout: 60_000 },
    async () => {
      await withReceiver(
        () => ({ status: 429, headers: { "retry-after": "1" } }),
        async (rx) => {
          // Two retries 2 s apart: a 4 s budget (no jitter in tests). Without it, the third answer ended it after ~2 s.
          await withServer({ TOCSIN_RETRY_SCHEDULE: "2s,2s" }, async ({ api, url }) => {
            await setupTenant(api, "acme", [{ url: rx.url }]);
            const ev = await api<{ id: string }>("POST", "/v1/tenants/acme/events", { type: "rate.limited", payload: {} });
            assert.equal(ev.status, 202);
            const failed = await eventually(
              async () => {
                const r = await api<{ data: { id: string; status: string; createdAt: string; updatedAt: string; attemptCount: number }[] }>(
                  "GET",
                  "/v1/tenants/acme/deliveries",
                );
                const d = r.body.data[0];
                return d?.status === "failed" ? d : null;
              },
              40_000,
              "the delivery to fail for good",
            );
            // At least the budget from creation to the last attempt; a second apart, so more attempts than the schedule's three.
            assert.ok(Date.parse(failed.updatedAt) - Date.parse(failed.createdAt) >= 4000, JSON.stringify(failed));
            assert.ok(failed.attemptCount >= 5, `${failed.attemptCount} attempts`);
            assert.equal(rx.requests.length, failed.attemptCount);
            const metrics = await (await fetch(`${url}/metrics`)).text();
            const m = /^tocsin_retry_after_reschedules_total (\d+)$/m.exec(metrics);
            assert.ok(m && Number(m[1]) === failed.attemptCount - 1, `reschedules: ${m?.[1]}, attempts: ${failed.attemptCount}`);
          });
        },
      );
    },
  );

  it("an endpoint with its own retry count is not kept going by the server's budget, and one with maxAgeMs is held to it", { timeout: 60_000 }, async () => {
    await withReceiver(
      () => ({ status: 429, headers: { "retry-after": "1" } }),
      async (rx) => {
        // The server's budget (10 s) would keep a 429 going past its three attempts; the endpoints' own policies replace it.
        await withServer(
          { TOCSIN_RETRY_SCHEDULE: "2s,2s", TOCSIN_RETRY_BUDGET: "10s", TOCSIN_CIRCUIT_FAILURES: "0", TOCSIN_CIRCUIT_FAILURE_RATE: "0" },
          async ({ api }) => {
            const [counted, aged] = await setupTenant(api, "acme", [{ url: `${rx.url}/counted` }, { url: `${rx.url}/aged` }]);
            for (const [id, retry] of [
              [counted, { maxAttempts: 2 }],
              [aged, { maxAgeMs: 4000 }],
            ] as const) {
              const r = await api("PATCH", `/v1/tenants/acme/endpoints/${id}`, { retry });
              assert.equal(r.status, 200, JSON.stringify(r.body));
            }
            assert.equal((await api("POST", "/v1/tenants/acme/events", { type: "rate.limited", payload: {} })).status, 202);
            type D = { endpointId: string; status: string; createdAt: string; attemptCount: number; id: string };
            const all = await eventually(
              async () => {
                const d = (await api<{ data: D[] }>("GET", "/v1/tenants/acme/deliveries")).body.data;
                return d.length === 2 && d.every((x) => x.status === "failed") ? d : null;
              },
              40_000,
              "both deliveries to fail for good",
            );
            const byEndpoint = new Map(all.map((d) => [d.endpointId, d]));
            assert.equal(byEndpoint.get(counted!)!.attemptCount, 2);
            assert.equal(rx.requests.filter((r) => r.path === "/counted").length, 2);
            // Retry-After: 1 within 4 s of the event, then no retry asked for past the age (the budget would have gone to 10 s).
            const a = byEndpoint.get(aged!)!;
            const detail = await api<{ attempts: { nextAttemptAt: string | null }[] }>("GET", `/v1/tenants/acme/deliveries/${a.id}`);
            for (const at of detail.body.attempts)
              if (at.nextAttemptAt) assert.ok(Date.parse(at.nextAttemptAt) - Date.parse(a.createdAt) <= 4000, at.nextAttemptAt);
            assert.ok(a.attemptCount >= 2, `${a.attemptCount} attempts`);
          },
        );
      },
    );
  });
});
