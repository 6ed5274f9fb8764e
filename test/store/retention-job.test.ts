import assert from "node:assert/strict";
import { describe, it } from "node:test";
import pino from "pino";
import { startRetention } from "../../src/delivery/retention.ts";
import type { Store } from "../../src/store/store.ts";
import { testBackends, withTestStore } from "../support/backends.ts";

// The retention job as several processes would run it on one database: every runner ticks, only
// the holder of the "retention" lease purges.
for (const backend of await testBackends()) {
  describe(`${backend}: retention job`, () => {
    it("purges from one runner at a time, and another takes over when the holder stops", async () => {
      await withTestStore(backend, async (store) => {
        const purges = { A: 0, B: 0 };
        // The clock stands still, so the holder's lease never runs out while it keeps renewing.
        let now = 1_700_000_000_000;
        const runner = (name: "A" | "B") =>
          startRetention({
            store: { ...store, purge: async (...args: Parameters<Store["purge"]>) => (purges[name]++, store.purge(...args)) },
            logger: pino({ level: "silent" }),
            retentionMs: 30 * 86_400_000,
            intervalMs: 40,
            now: () => now,
            owner: `runner-${name}`,
          });
        const stopA = runner("A");
        // Let A tick first and take the lease, then start B beside it.
        for (let i = 0; i < 100 && purges.A === 0; i++) await new Promise((r) => setTimeout(r, 10));
        const stopB = runner("B");
        await new Promise((r) => setTimeout(r, 400));
        await stopA();
        assert.ok(purges.A >= 2, `A purged ${purges.A} times`);
        assert.equal(purges.B, 0, "B must not purge while A holds the lease");
        // A is gone; once its lease (two intervals) has run out, B takes over.
        now += 81;
        for (let i = 0; i < 100 && purges.B === 0; i++) await new Promise((r) => setTimeout(r, 10));
        await stopB();
        assert.ok(purges.B >= 1, "B took over after A's lease expired");
      });
    });
  });
}
