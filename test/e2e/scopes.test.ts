import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { startReceiver } from "../support/receiver.ts";
import { type Fixtures, createFixtures } from "../support/fixtures.ts";
import { type Api, eventually, withBackendServer } from "../support/server.ts";

// Every /v1 route × every kind of caller. The route list comes from the running server's OpenAPI
// document, so a route added without a row in ROUTES fails this test until someone decides its scope.

type Scope = "events:write" | "endpoints:write" | "read";
/** `any`: every valid key, whatever its kind and scopes (routes about the caller itself). */
type Required = Scope | "admin" | "any";
/** What `{id}` or `{name}` stands for in a route's path. */
type Target = "endpoint" | "event" | "delivery" | "tenantKey" | "key" | "eventType" | "alert" | "batch" | "replay" | "silence";

interface RouteSpec {
  scope: Required;
  target?: Target;
  /** A valid body: a caller who may use the route gets a 2xx, not a 400. */
  body?: () => unknown;
  /** A query string the route needs to succeed (without `?`). */
  query?: string;
  /** A successful call uses its target up (deletes it): such calls get a fresh one. */
  consumes?: "tenant" | Target;
  /** The fixture's state makes the allowed answer a 409 (validation mode none; a delivery that did not fail). */
  conflict?: true;
}

let n = 0;
const uniq = (p: string) => `${p}-${++n}-${randomBytes(3).toString("hex")}`;

