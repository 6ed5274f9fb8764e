import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Route, parseRoute, pathOf, tenantOf, withSearch } from "../../../../web/src/lib/routes.ts";

describe("web console: page paths", () => {
  it("reads every page from its path and writes the same path back", () => {
    const routes: Route[] = [
      { page: "home" },
      { page: "portal" },
      { page: "tenants" },
      { page: "event-types" },
      { page: "endpoints", tenant: "acme" },
      { page: "endpoint-new", tenant: "acme" },
      { page: "endpoint", tenant: "acme", id: "ep_1", tab: "overview" },
      { page: "endpoint", tenant: "acme", id: "ep_1", tab: "deliveries" },
      { page: "endpoint", tenant: "acme", id: "ep_1", tab: "test" },
      { page: "endpoint-edit", tenant: "acme", id: "ep_1" },
      { page: "deliveries", tenant: "acme" },
      { page: "delivery", tenant: "acme", id: "dlv_1" },
      { page: "overview", tenant: "acme" },
      { page: "events", tenant: "acme" },
      { page: "silences", tenant: "acme" },
      { page: "silence-new", tenant: "acme" },
      { page: "silence", tenant: "acme", id: "sil_1" },
      { page: "alerts", tenant: "acme" },
    ];
    for (const r of routes) assert.deepEqual(parseRoute(pathOf(r)), r, pathOf(r));
  });

  it("escapes tenant ids in paths and decodes them back", () => {
    const r: Route = { page: "endpoints", tenant: "org:42/x" };
    assert.equal(pathOf(r), "/tenants/org%3A42%2Fx/endpoints");
    assert.deepEqual(parseRoute(pathOf(r)), r);
    assert.equal(tenantOf(r), "org:42/x");
    assert.equal(tenantOf({ page: "tenants" }), null);
  });

  it("takes /tenants/{t} as the tenant's integrations and tolerates a trailing slash", () => {
    assert.deepEqual(parseRoute("/tenants/acme"), { page: "endpoints", tenant: "acme" });
    assert.deepEqual(parseRoute("/tenants/acme/endpoints/"), { page: "endpoints", tenant: "acme" });
  });

  it("answers not-found for anything else, a malformed escape included", () => {
    for (const p of ["/nope", "/tenants/acme/endpoints/ep_1/bogus", "/tenants/acme/x", "/portal/extra"]) assert.equal(parseRoute(p).page, "not-found", p);
    assert.deepEqual(parseRoute("/tenants/%E0%A4%A/endpoints"), { page: "endpoints", tenant: "%E0%A4%A" });
  });
});

describe("web console: state in the query string", () => {
  it("sets, replaces and removes keys, keeping the others", () => {
    assert.equal(withSearch("", { status: "failed" }), "status=failed");
    assert.equal(withSearch("status=failed&since=1h", { status: "pending" }), "status=pending&since=1h");
    assert.equal(withSearch("status=failed&since=1h", { status: null, since: "" }), "");
    assert.equal(withSearch("type=alert.*", { range: "7d" }), "type=alert.*&range=7d");
  });
});
