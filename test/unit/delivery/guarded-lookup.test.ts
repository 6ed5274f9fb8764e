import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createDestinationPolicy } from "../../../src/core/addresses.ts";
import { BlockedDestinationError, createGuardedLookup } from "../../../src/delivery/guarded-lookup.ts";
import { startDnsServer } from "../../support/dns-server.ts";

describe("guarded lookup", () => {
  it("refuses a name that resolves to private addresses without naming them to the tenant, and tells the operator which", async () => {
    const dns = await startDnsServer((name) => (name === "intranet.test" ? ["10.0.0.1", "192.168.7.7"] : []));
    try {
      const told: { hostname: string; addresses: readonly string[] }[] = [];
      const lookup = createGuardedLookup(createDestinationPolicy(false), [dns.address], (hostname, addresses) => told.push({ hostname, addresses }));
      const err = await new Promise<Error | null>((resolve) => lookup("intranet.test", { all: true }, (e) => resolve(e)));
      assert.ok(err instanceof BlockedDestinationError, String(err));
      assert.equal(err.message, "intranet.test resolves to a private or reserved address: deliveries there are refused");
      assert.doesNotMatch(err.message, /10\.0\.0\.1|192\.168/);
      assert.deepEqual(err.addresses, ["10.0.0.1", "192.168.7.7"]);
      assert.deepEqual(told, [{ hostname: "intranet.test", addresses: ["10.0.0.1", "192.168.7.7"] }]);
    } finally {
      await dns.close();
    }
  });
});