/** The scopes matrix as promised in docs/api.md. */
const ROUTES: Record<string, RouteSpec> = {
  "POST /v1/tenants": { scope: "admin", body: () => ({ id: uniq("scratch") }) },
  "GET /v1/tenants": { scope: "admin" },
  "GET /v1/tenants/{tenant}": { scope: "read" },
  "PATCH /v1/tenants/{tenant}": { scope: "admin", body: () => ({ name: "renamed" }) },
  "DELETE /v1/tenants/{tenant}": { scope: "admin", consumes: "tenant" },

  "POST /v1/tenants/{tenant}/endpoints": { scope: "endpoints:write", body: () => ({ url: "https://new.example/", eventTypes: ["matrix.none"] }) },
  "GET /v1/tenants/{tenant}/endpoints": { scope: "read" },
  "GET /v1/tenants/{tenant}/endpoints/{id}": { scope: "read", target: "endpoint" },
  "PATCH /v1/tenants/{tenant}/endpoints/{id}": { scope: "endpoints:write", target: "endpoint", body: () => ({ description: "changed" }) },
  "DELETE /v1/tenants/{tenant}/endpoints/{id}": { scope: "endpoints:write", target: "endpoint", consumes: "endpoint" },
  "GET /v1/tenants/{tenant}/endpoints/{id}/secret": { scope: "endpoints:write", target: "endpoint" },
  // The fixture endpoint signs with standard, which has no public key: the allowed answer is 409.
  "GET /v1/tenants/{tenant}/endpoints/{id}/public-key": { scope: "read", target: "endpoint", conflict: true },
  "POST /v1/tenants/{tenant}/endpoints/{id}/secret/rotate": { scope: "endpoints:write", target: "endpoint", body: () => ({}) },
  "POST /v1/tenants/{tenant}/endpoints/{id}/test": { scope: "endpoints:write", target: "endpoint", body: () => ({}) },
  "POST /v1/tenants/{tenant}/endpoints/{id}/validate": { scope: "endpoints:write", target: "endpoint", conflict: true },
  "POST /v1/tenants/{tenant}/endpoints/{id}/preview": { scope: "read", target: "endpoint", body: () => ({}) },
  "POST /v1/tenants/{tenant}/endpoints/{id}/replay": {
    scope: "endpoints:write",
    target: "endpoint",
    body: () => ({ since: "2020-01-01T00:00:00Z", status: "failed" }),
  },
  "GET /v1/tenants/{tenant}/endpoints/{id}/replays": { scope: "read", target: "endpoint" },
  "GET /v1/tenants/{tenant}/replays/{id}": { scope: "read", target: "replay" },

  "POST /v1/tenants/{tenant}/events": { scope: "events:write", body: () => ({ type: "matrix.none", payload: { n: 1 } }) },
  "GET /v1/tenants/{tenant}/events": { scope: "read" },
  "GET /v1/tenants/{tenant}/events/{id}": { scope: "read", target: "event" },
  "POST /v1/tenants/{tenant}/ingest/alertmanager": {
    scope: "events:write",
    body: () => ({ version: "4", status: "firing", alerts: [{ status: "firing", labels: { alertname: "matrix.none" }, fingerprint: uniq("fp") }] }),
  },

  "GET /v1/tenants/{tenant}/deliveries": { scope: "read" },
  "GET /v1/tenants/{tenant}/deliveries/{id}": { scope: "read", target: "delivery" },
  "POST /v1/tenants/{tenant}/deliveries/{id}/retry": { scope: "endpoints:write", target: "delivery", conflict: true },
  "POST /v1/tenants/{tenant}/deliveries/retry-failed": { scope: "endpoints:write", body: () => ({ dryRun: true }) },
  "GET /v1/tenants/{tenant}/stats/deliveries": { scope: "read", query: "since=2026-01-01T00:00:00Z&until=2026-01-31T00:00:00Z" },
  "GET /v1/tenants/{tenant}/batches/{id}": { scope: "read", target: "batch" },
  "GET /v1/tenants/{tenant}/alerts": { scope: "read" },
  "GET /v1/tenants/{tenant}/alerts/{fingerprint}": { scope: "read", target: "alert" },
  "POST /v1/tenants/{tenant}/silences": {
    scope: "endpoints:write",
    body: () => ({ matchers: { type: "matrix.never" }, duration: "1h", comment: "matrix" }),
  },
  "GET /v1/tenants/{tenant}/silences": { scope: "read" },
  "GET /v1/tenants/{tenant}/silences/{id}": { scope: "read", target: "silence" },
  "POST /v1/tenants/{tenant}/silences/{id}/expire": { scope: "endpoints:write", target: "silence", consumes: "silence" },

  "POST /v1/event-types": { scope: "admin", body: () => ({ name: `matrix.${uniq("t")}` }) },
  "GET /v1/event-types": { scope: "read" },
  "GET /v1/event-types/{name}": { scope: "read", target: "eventType" },
  "PATCH /v1/event-types/{name}": { scope: "admin", target: "eventType", body: () => ({ description: "changed" }) },
  "DELETE /v1/event-types/{name}": { scope: "admin", target: "eventType", consumes: "eventType" },

  "POST /v1/keys": { scope: "admin", body: () => ({ name: "matrix" }) },
  "GET /v1/keys": { scope: "admin" },
  "DELETE /v1/keys/{id}": { scope: "admin", target: "key", consumes: "key" },
  "POST /v1/tenants/{tenant}/keys": { scope: "admin", body: () => ({ name: "matrix", scopes: ["read"] }) },
  "GET /v1/tenants/{tenant}/keys": { scope: "admin" },
  "DELETE /v1/tenants/{tenant}/keys/{id}": { scope: "admin", target: "tenantKey", consumes: "tenantKey" },
  "POST /v1/tenants/{tenant}/portal-sessions": { scope: "admin", body: () => ({}) },
  "POST /v1/master-key/rotate": { scope: "admin", body: () => ({}) },
  "GET /v1/proxies": { scope: "admin" },

  "GET /v1/session": { scope: "any" },
};

interface Principal {
  name: string;
  /** null: no Authorization header at all. */
  key: string | null;
  /** Expected to be refused with 401 whatever the route. */
  invalid?: true;
  tenant?: string;
  scopes?: Scope[];
}

type Outcome = "ok" | 401 | 403 | 404;

function expected(route: string, spec: RouteSpec, p: Principal, tenantParam: string | undefined): Outcome {
  if (p.invalid) return 401;
  if (!p.tenant || spec.scope === "any") return "ok";
  if (route.includes("{tenant}") && tenantParam !== p.tenant) return 404;
  if (spec.scope === "admin" || !p.scopes!.includes(spec.scope)) return 403;
  return "ok";
}

