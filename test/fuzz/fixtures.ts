import { type TestServer, eventually } from "../support/server.ts";
import { type Operation, collectionOf } from "./routes.ts";

// ---------------------------------------------------------------------------------------------
// The seeded tenants
//
// Two tenants, each with an endpoint, an event, its failed delivery and attempts, and (when the
// server has tenant keys) a key: the victim, whose data no request may change or show to another
// tenant, and the target, which requests may change at will. A shared event type is seeded too.

export const VICTIM = "fuzz-victim";
export const TARGET = "fuzz-target";
export const SEEDED_TYPE = "fuzz.seeded";

export interface Seed {
  tenant: string;
  ids: Record<string, string[]>;
  /** Bearer token of a tenant key with every scope (when the server has tenant keys). */
  key: string | null;
  /** Secrets no answer about another tenant may contain. */
  secrets: string[];
}

export interface Fixtures {
  victim: Seed;
  target: Seed;
  /** Everything the API shows of the victim tenant, read through the document's GET routes. */
  snapshotVictim(): Promise<unknown>;
  /** Puts back what a successful request removed from the target tenant, so later cases keep meaning. */
  repair(): Promise<void>;
}

export async function seedFixtures(server: TestServer, operations: Operation[], tenantKeys: boolean): Promise<Fixtures> {
  const api = server.api;

  const must = async <T = Record<string, unknown>>(method: string, path: string, body?: unknown, expect = [200, 201, 202, 204]) => {
    const r = await api<T>(method, path, body);
    if (!expect.includes(r.status)) throw new Error(`fixture ${method} ${path} answered ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body;
  };

  async function addEndpointAndEvent(s: Seed, host: string) {
    const ep = await must<{ id: string }>("POST", `/v1/tenants/${s.tenant}/endpoints`, {
      url: `https://${host}.example.invalid/hook`,
      eventTypes: ["*"],
      name: `${s.tenant} endpoint`,
      headers: { "x-fixture": s.tenant },
      auth: { type: "bearer", token: `${s.tenant}-receiver-token` },
    });
    const ev = await must<{ id: string }>("POST", `/v1/tenants/${s.tenant}/events`, {
      type: `${s.tenant}.created`,
      severity: "high",
      payload: { amount: 1.5, tags: ["a", "b"] },
    });
    const detail = await must<{ deliveries: { id: string }[] }>("GET", `/v1/tenants/${s.tenant}/events/${ev.id}`);
    s.ids.endpoints = [ep.id];
    s.ids.events = [ev.id];
    s.ids.deliveries = detail.deliveries.map((d) => d.id);
    const secret = await must<{ secret: string }>("GET", `/v1/tenants/${s.tenant}/endpoints/${ep.id}/secret`);
    s.secrets = [...s.secrets.filter((x) => !x.startsWith("whsec_")), secret.secret];
  }

  async function addKey(s: Seed, scopes: string[]) {
    if (!tenantKeys) return;
    const k = await must<{ id: string; key: string }>("POST", `/v1/tenants/${s.tenant}/keys`, { name: `${s.tenant} key`, scopes });
    s.secrets = [...s.secrets.filter((x) => x !== s.key), k.key];
    s.ids.keys = [k.id];
    s.key = k.key;
  }

  async function seed(tenant: string, host: string, scopes: string[]): Promise<Seed> {
    const s: Seed = { tenant, ids: {}, key: null, secrets: [] };
    await must("POST", "/v1/tenants", { id: tenant, name: tenant, metadata: { plan: "gold", seats: 3 } });
    await addEndpointAndEvent(s, host);
    await addKey(s, scopes);
    return s;
  }

  const victim = await seed(VICTIM, "victim", ["read"]);
  const target = await seed(TARGET, "target", ["events:write", "endpoints:write", "read"]);
  await must("POST", "/v1/event-types", { name: SEEDED_TYPE, description: "seeded", schema: { type: "object" }, example: { a: 1 } });
  target.ids["event-types"] = [SEEDED_TYPE];
  // Let both deliveries fail for good (no name resolves; one retry after 10 ms) so nothing changes later.
  await eventually(
    async () => {
      const all = await Promise.all([victim, target].map((s) => api<{ data: { status: string }[] }>("GET", `/v1/tenants/${s.tenant}/deliveries`)));
      return all.every((r) => r.body.data.length > 0 && r.body.data.every((d) => d.status === "failed"));
    },
    15_000,
    "the seeded deliveries to fail",
  );
  for (const s of [victim, target]) {
    const detail = await must<{ attempts: { id: string }[] }>("GET", `/v1/tenants/${s.tenant}/deliveries/${s.ids.deliveries[0]}`);
    s.ids.attempts = detail.attempts.map((a) => a.id);
  }

  /** Everything the API shows of the victim tenant, read through the document's GET routes. */
  async function snapshotVictim(): Promise<unknown> {
    const out: Record<string, unknown> = {};
    const gets = operations.filter((o) => o.method === "GET" && o.template.startsWith("/v1/tenants/{tenant}"));
    for (const o of gets.filter((g) => g.pathParams.length === 1)) {
      const path = o.template.replace("{tenant}", VICTIM);
      const pages: unknown[] = [];
      let cursor: string | null = null;
      for (let i = 0; i < 50; i++) {
        const r: { status: number; body: { data?: unknown[]; nextCursor?: string | null } } = await api(
          "GET",
          `${path}?limit=1000${cursor ? `&cursor=${cursor}` : ""}`,
        );
        pages.push(r.status === 200 && Array.isArray(r.body?.data) ? r.body.data : r);
        cursor = r.body?.nextCursor ?? null;
        if (!cursor) break;
      }
      out[o.template] = pages;
    }
    for (const o of gets.filter((g) => g.pathParams.length === 2 && g.pathParams[1].name === "id")) {
      for (const id of victim.ids[collectionOf(o.template, "id")] ?? []) {
        const r = await api("GET", o.template.replace("{tenant}", VICTIM).replace("{id}", id));
        out[`${o.template} ${id}`] = { status: r.status, body: r.body };
      }
    }
    return out;
  }

  /** Puts back what a successful request removed from the target tenant, so later cases keep meaning. */
  async function repair() {
    if ((await api("GET", `/v1/tenants/${TARGET}`)).status === 404) {
      await must("POST", "/v1/tenants", { id: TARGET, name: TARGET });
      await addEndpointAndEvent(target, "target");
      await addKey(target, ["events:write", "endpoints:write", "read"]);
    } else {
      if ((await api("GET", `/v1/tenants/${TARGET}/endpoints/${target.ids.endpoints[0]}`)).status === 404) await addEndpointAndEvent(target, "target");
      if (target.key && (await fetch(`${server.url}/v1/tenants/${TARGET}`, { headers: { authorization: `Bearer ${target.key}` } })).status === 401) {
        await addKey(target, ["events:write", "endpoints:write", "read"]);
      }
    }
    if ((await api("GET", `/v1/event-types/${SEEDED_TYPE}`)).status === 404) {
      await must("POST", "/v1/event-types", { name: SEEDED_TYPE, description: "seeded", schema: { type: "object" }, example: { a: 1 } });
    }
  }

  return { victim, target, snapshotVictim, repair };
}
