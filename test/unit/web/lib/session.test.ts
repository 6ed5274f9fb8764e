import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { rmSync } from "node:fs";
import {
  type KeyValueStore,
  type Session,
  can,
  clearSession,
  detectSession,
  loadSession,
  readPortalFragment,
  saveSession,
  sessionFromDocument,
} from "../../../../web/src/lib/session.ts";
import { type TestServer, startServer } from "../../../support/server.ts";

function memoryStore(): KeyValueStore & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return { map, getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v), removeItem: (k) => void map.delete(k) };
}

describe("web console: sessions", () => {
  it("reads a portal link's fragment, with or without a tenant", () => {
    assert.deepEqual(readPortalFragment("#token=tsp_abc"), { token: "tsp_abc", tenant: null });
    assert.deepEqual(readPortalFragment("#token=tsp_abc&tenant=acme"), { token: "tsp_abc", tenant: "acme" });
    assert.equal(readPortalFragment(""), null);
    assert.equal(readPortalFragment("#token="), null);
    assert.equal(readPortalFragment("#other=1"), null);
  });

  it("keeps a session in storage and refuses a malformed one", () => {
    const store = memoryStore();
    const s: Session = { key: "tsp_x", kind: "portal", tenantId: "acme", scopes: ["endpoints:write", "read"], expiresAt: "2030-01-01T00:00:00.000Z" };
    saveSession(store, s);
    assert.deepEqual(loadSession(store), s);
    clearSession(store);
    assert.equal(loadSession(store), null);
    store.setItem("tocsin.session", "{not json");
    assert.equal(loadSession(store), null);
    store.setItem("tocsin.session", JSON.stringify({ key: "k", kind: "tenant" }));
    assert.equal(loadSession(store), null, "a tenant session without its tenant");
  });

  it("never lets a portal session post events, whatever the stored or served document says", () => {
    const s = sessionFromDocument("tsp_x", { kind: "portal", tenantId: "acme", scopes: ["events:write", "read"] });
    assert.deepEqual(s?.scopes, ["read"]);
    assert.equal(can(s!, "events:write"), false);
    const store = memoryStore();
    store.setItem("tocsin.session", JSON.stringify({ key: "tsp_x", kind: "portal", tenantId: "acme", scopes: ["events:write", "endpoints:write"] }));
    assert.deepEqual(loadSession(store)?.scopes, ["endpoints:write"]);
  });

  it("gives an admin every scope and reads no tenant from it", () => {
    const s = sessionFromDocument("k", { kind: "admin", tenantId: "ignored", scopes: [] });
    assert.deepEqual(s, { key: "k", kind: "admin", tenantId: null, scopes: ["events:write", "endpoints:write", "read"], expiresAt: null });
    assert.equal(sessionFromDocument("k", { kind: "tenant", tenantId: "", scopes: ["read"] }), null);
    assert.equal(sessionFromDocument("k", { kind: "root" }), null);
    assert.equal(sessionFromDocument("k", null), null);
  });
});

describe("web console: signing in against a real server", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ TOCSIN_CONSOLE: "false" });
    assert.equal((await server.api("POST", "/v1/tenants", { id: "acme" })).status, 201);
  });
  after(async () => {
    await server.stop();
    rmSync(server.dataDir, { recursive: true, force: true });
  });
  const detect = (key: string, tenant: string | null = null) => detectSession((url, init) => fetch(url, init), server.url, key, tenant);

  it("recognises the admin key", async () => {
    const r = await detect(server.apiKey);
    assert.ok("session" in r);
    assert.equal(r.session.kind, "admin");
    assert.equal(r.session.tenantId, null);
  });

  it("learns a portal token's tenant and scopes from the server", async () => {
    const p = await server.api<{ token: string; url: string }>("POST", "/v1/tenants/acme/portal-sessions", { ttlSeconds: 600 });
    assert.equal(p.status, 201);
    assert.equal(readPortalFragment(new URL(p.body.url).hash)?.token, p.body.token);
    const r = await detect(p.body.token);
    assert.ok("session" in r, JSON.stringify(r));
    assert.equal(r.session.kind, "portal");
    assert.equal(r.session.tenantId, "acme");
    assert.deepEqual([...r.session.scopes].sort(), ["endpoints:write", "read"]);
    assert.ok(r.session.expiresAt);
  });

  it("learns a tenant key's scopes", async () => {
    const k = await server.api<{ key: string }>("POST", "/v1/tenants/acme/keys", { name: "ro", scopes: ["read"] });
    const r = await detect(k.body.key);
    assert.ok("session" in r);
    assert.equal(r.session.kind, "tenant");
    assert.deepEqual(r.session.scopes, ["read"]);
    assert.equal(can(r.session, "endpoints:write"), false);
  });

  it("refuses an unknown key with a message", async () => {
    const r = await detect("tsk_not_a_key");
    assert.ok("error" in r && /not valid/.test(r.error));
  });
});
