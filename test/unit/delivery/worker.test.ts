import assert from "node:assert/strict";
import { it } from "node:test";
import pino from "pino";
import { DEFAULT_SCHEDULE_MS } from "../../../src/core/retry-policy.ts";
import { createSecretBox } from "../../../src/core/secret-box.ts";
import type { ClaimedDelivery } from "../../../src/core/types.ts";
import { createWorker } from "../../../src/delivery/worker.ts";
import type { Store } from "../../../src/store/store.ts";

// The delivery loop's wake-up, alone: a wake (an ingest commit, or a NOTIFY from another process)
// that arrives while a claim is running must lead to another claim, not wait for the next poll.
// The store is a stand-in that records claims; the real stores are tested in test/store.
it("claims again after a wake that arrived during a claim, without waiting for the poll", async () => {
  const claims: number[] = [];
  let worker: ReturnType<typeof createWorker> | null = null;
  const store = {
    async claimDue(): Promise<ClaimedDelivery[]> {
      claims.push(Date.now());
      // New work commits while this claim's query is running (it did not see it).
      if (claims.length === 1) worker?.wake();
      return [];
    },
    async complete() {},
    async releaseExpiredLeases() {
      return 0;
    },
    async releaseOwned() {
      return 0;
    },
  } as unknown as Store;
  worker = createWorker({
    store,
    sender: { send: () => Promise.reject(new Error("nothing is sent in this test")), close: async () => {} },
    secretBox: createSecretBox(Buffer.alloc(32, 1)),
    logger: pino({ level: "silent" }),
    policy: { scheduleMs: DEFAULT_SCHEDULE_MS, jitter: 0, retryAfterMinMs: 0, retryAfterMaxMs: 0 },
    concurrency: 8,
    endpointConcurrency: 4,
    leaseMs: 30_000,
    pollIntervalMs: 60_000,
    userAgent: "test",
    now: () => Date.now(),
  });
  worker.start();
  try {
    for (let i = 0; i < 100 && claims.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(claims.length, 2, "the second claim should follow the wake, not the 60 s poll");
    // And then it waits: no busy loop once nothing is pending.
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(claims.length, 2);
  } finally {
    await worker.stop(1_000);
  }
});