/** Everything an admin can see of a tenant, to prove another tenant's keys changed none of it. */
async function snapshot(admin: Api, tenant: string, f: Fixtures) {
  const get = async (path: string) => {
    const r = await admin("GET", path);
    return { status: r.status, body: r.body };
  };
  const keys = (await admin<{ data: Record<string, unknown>[] }>("GET", `/v1/tenants/${tenant}/keys`)).body.data.map(({ lastUsedAt: _, ...k }) => k);
  return {
    tenant: await get(`/v1/tenants/${tenant}`),
    endpoints: await get(`/v1/tenants/${tenant}/endpoints`),
    secret: await get(`/v1/tenants/${tenant}/endpoints/${f.endpoint}/secret`),
    events: await get(`/v1/tenants/${tenant}/events`),
    deliveries: await get(`/v1/tenants/${tenant}/deliveries`),
    delivery: await get(`/v1/tenants/${tenant}/deliveries/${f.delivery}`),
    eventType: await get(`/v1/event-types/${f.eventType}`),
    adminKey: (await admin<{ data: { id: string; revokedAt: string | null }[] }>("GET", "/v1/keys?kind=admin")).body.data.find((k) => k.id === f.key),
    keys,
  };
}

describe("scopes: every route × every caller", () => {
  it("answers 401, 403, 404 or success exactly as the scopes matrix says, and never lets a tenant key reach another tenant", async () => {
    let offset = 0;
    const now = () => Date.now() + offset;
    const receiver = await startReceiver();
    try {
      await withBackendServer(
        "sqlite",
        {},
        async ({ url, api: admin, apiKey, app }) => {
          // The route list, from the server itself.
          const doc = (await (await fetch(`${url}/openapi.json`)).json()) as {
            paths: Record<string, Record<string, { security?: { bearer?: string[] }[] }>>;
          };
          const served = new Map<string, string[] | undefined>();
          for (const [path, ops] of Object.entries(doc.paths)) {
            if (!path.startsWith("/v1")) continue;
            for (const [method, op] of Object.entries(ops)) served.set(`${method.toUpperCase()} ${path}`, op.security?.[0]?.bearer);
          }
          const missing = [...served.keys()].filter((r) => !ROUTES[r]);
          assert.deepEqual(missing, [], "routes without a row in ROUTES: decide their scope and add them");
          assert.deepEqual(
            Object.keys(ROUTES).filter((r) => !served.has(r)),
            [],
            "rows in ROUTES for routes the server does not have",
          );
          for (const [route, spec] of Object.entries(ROUTES)) {
            // An OpenAPI requirement without roles: any key.
            assert.deepEqual(served.get(route), spec.scope === "any" ? [] : [spec.scope], `OpenAPI security of ${route}`);
          }
          assert.ok(app.server!.hasRoute({ method: "GET", url: "/v1/tenants/:tenant" }));

          const acme = await createFixtures(admin, "acme", receiver.url, "matrix");
          const globex = await createFixtures(admin, "globex", receiver.url, "matrix");
          // Settled deliveries, so the other tenant's state stands still while it is probed.
          await eventually(
            async () => {
              const all = await Promise.all(["acme", "globex"].map((t) => admin<{ data: { status: string }[] }>("GET", `/v1/tenants/${t}/deliveries`)));
              // Each tenant has the fixture delivery and the batched one.
              return all.every((r) => r.body.data.length === 2 && r.body.data.every((d) => d.status === "succeeded"));
            },
            10_000,
            "the fixture deliveries to succeed",
          );

          const tenantKey = async (tenant: string, scopes: Scope[], expiresAt?: string) => {
            const r = await admin<{ key: string; id: string }>("POST", `/v1/tenants/${tenant}/keys`, { name: scopes.join("+"), scopes, expiresAt });
            assert.equal(r.status, 201, JSON.stringify(r.body));
            return r.body;
          };
          const ALL: Scope[] = ["events:write", "endpoints:write", "read"];
          const revoked = await tenantKey("acme", ALL);
          assert.equal((await admin("DELETE", `/v1/tenants/acme/keys/${revoked.id}`)).status, 204);
          const expiring = await tenantKey("acme", ALL, new Date(now() + 60_000).toISOString());
          const revokedPortal = (await admin<{ token: string; id: string }>("POST", "/v1/tenants/acme/portal-sessions")).body;
          assert.equal((await admin("DELETE", `/v1/keys/${revokedPortal.id}`)).status, 204);
          const portal = (await admin<{ token: string }>("POST", "/v1/tenants/acme/portal-sessions")).body.token;
          offset += 120_000;

          const principals: Principal[] = [
            { name: "no key", key: null, invalid: true },
            { name: "unknown key", key: `tsk_${randomBytes(32).toString("base64url")}`, invalid: true },
            { name: "not a key", key: "hello", invalid: true },
            { name: "revoked tenant key", key: revoked.key, invalid: true },
            { name: "expired tenant key", key: expiring.key, invalid: true },
            { name: "revoked portal session", key: revokedPortal.token, invalid: true },
            { name: "bootstrap admin key", key: apiKey },
            { name: "created admin key", key: (await admin<{ key: string }>("POST", "/v1/keys", { name: "matrix admin" })).body.key },
            ...(await Promise.all(
              ([["events:write"], ["endpoints:write"], ["read"], ALL] as Scope[][]).map(async (scopes) => ({
                name: `acme key with ${scopes.join(", ")}`,
                key: (await tenantKey("acme", scopes)).key,
                tenant: "acme",
                scopes,
              })),
            )),
            { name: "acme portal session", key: portal, tenant: "acme", scopes: ["endpoints:write", "read"] },
            { name: "globex key with every scope", key: (await tenantKey("globex", ALL)).key, tenant: "globex", scopes: ALL },
          ];
          const call = async (p: Principal, method: string, path: string, body: unknown) => {
            const headers: Record<string, string> = body === undefined ? {} : { "content-type": "application/json" };
            if (p.key !== null) headers.authorization = `Bearer ${p.key}`;
            const res = await fetch(url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
            const text = await res.text();
            return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
          };

          /** A target a successful call may use up, created by the bootstrap admin key. */
          const fresh = async (what: "tenant" | Target, tenant: string): Promise<string> => {
            const made = async (path: string, body: unknown) => {
              const r = await admin<{ id: string }>("POST", path, body);
              assert.equal(r.status, 201, JSON.stringify(r.body));
              return r.body.id;
            };
            switch (what) {
              case "tenant":
                return made("/v1/tenants", { id: uniq("doomed") });
              case "endpoint":
                return made(`/v1/tenants/${tenant}/endpoints`, { url: "https://doomed.example/", eventTypes: ["matrix.none"] });
              case "tenantKey":
                return made(`/v1/tenants/${tenant}/keys`, { name: "doomed", scopes: ["read"] });
              case "key":
                return made("/v1/keys", { name: "doomed" });
              case "silence":
                return made(`/v1/tenants/${tenant}/silences`, { matchers: { type: "matrix.never" }, duration: "1h", comment: "doomed" });
              case "eventType": {
                const name = `matrix.${uniq("doomed")}`;
                await made("/v1/event-types", { name });
                return name;
              }
              default:
                throw new Error(`cannot make a fresh ${what}`);
            }
          };
          const fill = (route: string, tenant: string, target: string | undefined) =>
            route
              .split(" ")[1]
              .replace("{tenant}", tenant)
              .replace(/\{(id|name|fingerprint)\}/, target ?? "") + (ROUTES[route]?.query ? `?${ROUTES[route].query}` : "");

          const check = (what: string, got: { status: number; body: unknown }, want: Outcome, spec: RouteSpec) => {
            const detail = `${what} -> ${got.status} ${JSON.stringify(got.body)}`;
            if (want === "ok") {
              assert.ok((got.status >= 200 && got.status < 300) || (spec.conflict && got.status === 409), `expected success: ${detail}`);
            } else {
              assert.equal(got.status, want, detail);
              assert.equal((got.body as { code: string }).code, want === 401 ? "unauthorized" : want === 403 ? "forbidden" : "not_found", detail);
            }
          };

          // 1. Every route × every caller, on acme (the callers' own tenant) with acme's objects.
          let requests = 0;
          for (const [route, spec] of Object.entries(ROUTES)) {
            const method = route.split(" ")[0];
            for (const p of principals) {
              const want = expected(route, spec, p, "acme");
              const tenant = want === "ok" && spec.consumes === "tenant" ? await fresh("tenant", "acme") : "acme";
              let target = spec.target ? acme[spec.target] : undefined;
              if (want === "ok" && spec.consumes && spec.consumes !== "tenant") target = await fresh(spec.consumes, "acme");
              const got = await call(p, method, fill(route, tenant, target), spec.body?.());
              requests++;
              check(`${p.name}: ${route}`, got, want, spec);
            }
          }

          // 2. acme's keys against globex: globex's tenant id, and globex's objects under acme's id.
          const before = await snapshot(admin, "globex", globex);
          for (const p of principals.filter((x) => x.tenant === "acme")) {
            for (const [route, spec] of Object.entries(ROUTES)) {
              const method = route.split(" ")[0];
              const target = spec.target ? globex[spec.target] : undefined;
              if (route.includes("{tenant}")) {
                check(`${p.name}: ${route} on globex`, await call(p, method, fill(route, "globex", target), spec.body?.()), 404, spec);
                requests++;
              }
              if (spec.target) {
                // Under its own tenant id, another tenant's object is as absent as one that never existed.
                const want = expected(route, spec, p, "acme") === "ok" ? 404 : 403;
                const got = await call(p, method, fill(route, "acme", target), spec.body?.());
                requests++;
                if (route.includes("{tenant}")) check(`${p.name}: ${route} with globex's ${spec.target}`, got, want, spec);
                else if (want === 404) assert.equal(got.status, 200, "the event-type catalog is shared; reading it is allowed");
                else check(`${p.name}: ${route} with globex's ${spec.target}`, got, 403, spec);
              }
            }
            // Filters naming globex's objects find nothing of acme's, and nothing of globex's.
            if (p.scopes!.includes("read")) {
              for (const q of [`endpointId=${globex.endpoint}`, `eventId=${globex.event}`]) {
                const r = await call(p, "GET", `/v1/tenants/acme/deliveries?${q}`, undefined);
                assert.deepEqual([r.status, (r.body as { data: unknown[] }).data], [200, []], q);
              }
              // Stats for another tenant's endpoint, under the caller's own tenant: as absent as any unknown endpoint.
              const stats = await call(
                p,
                "GET",
                `/v1/tenants/acme/stats/deliveries?since=2026-01-01T00:00:00Z&until=2026-01-02T00:00:00Z&endpointId=${globex.endpoint}`,
                undefined,
              );
              assert.deepEqual([stats.status, (stats.body as { code: string }).code], [404, "not_found"]);
            }
            // HEAD routes are guarded like their GETs.
            assert.equal((await fetch(`${url}/v1/tenants/globex/endpoints`, { method: "HEAD", headers: { authorization: `Bearer ${p.key}` } })).status, 404);
            assert.equal((await fetch(`${url}/v1/keys`, { method: "HEAD", headers: { authorization: `Bearer ${p.key}` } })).status, 403);
          }
          assert.deepEqual(await snapshot(admin, "globex", globex), before, "nothing of globex changed");
          // Denied calls on acme used up nothing either: its fixtures are all still there.
          assert.equal((await admin("GET", `/v1/tenants/acme/endpoints/${acme.endpoint}`)).status, 200);
          assert.equal((await admin("GET", `/v1/event-types/${acme.eventType}`)).status, 200);
          const acmeKeys = (await admin<{ data: { id: string; revokedAt: string | null }[] }>("GET", "/v1/keys")).body.data;
          for (const id of [acme.tenantKey, acme.key]) assert.equal(acmeKeys.find((k) => k.id === id)?.revokedAt, null, id);
          // An unknown route is a 404 for every caller: no route matched, so no handler runs and no key is looked at.
          for (const p of principals) assert.equal((await call(p, "GET", "/v1/nothing-here", undefined)).status, 404, p.name);
          assert.ok(requests > 500, `${requests} requests`);
        },
        now,
      );
    } finally {
      await receiver.close();
    }
  });
});
