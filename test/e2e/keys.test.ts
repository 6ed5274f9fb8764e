import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, it } from "node:test";
import { testBackends } from "../support/backends.ts";
import { createApi, withBackendServer } from "../support/server.ts";

type Problem = { status: number; code: string; detail: string; errors?: { path: string }[] };
type KeyDoc = {
  id: string;
  key?: string;
  kind: string;
  tenantId: string | null;
  name: string | null;
  scopes: string[];
  prefix: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  createdAt: string;
};
type Portal = { id: string; url: string; token: string; tenantId: string; scopes: string[]; expiresAt: string };

const KEY_FIELDS = ["createdAt", "expiresAt", "id", "kind", "lastUsedAt", "name", "prefix", "revokedAt", "scopes", "tenantId"];

/** A clock the test moves forward: keys and portal sessions expire without sleeping. */
function testClock() {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms: number) => void (offset += ms) };
}

for (const backend of await testBackends()) {
  describe(`${backend}: API keys`, () => {
    it("creates, lists and revokes admin keys; two keys work side by side for a rotation; the bootstrap key keeps working", async () => {
      const clock = testClock();
      await withBackendServer(
        backend,
        {},
        async ({ url, api }) => {
          const created = await api<KeyDoc>("POST", "/v1/keys", { name: "ci" });
          assert.equal(created.status, 201, JSON.stringify(created.body));
          const old = created.body;
          assert.match(old.id, /^key_[0-9A-Z]{26}$/);
          assert.match(old.key!, /^tsk_[A-Za-z0-9_-]{43}$/);
          assert.equal(old.prefix, old.key!.slice(0, 12));
          assert.deepEqual([old.kind, old.tenantId, old.name, old.expiresAt, old.revokedAt], ["admin", null, "ci", null, null]);
          assert.deepEqual(old.scopes, ["events:write", "endpoints:write", "read"]);
          assert.deepEqual(Object.keys(old).sort(), [...KEY_FIELDS, "key"].sort(), "no hash in the document");

          const oldApi = createApi(url, old.key!);
          assert.equal((await oldApi("POST", "/v1/tenants", { id: "acme" })).status, 201, "an admin key acts on every route");
          // Rotation: a second key, both accepted at once, then the old one revoked.
          const fresh = await oldApi<KeyDoc>("POST", "/v1/keys", { name: "ci (rotated)" });
          assert.equal(fresh.status, 201);
          const freshApi = createApi(url, fresh.body.key!);
          assert.equal((await freshApi("GET", "/v1/tenants")).status, 200);
          assert.equal((await oldApi("GET", "/v1/tenants")).status, 200);

          const list = await api<{ data: KeyDoc[] }>("GET", "/v1/keys");
          assert.equal(list.status, 200);
          assert.deepEqual(
            list.body.data.map((k) => k.id),
            [old.id, fresh.body.id],
          );
          for (const k of list.body.data) assert.deepEqual(Object.keys(k).sort(), KEY_FIELDS, "lists never carry a key or its hash");
          assert.ok(list.body.data[0].lastUsedAt, "last use is recorded, to see when clients have moved");
          assert.ok(!JSON.stringify(list.body).includes(old.key!));

          assert.equal((await api("DELETE", `/v1/keys/${old.id}`)).status, 204);
          const revoked = await oldApi<Problem>("GET", "/v1/tenants");
          assert.equal(revoked.status, 401);
          assert.equal(revoked.body.code, "unauthorized");
          assert.match(revoked.body.detail, /revoked/);
          assert.equal((await freshApi("GET", "/v1/tenants")).status, 200);
          assert.equal((await api("GET", "/v1/tenants")).status, 200, "the bootstrap key keeps working");
          assert.equal((await api("DELETE", `/v1/keys/${old.id}`)).status, 204, "revoking twice is harmless");
          assert.equal((await api<{ data: KeyDoc[] }>("GET", "/v1/keys")).body.data.length, 2);
          const listed = (await api<{ data: KeyDoc[] }>("GET", "/v1/keys")).body.data.find((k) => k.id === old.id)!;
          assert.ok(listed.revokedAt);
          assert.equal((await api<Problem>("DELETE", "/v1/keys/key_nope")).status, 404);

          // Expiry, on the server's clock.
          const expiring = await api<KeyDoc>("POST", "/v1/keys", { name: "temp", expiresAt: new Date(clock.now() + 60_000).toISOString() });
          assert.equal(expiring.status, 201);
          const expiringApi = createApi(url, expiring.body.key!);
          assert.equal((await expiringApi("GET", "/v1/tenants")).status, 200);
          clock.advance(61_000);
          const expired = await expiringApi<Problem>("GET", "/v1/tenants");
          assert.equal(expired.status, 401);
          assert.match(expired.body.detail, /expired/);

          for (const [body, path] of [
            [{}, "/name"],
            [{ name: "" }, "/name"],
            [{ name: "x", expiresAt: new Date(clock.now() - 1000).toISOString() }, "/expiresAt"],
            [{ name: "x", expiresAt: "tomorrow" }, "/expiresAt"],
            [{ name: "x", scopes: ["read"] }, "/scopes"],
          ] as const) {
            const r = await api<Problem>("POST", "/v1/keys", body);
            assert.equal(r.status, 400, JSON.stringify(body));
            assert.equal(r.body.errors?.[0].path, path, JSON.stringify(r.body));
          }
          const garbage = await fetch(`${url}/v1/tenants`, { headers: { authorization: "Bearer tsk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" } });
          assert.equal(garbage.status, 401);
        },
        clock.now,
      );
    });

    it("issues tenant keys with scopes: shown once, stored hashed, revoked with the tenant", async () => {
      await withBackendServer(backend, {}, async ({ url, api, dataDir }) => {
        await api("POST", "/v1/tenants", { id: "acme" });
        await api("POST", "/v1/tenants", { id: "globex" });
        const r = await api<KeyDoc>("POST", "/v1/tenants/acme/keys", { name: "alerting", scopes: ["read", "events:write"] });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        const key = r.body.key!;
        assert.deepEqual([r.body.kind, r.body.tenantId, r.body.scopes], ["tenant", "acme", ["events:write", "read"]]);
        assert.deepEqual(Object.keys(r.body).sort(), [...KEY_FIELDS, "key"].sort());

        const listed = await api<{ data: KeyDoc[] }>("GET", "/v1/tenants/acme/keys");
        assert.equal(listed.status, 200);
        assert.deepEqual(
          listed.body.data.map((k) => [k.id, k.prefix, k.scopes]),
          [[r.body.id, key.slice(0, 12), ["events:write", "read"]]],
        );
        assert.ok(!JSON.stringify(listed.body).includes(key), "the key is shown once");
        assert.deepEqual((await api<{ data: KeyDoc[] }>("GET", "/v1/tenants/globex/keys")).body.data, []);
        assert.deepEqual(
          (await api<{ data: KeyDoc[] }>("GET", "/v1/keys?tenantId=acme&kind=tenant")).body.data.map((k) => k.id),
          [r.body.id],
        );

        if (backend === "sqlite") {
          const db = new DatabaseSync(join(dataDir, "tocsin.db"), { readOnly: true });
          try {
            const row = db.prepare("SELECT * FROM api_keys WHERE id = ?").get(r.body.id) as Record<string, unknown>;
            assert.equal(row.hash, createHash("sha256").update(key).digest("hex"));
            assert.ok(!Object.values(row).some((v) => typeof v === "string" && v.includes(key)), "only the hash is stored");
          } finally {
            db.close();
          }
        }

        const acme = createApi(url, key);
        assert.equal((await acme("POST", "/v1/tenants/acme/events", { type: "a.b", payload: {} })).status, 202);
        assert.equal((await acme("GET", "/v1/tenants/acme/events")).status, 200);
        const noScope = await acme<Problem>("POST", "/v1/tenants/acme/endpoints", { url: "https://x.example/", eventTypes: ["*"] });
        assert.equal(noScope.status, 403);
        assert.equal(noScope.body.code, "forbidden");
        assert.match(noScope.body.detail, /endpoints:write/);
        assert.equal((await acme<Problem>("GET", "/v1/tenants/globex/events")).status, 404);

        for (const [body, path] of [
          [{ name: "x", scopes: [] }, "/scopes"],
          [{ name: "x", scopes: ["admin"] }, "/scopes/0"],
          [{ name: "x", scopes: ["read", "read"] }, "/scopes"],
          [{ name: "x" }, "/scopes"],
          [{ scopes: ["read"] }, "/name"],
        ] as const) {
          const bad = await api<Problem>("POST", "/v1/tenants/acme/keys", body);
          assert.equal(bad.status, 400, JSON.stringify(body));
          assert.equal(bad.body.errors?.[0].path, path, JSON.stringify(bad.body));
        }
        assert.equal((await api("POST", "/v1/tenants/nobody/keys", { name: "x", scopes: ["read"] })).status, 404);

        // Revoking through the wrong tenant finds nothing; through its own it takes effect at once.
        assert.equal((await api("DELETE", `/v1/tenants/globex/keys/${r.body.id}`)).status, 404);
        assert.equal((await acme("GET", "/v1/tenants/acme")).status, 200);
        const second = (await api<KeyDoc>("POST", "/v1/tenants/acme/keys", { name: "second", scopes: ["read"] })).body;
        assert.equal((await api("DELETE", `/v1/tenants/acme/keys/${r.body.id}`)).status, 204);
        assert.equal((await acme("GET", "/v1/tenants/acme")).status, 401);

        // Deleting the tenant revokes its keys: a tenant re-created with the same id does not inherit them.
        const secondApi = createApi(url, second.key!);
        assert.equal((await secondApi("GET", "/v1/tenants/acme")).status, 200);
        assert.equal((await api("DELETE", "/v1/tenants/acme")).status, 204);
        assert.equal((await api("POST", "/v1/tenants", { id: "acme" })).status, 201);
        assert.equal((await secondApi("GET", "/v1/tenants/acme")).status, 401);
        const history = (await api<{ data: KeyDoc[] }>("GET", "/v1/keys?tenantId=acme")).body.data;
        assert.deepEqual(
          history.map((k) => [k.id, Boolean(k.revokedAt)]),
          [
            [r.body.id, true],
            [second.id, true],
          ],
        );
        assert.equal((await api("GET", "/v1/tenants/nobody/keys")).status, 404);
      });
    });

    it("portal sessions manage the tenant's endpoints, never post events, see no other tenant, and expire", async () => {
      const clock = testClock();
      await withBackendServer(
        backend,
        {},
        async ({ url, api }) => {
          await api("POST", "/v1/tenants", { id: "acme" });
          await api("POST", "/v1/tenants", { id: "globex" });
          const globexEndpoint = (await api<{ id: string }>("POST", "/v1/tenants/globex/endpoints", { url: "https://g.example/", eventTypes: ["*"] })).body.id;

          const started = clock.now();
          const r = await api<Portal>("POST", "/v1/tenants/acme/portal-sessions");
          assert.equal(r.status, 201, JSON.stringify(r.body));
          const s = r.body;
          assert.match(s.token, /^tsp_[A-Za-z0-9_-]{43}$/);
          assert.equal(s.url, `${url}/portal#token=${s.token}`);
          assert.deepEqual([s.tenantId, s.scopes], ["acme", ["endpoints:write", "read"]]);
          const ttl = Date.parse(s.expiresAt) - started;
          assert.ok(ttl > 3_590_000 && ttl <= 3_601_000, `default lifetime is 1 h, got ${ttl} ms`);

          const portal = createApi(url, s.token);
          const created = await portal<{ id: string }>("POST", "/v1/tenants/acme/endpoints", { url: "https://a.example/", eventTypes: ["*"] });
          assert.equal(created.status, 201);
          assert.equal((await portal<{ data: unknown[] }>("GET", "/v1/tenants/acme/endpoints")).body.data.length, 1);
          assert.equal((await portal("GET", `/v1/tenants/acme/endpoints/${created.body.id}/secret`)).status, 200);
          const post = await portal<Problem>("POST", "/v1/tenants/acme/events", { type: "a.b", payload: {} });
          assert.equal(post.status, 403, "a customer cannot post alerts as the operator");
          assert.match(post.body.detail, /events:write/);
          assert.equal((await portal("GET", "/v1/tenants/globex/endpoints")).status, 404);
          assert.equal((await portal("GET", `/v1/tenants/globex/endpoints/${globexEndpoint}`)).status, 404);
          assert.equal((await portal("GET", `/v1/tenants/acme/endpoints/${globexEndpoint}`)).status, 404);
          assert.equal((await portal("GET", "/v1/tenants")).status, 403);
          assert.equal((await portal("POST", "/v1/tenants/acme/portal-sessions")).status, 403, "a session cannot extend itself");
          assert.equal((await portal("POST", "/v1/tenants/acme/keys", { name: "x", scopes: ["events:write"] })).status, 403);

          const sessions = await api<{ data: KeyDoc[] }>("GET", "/v1/tenants/acme/keys?kind=portal");
          assert.deepEqual(
            sessions.body.data.map((k) => [k.id, k.kind, k.expiresAt]),
            [[s.id, "portal", s.expiresAt]],
          );

          clock.advance(3_600_000);
          const expired = await portal<Problem>("GET", "/v1/tenants/acme/endpoints");
          assert.equal(expired.status, 401);
          assert.match(expired.body.detail, /expired/);

          // A short session, and one ended early by the operator.
          const short = (await api<Portal>("POST", "/v1/tenants/acme/portal-sessions", { ttlSeconds: 30 })).body;
          const left = Date.parse(short.expiresAt) - clock.now();
          assert.ok(left > 25_000 && left <= 30_000, `${left} ms`);
          const shortApi = createApi(url, short.token);
          assert.equal((await shortApi("GET", "/v1/tenants/acme")).status, 200);
          assert.equal((await api("DELETE", `/v1/keys/${short.id}`)).status, 204);
          assert.equal((await shortApi("GET", "/v1/tenants/acme")).status, 401);

          for (const body of [{ ttlSeconds: 0 }, { ttlSeconds: 86_401 }, { ttlSeconds: 1.5 }, { scopes: ["events:write"] }]) {
            assert.equal((await api("POST", "/v1/tenants/acme/portal-sessions", body)).status, 400, JSON.stringify(body));
          }
          assert.equal((await api("POST", "/v1/tenants/nobody/portal-sessions", {})).status, 404);
        },
        clock.now,
      );
    });

    it("builds portal links from TOCSIN_PUBLIC_URL when it is set (a proxy terminating TLS in front)", async () => {
      await withBackendServer(backend, { TOCSIN_PUBLIC_URL: "https://hooks.example.com" }, async ({ url, api }) => {
        await api("POST", "/v1/tenants", { id: "acme" });
        const r = await api<Portal>("POST", "/v1/tenants/acme/portal-sessions", {}, { "x-forwarded-proto": "http", "x-forwarded-host": "evil.example" });
        assert.equal(r.status, 201);
        assert.equal(r.body.url, `https://hooks.example.com/portal#token=${r.body.token}`);
        assert.ok(!r.body.url.startsWith(url));
      });
    });
  });
}
