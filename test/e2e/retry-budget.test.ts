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
});
