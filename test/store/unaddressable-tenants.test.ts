import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pino } from "pino";
import { loadConfig } from "../../src/config.ts";
import type { ServiceDeps } from "../../src/services/deps.ts";
import { unaddressableTenants } from "../../src/services/tenants.ts";
import { testBackends, withTestStore } from "../support/backends.ts";

for (const backend of await testBackends()) {
  describe(`${backend}: tenants no URL can name`, () => {
    it("finds tenants whose id is . or .., made before such ids were refused, so the start-up log can name them", async () => {
      await withTestStore(backend, async (store) => {
        const d = { store, config: loadConfig({}), logger: pino({ level: "silent" }), now: () => 1 } as unknown as ServiceDeps;
        assert.deepEqual(await unaddressableTenants(d), []);
        // Written straight to the store, as an older version's API allowed.
        for (const id of ["..", "a.b", "..."]) await store.createTenant({ id, name: null, metadata: {}, createdAt: 1, updatedAt: 1 });
        assert.deepEqual(await unaddressableTenants(d), [".."]);
      });
    });
  });
}
