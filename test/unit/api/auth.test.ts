import assert from "node:assert/strict";
import { describe, it } from "node:test";
import Fastify from "fastify";
import { accessOf, registerAuth } from "../../../src/api/auth.ts";
import type { ServiceDeps } from "../../../src/services/deps.ts";

// Deny by default: a route that does not say who may call it keeps the server from starting,
// and one that somehow says nothing (or two things) is admin-only.

const deps = { now: () => 0 } as unknown as ServiceDeps;

describe("route access declarations", () => {
  it("refuses to start a server with a route that declares no access", async () => {
    const app = Fastify();
    registerAuth(app, deps, { bootstrapKeys: () => [], failuresPerMinute: 0 });
    app.get("/v1/forgotten", async () => ({ secret: true }));
    app.get("/v1/declared", { config: { scope: "read" } }, async () => ({}));
    await assert.rejects(async () => {
      await app.ready();
    }, /routes that do not declare who may call them .*\/v1\/forgotten/);
    await app.close().catch(() => {});
  });

  it("starts when every route declares exactly one kind of access, and lists them in its route table", async () => {
    const app = Fastify();
    registerAuth(app, deps, { bootstrapKeys: () => [], failuresPerMinute: 0 });
    app.get("/healthz", { config: { public: true } }, async () => ({}));
    app.post("/v1/keys", { config: { admin: true } }, async () => ({}));
    app.get("/v1/session", { config: { anyKey: true } }, async () => ({}));
    app.get("/v1/things", { config: { scope: "read" } }, async () => ({}));
    await app.ready();
    const table = app.routeTable().map((r) => `${r.method} ${r.url} ${r.access.kind}`);
    assert.deepEqual(
      table.sort(),
      [
        "GET /healthz public",
        "GET /v1/session any",
        "GET /v1/things scope",
        "HEAD /healthz public",
        "HEAD /v1/session any",
        "HEAD /v1/things scope",
        "POST /v1/keys admin",
      ].sort(),
    );
    // Without a key, everything but the public route is a 401.
    assert.equal((await app.inject({ method: "GET", url: "/healthz" })).statusCode, 200);
    for (const [method, url] of [
      ["POST", "/v1/keys"],
      ["GET", "/v1/session"],
      ["GET", "/v1/things"],
      ["GET", "/v%31/things"],
    ] as const) {
      assert.equal((await app.inject({ method, url })).statusCode, 401, `${method} ${url}`);
    }
    await app.close();
  });

  it("treats a route that declares nothing, or more than one kind, as admin-only", () => {
    assert.deepEqual(accessOf(undefined), { kind: "admin" });
    assert.deepEqual(accessOf({}), { kind: "admin" });
    assert.deepEqual(accessOf({ public: true, scope: "read" }), { kind: "admin" });
    assert.deepEqual(accessOf({ anyKey: true, admin: true }), { kind: "admin" });
    assert.deepEqual(accessOf({ public: true }), { kind: "public" });
    assert.deepEqual(accessOf({ scope: "events:write" }), { kind: "scope", scope: "events:write" });
  });
});
