import assert from "node:assert/strict";
import type { Api } from "../support/server.ts";

// What the endpoint settings tests (endpoint-settings.test.ts, endpoint-signing.test.ts) share: the
// shapes of an endpoint and of a problem document, and a tenant with one endpoint.

export type Ep = Record<string, unknown> & { id: string; status: string; warnings: string[]; validation: { status: string; error: string | null } };
export type Problem = { detail: string; errors: { path: string; message: string }[] };

/** Creates `tenant` and an endpoint for every event type with `endpoint`'s settings; both must succeed. */
export async function tenantWith(api: Api, tenant: string, endpoint: Record<string, unknown>): Promise<Ep> {
  const t = await api("POST", "/v1/tenants", { id: tenant });
  assert.equal(t.status, 201, JSON.stringify(t.body));
  const r = await api<Ep>("POST", `/v1/tenants/${tenant}/endpoints`, { eventTypes: ["*"], ...endpoint });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}
