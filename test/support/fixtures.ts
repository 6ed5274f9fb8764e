import assert from "node:assert/strict";
import { type Api, eventually } from "./server.ts";

// One object of every kind a tenant route can name, made through the API with an admin key: what
// the scopes matrix and the route-spelling test call routes on. Event types start with `prefix`.

export interface Fixtures {
  endpoint: string;
  event: string;
  delivery: string;
  tenantKey: string;
  key: string;
  eventType: string;
  alert: string;
  batch: string;
  replay: string;
  /** A silence that matches nothing the fixtures send. */
  silence: string;
}

export async function createFixtures(admin: Api, tenant: string, receiverUrl: string, prefix: string): Promise<Fixtures> {
  const ok = <T>(r: { status: number; body: T }, what: string) => {
    assert.ok(r.status >= 200 && r.status < 300, `${what}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  ok(await admin("POST", "/v1/tenants", { id: tenant }), "tenant");
  const endpoint = ok(
    await admin<{ id: string }>("POST", `/v1/tenants/${tenant}/endpoints`, { url: receiverUrl, eventTypes: [`${prefix}.fixture`] }),
    "endpoint",
  ).id;
  const event = ok(await admin<{ id: string }>("POST", `/v1/tenants/${tenant}/events`, { type: `${prefix}.fixture`, payload: { tenant } }), "event").id;
  const delivery = ok(await admin<{ deliveries: { id: string }[] }>("GET", `/v1/tenants/${tenant}/events/${event}`), "event").deliveries[0].id;
  const tenantKey = ok(await admin<{ id: string }>("POST", `/v1/tenants/${tenant}/keys`, { name: "victim", scopes: ["read"] }), "key").id;
  const key = ok(await admin<{ id: string }>("POST", "/v1/keys", { name: `victim of ${tenant}` }), "admin key").id;
  const eventType = `${prefix}.${tenant}`;
  ok(await admin("POST", "/v1/event-types", { name: eventType }), "event type");
  const alert = `fp-${tenant}`;
  ok(await admin("POST", `/v1/tenants/${tenant}/events`, { type: `${prefix}.alert`, fingerprint: alert, payload: {} }), "alert");
  // A batch of one, sent at once.
  ok(
    await admin("POST", `/v1/tenants/${tenant}/endpoints`, {
      url: receiverUrl,
      eventTypes: [`${prefix}.batch`],
      format: { envelope: "array" },
      batch: { maxEvents: 1, maxWaitMs: 0 },
    }),
    "batching endpoint",
  );
  const batched = ok(await admin<{ id: string }>("POST", `/v1/tenants/${tenant}/events`, { type: `${prefix}.batch`, payload: {} }), "batched event").id;
  const batch = await eventually(
    async () => (await admin<{ deliveries: { batchId: string | null }[] }>("GET", `/v1/tenants/${tenant}/events/${batched}`)).body.deliveries[0]?.batchId,
  );
  const replay = ok(
    await admin<{ id: string }>("POST", `/v1/tenants/${tenant}/endpoints/${endpoint}/replay`, { since: "2020-01-01T00:00:00Z", status: "failed" }),
    "replay",
  ).id;
  const silence = ok(
    await admin<{ id: string }>("POST", `/v1/tenants/${tenant}/silences`, { matchers: { type: `${prefix}.never` }, duration: "1d", comment: "fixture" }),
    "silence",
  ).id;
  return { endpoint, event, delivery, tenantKey, key, eventType, alert, batch, replay, silence };
}

/**
 * This process's environment as a project that installed Tocsin's packages from a registry has
 * it: without the "tocsin-source" condition (.npmrc) that resolves them to this repository's
 * TypeScript sources.
 */
export function consumerEnv(): NodeJS.ProcessEnv {
  const options = (process.env.NODE_OPTIONS ?? "").replace(/--conditions[= ]tocsin-source/g, "").trim();
  return { ...process.env, NODE_OPTIONS: options };
}
