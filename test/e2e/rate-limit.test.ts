import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createApi, withServer } from "../support/server.ts";

describe("API rate limit per key", () => {
  it("answers 429 with Retry-After and a problem document past the limit, counting each key on its own", async () => {
    await withServer({ TOCSIN_RATE_LIMIT: "5" }, async ({ api, url }) => {
      assert.equal((await api("POST", "/v1/tenants", { id: "acme" })).status, 201);
      const key = await api<{ key: string }>("POST", "/v1/tenants/acme/keys", { name: "reader", scopes: ["read"] });
      assert.equal(key.status, 201, JSON.stringify(key.body));
      const statuses: number[] = [];
      let limited: Awaited<ReturnType<typeof api>> | null = null;
      for (let i = 0; i < 10; i++) {
        const r = await api("GET", "/v1/tenants/acme");
        statuses.push(r.status);
        if (r.status === 429) limited ??= r;
      }
      assert.deepEqual(statuses.slice(0, 3), [200, 200, 200]);
      assert.ok(limited, `no 429 among ${statuses.join(",")}`);
      assert.ok(Number(limited.headers.get("retry-after")) >= 1, String(limited.headers.get("retry-after")));
      assert.match(String(limited.headers.get("content-type")), /^application\/problem\+json/);
      assert.equal((limited.body as { code: string }).code, "rate_limited");
      // Another key has its own budget; health checks are not limited.
      const other = createApi(url, key.body.key);
      assert.equal((await other("GET", "/v1/tenants/acme")).status, 200);
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
    });
  });
});
