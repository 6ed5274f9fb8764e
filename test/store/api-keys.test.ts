import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ApiKeyKind, type Scope, displayPrefix, generateKey, hashKey } from "../../src/core/api-keys.ts";
import { newId } from "../../src/core/ids.ts";
import type { Store } from "../../src/store/store.ts";
import { testBackends, withTestStore } from "../support/backends.ts";

const T0 = 1_700_000_000_000;

async function addKey(store: Store, kind: ApiKeyKind, tenantId: string | null, opts: { scopes?: Scope[]; expiresAt?: number | null; at?: number } = {}) {
  const secret = generateKey(kind);
  const key = await store.createApiKey({
    id: newId("key", opts.at ?? T0),
    kind,
    tenantId,
    name: kind,
    scopes: opts.scopes ?? ["read"],
    hash: hashKey(secret),
    prefix: displayPrefix(secret),
    expiresAt: opts.expiresAt ?? null,
    createdAt: opts.at ?? T0,
  });
  return { key, secret };
}

for (const backend of await testBackends()) {
  describe(`${backend}: API keys in the store`, () => {
    it("finds a key by the hash of its secret, and lists keys without hashes", async () => {
      await withTestStore(backend, async (store) => {
        await store.createTenant({ id: "acme", name: null, metadata: {}, createdAt: T0, updatedAt: T0 });
        const admin = await addKey(store, "admin", null, { scopes: ["events:write", "endpoints:write", "read"] });
        const tenant = await addKey(store, "tenant", "acme", { scopes: ["events:write", "read"], expiresAt: T0 + 1000, at: T0 + 1 });
        const found = await store.findApiKeyByHash(hashKey(tenant.secret));
        assert.deepEqual(found, { key: tenant.key, hash: hashKey(tenant.secret) });
        assert.equal(await store.findApiKeyByHash(hashKey(`${tenant.secret}x`)), null);

        const all = await store.listApiKeys({}, { limit: 10, cursor: null });
        assert.deepEqual(all.data, [admin.key, tenant.key]);
        assert.ok(all.data.every((k) => !("hash" in k)));
        assert.deepEqual((await store.listApiKeys({ tenantId: "acme" }, { limit: 10, cursor: null })).data, [tenant.key]);
        assert.deepEqual((await store.listApiKeys({ kind: "admin" }, { limit: 10, cursor: null })).data, [admin.key]);
        const first = await store.listApiKeys({}, { limit: 1, cursor: null });
        assert.deepEqual((await store.listApiKeys({}, { limit: 1, cursor: first.nextCursor })).data, [tenant.key]);

        await store.touchApiKey(tenant.key.id, T0 + 5);
        assert.equal((await store.findApiKeyByHash(hashKey(tenant.secret)))?.key.lastUsedAt, T0 + 5);
      });
    });

    it("revokes a key only through its own tenant, keeps the first revocation time, and revokes a deleted tenant's keys", async () => {
      await withTestStore(backend, async (store) => {
        for (const id of ["acme", "globex"]) await store.createTenant({ id, name: null, metadata: {}, createdAt: T0, updatedAt: T0 });
        const a = await addKey(store, "tenant", "acme");
        const b = await addKey(store, "portal", "acme");
        const admin = await addKey(store, "admin", null);
        assert.equal(await store.revokeApiKey(a.key.id, "globex", T0 + 1), null);
        assert.equal((await store.revokeApiKey(a.key.id, "acme", T0 + 2))?.revokedAt, T0 + 2);
        assert.equal((await store.revokeApiKey(a.key.id, null, T0 + 3))?.revokedAt, T0 + 2);
        assert.equal(await store.revokeApiKey("key_nope", null, T0 + 3), null);

        assert.equal(await store.deleteTenant("acme", T0 + 4), true);
        assert.equal((await store.findApiKeyByHash(hashKey(b.secret)))?.key.revokedAt, T0 + 4);
        assert.equal((await store.findApiKeyByHash(hashKey(a.secret)))?.key.revokedAt, T0 + 2);
        assert.equal((await store.findApiKeyByHash(hashKey(admin.secret)))?.key.revokedAt, null);
      });
    });

    it("purges portal sessions that expired before the retention cutoff, and no other key", async () => {
      await withTestStore(backend, async (store) => {
        await store.createTenant({ id: "acme", name: null, metadata: {}, createdAt: T0, updatedAt: T0 });
        const old = await addKey(store, "portal", "acme", { expiresAt: T0 + 3600_000 });
        const recent = await addKey(store, "portal", "acme", { expiresAt: T0 + 10 * 86_400_000 });
        const expiredTenantKey = await addKey(store, "tenant", "acme", { expiresAt: T0 + 1000 });
        const cutoff = T0 + 86_400_000;
        assert.equal(await store.purge(cutoff, cutoff + 30 * 86_400_000, 100), 1);
        assert.equal(await store.purge(cutoff, cutoff + 30 * 86_400_000, 100), 0);
        assert.deepEqual(
          (await store.listApiKeys({}, { limit: 10, cursor: null })).data.map((k) => k.id),
          [recent.key.id, expiredTenantKey.key.id].sort(),
        );
        assert.equal(await store.findApiKeyByHash(hashKey(old.secret)), null);
      });
    });
  });
}
