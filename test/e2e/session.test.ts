import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createApi, withBackendServer } from "../support/server.ts";

describe("GET /v1/session", () => {
  it("tells admin keys, tenant keys and portal tokens who they are, and refuses revoked and expired ones", async () => {
    let offset = 0;
    const now = () => Date.now() + offset;
    await withBackendServer(
      "sqlite",
      {},
      async ({ url, api: admin }) => {
        assert.deepEqual((await admin("GET", "/v1/session")).body, {
          kind: "admin",
          tenantId: null,
          scopes: ["events:write", "endpoints:write", "read"],
          expiresAt: null,
        });

        const expiresAt = new Date(now() + 3_600_000).toISOString();
        const created = (await admin<{ key: string }>("POST", "/v1/keys", { name: "expiring admin", expiresAt })).body.key;
        assert.deepEqual((await createApi(url, created)("GET", "/v1/session")).body, {
          kind: "admin",
          tenantId: null,
          scopes: ["events:write", "endpoints:write", "read"],
          expiresAt,
        });

        assert.equal((await admin("POST", "/v1/tenants", { id: "acme" })).status, 201);
        // A key without `read` may still ask who it is.
        const writer = (await admin<{ key: string; id: string }>("POST", "/v1/tenants/acme/keys", { name: "producer", scopes: ["events:write"] })).body;
        const asWriter = createApi(url, writer.key);
        const me = await asWriter("GET", "/v1/session");
        assert.equal(me.status, 200, JSON.stringify(me.body));
        assert.deepEqual(me.body, { kind: "tenant", tenantId: "acme", scopes: ["events:write"], expiresAt: null });

        const portal = (await admin<{ token: string; id: string; expiresAt: string }>("POST", "/v1/tenants/acme/portal-sessions", { ttlSeconds: 600 })).body;
        const asPortal = createApi(url, portal.token);
        assert.deepEqual((await asPortal("GET", "/v1/session")).body, {
          kind: "portal",
          tenantId: "acme",
          scopes: ["endpoints:write", "read"],
          expiresAt: portal.expiresAt,
        });
        const head = await fetch(`${url}/v1/session`, { method: "HEAD", headers: { authorization: `Bearer ${portal.token}` } });
        assert.equal(head.status, 200);

        const unauthorized = async (call: Promise<{ status: number; body: Record<string, unknown> }>, what: string) => {
          const r = await call;
          assert.deepEqual([r.status, r.body.code], [401, "unauthorized"], what);
        };
        assert.equal((await admin("DELETE", `/v1/tenants/acme/keys/${writer.id}`)).status, 204);
        await unauthorized(asWriter("GET", "/v1/session"), "revoked tenant key");
        assert.equal((await admin("DELETE", `/v1/keys/${portal.id}`)).status, 204);
        await unauthorized(asPortal("GET", "/v1/session"), "revoked portal session");
        await unauthorized(createApi(url, "tsk_not_a_key")("GET", "/v1/session"), "unknown key");
        const anonymous = await fetch(`${url}/v1/session`);
        assert.equal(anonymous.status, 401);

        const shortLived = (await admin<{ token: string }>("POST", "/v1/tenants/acme/portal-sessions", { ttlSeconds: 60 })).body.token;
        assert.equal((await createApi(url, shortLived)("GET", "/v1/session")).status, 200);
        offset += 61_000;
        await unauthorized(createApi(url, shortLived)("GET", "/v1/session"), "expired portal session");
      },
      now,
    );
  });
});
