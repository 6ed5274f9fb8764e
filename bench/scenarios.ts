// The Tocsin scenarios: a tenant and its endpoints on the receiver, events offered through the
// API, and the checks that every delivery arrived once and shows succeeded with its attempt.

import { randomBytes } from "node:crypto";
import { type DeliveryStatus, createTocsinClient, unwrap } from "@tocsin/client";
import { Pool } from "undici";
import { cpuSeconds } from "./machine.ts";
import { type ReceiverHandle, type ServerHandle } from "./processes.ts";
import { type GroupStats, type LatencySummary, summarize, wallNow } from "./protocol.ts";
import { alertPayload, paced, signedPost, waitFor, waitForReceiver } from "./load.ts";
import { BATCH_MAX, EVENT_TYPE, INGEST_IN_FLIGHT, RATE_DURATION_MS, RATE_PER_S, TICK_MS, WAIT_TIMEOUT_MS } from "./settings.ts";

// ---------------------------------------------------------------------------------------------
// Tocsin API

export type Method = "GET" | "POST";

export function apiClient(server: ServerHandle) {
  // Setting up and checking go through @tocsin/client; the ingest that is measured goes through an
  // undici Pool, as fetch (under the client) would cost the load generator several times more.
  const client = createTocsinClient({ baseUrl: server.url, apiKey: server.apiKey });
  const pool = new Pool(server.url, { connections: 8, pipelining: 1 });
  async function call<T>(method: Method, path: string, body: unknown, expect: number): Promise<T> {
    const res = await pool.request({
      path,
      method,
      headers: {
        authorization: `Bearer ${server.apiKey}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.body.text();
    if (res.statusCode !== expect) throw new Error(`${method} ${path} answered ${res.statusCode} (expected ${expect}): ${text.slice(0, 500)}`);
    return (text ? JSON.parse(text) : null) as T;
  }
  return {
    pool,
    call,
    async tenantWithEndpoints(tenant: string, urls: string[]): Promise<void> {
      await unwrap(client.POST("/v1/tenants", { body: { id: tenant } }));
      for (const url of urls) await unwrap(client.POST("/v1/tenants/{tenant}/endpoints", { params: { path: { tenant } }, body: { url, eventTypes: ["*"] } }));
    },
    /** Posts events [first, first+n) as one batch; checks every event got `fanout` deliveries. Returns the round trip in ms. */
    async ingest(tenant: string, first: number, n: number, fanout: number): Promise<number> {
      const events = [];
      for (let i = 0; i < n; i++) events.push({ type: EVENT_TYPE, payload: alertPayload(wallNow(), first + i) });
      const body = JSON.stringify(events);
      const t0 = performance.now();
      const r = await call<{ events: { id: string; deliveries: number }[] }>("POST", `/v1/tenants/${tenant}/events`, body, 202);
      const ms = performance.now() - t0;
      if (r.events.length !== n) throw new Error(`ingest answered ${r.events.length} events for a batch of ${n}`);
      for (const e of r.events) if (e.deliveries !== fanout) throw new Error(`event ${e.id} got ${e.deliveries} deliveries, expected ${fanout}`);
      return ms;
    },
    /** Pages through the tenant's deliveries with `status`; counts them and those with more than one attempt. */
    async countDeliveries(tenant: string, status: string): Promise<{ n: number; retried: number; unattempted: number }> {
      let cursor: string | null = null;
      let n = 0;
      let retried = 0;
      let unattempted = 0;
      do {
        const query: { status: DeliveryStatus; limit: number; cursor?: string } = {
          status: status as DeliveryStatus,
          limit: 1000,
          ...(cursor ? { cursor } : {}),
        };
        const page: { data: { attemptCount: number }[]; nextCursor: string | null } = await unwrap(
          client.GET("/v1/tenants/{tenant}/deliveries", { params: { path: { tenant }, query } }),
        );
        n += page.data.length;
        for (const d of page.data) {
          if (d.attemptCount > 1) retried++;
          if (d.attemptCount < 1) unattempted++;
        }
        cursor = page.nextCursor;
      } while (cursor !== null);
      return { n, retried, unattempted };
    },
  };
}

export type Api = ReturnType<typeof apiClient>;

/** Waits until the API reports `expected` succeeded deliveries for `tenant`, each with its attempt recorded, and none failed. */
export async function verifyDeliveries(api: Api, tenant: string, expected: number): Promise<{ succeeded: number; retried: number }> {
  let last = { n: 0, retried: 0, unattempted: 0 };
  await waitFor(
    `${expected} succeeded deliveries for tenant ${tenant} in GET /deliveries`,
    async () => {
      last = await api.countDeliveries(tenant, "succeeded");
      return last.n >= expected ? null : `${last.n} succeeded so far`;
    },
    WAIT_TIMEOUT_MS,
    200,
  );
  if (last.n !== expected) throw new Error(`tenant ${tenant}: ${last.n} succeeded deliveries, expected ${expected}`);
  if (last.unattempted) throw new Error(`tenant ${tenant}: ${last.unattempted} succeeded deliveries show no recorded attempt`);
  const failed = await api.countDeliveries(tenant, "failed");
  if (failed.n) throw new Error(`tenant ${tenant}: ${failed.n} deliveries failed`);
  return { succeeded: last.n, retried: last.retried };
}

export function checkReceived(s: GroupStats | null, expected: number, paths: string[]): GroupStats {
  if (!s) throw new Error(`the receiver has nothing for ${paths.join(", ")}`);
  if (s.count !== expected) throw new Error(`the receiver got ${s.count} requests under /${s.group}/, expected ${expected}`);
  if (s.unique !== expected) throw new Error(`the receiver got ${s.count - s.unique} duplicate deliveries under /${s.group}/`);
  const per = expected / paths.length;
  for (const p of paths) if ((s.paths[p] ?? 0) !== per) throw new Error(`the receiver got ${s.paths[p] ?? 0} requests on ${p}, expected ${per}`);
  if (s.badBody) throw new Error(`${s.badBody} bodies under /${s.group}/ had no numeric t`);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Scenarios

export interface ScenarioResult {
  name: string;
  label: string;
  deliveries: number;
  /** Seconds from the first post to the last arrival at the receiver. */
  seconds: number;
  perSecond: number;
  latency: LatencySummary | null;
  /** Seconds until the last ingest request was answered. */
  ingestSeconds?: number;
  /** Round trip of the ingest requests. */
  ingestLatency?: LatencySummary | null;
  serverCpuSeconds?: number;
  receiverCpuSeconds?: number;
  /** Seconds after the last arrival until the API showed every delivery succeeded. */
  recordLagSeconds?: number;
  retried?: number;
  /** Deliveries already in the database when the scenario started. */
  rowsBefore?: number;
  /** Delivery rate between the 1,000th and 6,000th arrival, and over the last 5,000. */
  earlyRate?: number;
  lateRate?: number;
}

/** Deliveries created so far on this server (the claim query's cost grows with them). */
let deliveriesCreated = 0;

export function ratesFromMarks(marks: number[]): { earlyRate?: number; lateRate?: number } {
  const k = marks.length;
  if (k < 11) return {};
  return { earlyRate: 5000 / ((marks[5]! - marks[0]!) / 1000), lateRate: 5000 / ((marks[k - 1]! - marks[k - 6]!) / 1000) };
}

/** CPU seconds used so far by the given Tocsin processes together. */
export function serverCpu(servers: ServerHandle[]): number {
  let total = 0;
  for (const sv of servers) total += cpuSeconds(sv.pid);
  return total;
}

/**
 * One Tocsin scenario: a tenant with `endpointCount` endpoints on the receiver, `offer` posts the
 * events (and answers the ingest round trips in ms), then waits until the receiver has every
 * delivery exactly once and the API shows each one succeeded with its attempt recorded.
 */
export async function tocsinScenario(
  api: Api,
  rx: ReceiverHandle,
  servers: ServerHandle[],
  name: string,
  label: string,
  endpointCount: number,
  expected: number,
  offer: (tenant: string) => Promise<number[]>,
): Promise<ScenarioResult> {
  const tenant = `bench-${name}`;
  const paths = Array.from({ length: endpointCount }, (_, i) => `/${name}/ep${i}`);
  await api.tenantWithEndpoints(
    tenant,
    paths.map((p) => rx.url + p),
  );
  const rowsBefore = deliveriesCreated;
  deliveriesCreated += expected;
  const cpu0 = serverCpu(servers);
  const rcpu0 = cpuSeconds(rx.child.pid);
  const start = wallNow();
  const ingestMs = await offer(tenant);
  const ingestDone = wallNow();
  await waitForReceiver(rx, name, expected);
  const cpu1 = serverCpu(servers);
  const rcpu1 = cpuSeconds(rx.child.pid);
  const s = checkReceived(await rx.stats(name, true), expected, paths);
  const v = await verifyDeliveries(api, tenant, expected);
  const verifiedAt = wallNow();
  const seconds = (s.lastAt - start) / 1000;
  return {
    name,
    label,
    deliveries: expected,
    seconds,
    perSecond: expected / seconds,
    latency: s.latency,
    ingestSeconds: (ingestDone - start) / 1000,
    ingestLatency: summarize(ingestMs),
    serverCpuSeconds: cpu1 - cpu0,
    receiverCpuSeconds: rcpu1 - rcpu0,
    recordLagSeconds: (verifiedAt - s.lastAt) / 1000,
    retried: v.retried,
    rowsBefore,
    ...ratesFromMarks(s.marks),
  };
}

/** `events` events, each to `endpointCount` endpoints, posted as fast as ingest takes them (BATCH_MAX per request). */
export function burstScenario(
  api: Api,
  rx: ReceiverHandle,
  servers: ServerHandle[],
  name: string,
  label: string,
  events: number,
  endpointCount: number,
): Promise<ScenarioResult> {
  return tocsinScenario(api, rx, servers, name, label, endpointCount, events * endpointCount, async (tenant) => {
    const batches = Math.ceil(events / BATCH_MAX);
    const ingestMs: number[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: INGEST_IN_FLIGHT }, async () => {
        while (next < batches) {
          const b = next++;
          ingestMs.push(await api.ingest(tenant, b * BATCH_MAX, Math.min(BATCH_MAX, events - b * BATCH_MAX), endpointCount));
        }
      }),
    );
    return ingestMs;
  });
}

/** Offers `rate` events per second for RATE_DURATION_MS, each fanned out to `endpointCount` endpoints. */
export function pacedTocsin(
  api: Api,
  rx: ReceiverHandle,
  servers: ServerHandle[],
  name: string,
  label: string,
  rate = RATE_PER_S,
  endpointCount = 1,
): Promise<ScenarioResult> {
  const expected = Math.round((rate * RATE_DURATION_MS) / 1000) * endpointCount;
  return tocsinScenario(api, rx, servers, name, label, endpointCount, expected, async (tenant) => {
    const sends: Promise<number>[] = [];
    await paced(rate, RATE_DURATION_MS, TICK_MS, (n, first) => {
      // Stay within the batch limit even if a stalled timer made many events due at once.
      for (let off = 0; off < n; off += BATCH_MAX) sends.push(api.ingest(tenant, first + off, Math.min(BATCH_MAX, n - off), endpointCount));
    });
    return Promise.all(sends);
  });
}

export async function pacedCeiling(pool: Pool, rx: ReceiverHandle, name: string, label: string, rate = RATE_PER_S): Promise<ScenarioResult> {
  const path = `/${name}/ep0`;
  const key = randomBytes(32);
  const sends: Promise<void>[] = [];
  const rcpu0 = cpuSeconds(rx.child.pid);
  const start = wallNow();
  await paced(rate, RATE_DURATION_MS, TICK_MS, (n, first) => {
    for (let i = 0; i < n; i++) sends.push(signedPost(pool, path, key, first + i));
  });
  await Promise.all(sends);
  const expected = Math.round((rate * RATE_DURATION_MS) / 1000);
  await waitForReceiver(rx, name, expected);
  const rcpu1 = cpuSeconds(rx.child.pid);
  const s = checkReceived(await rx.stats(name, true), expected, [path]);
  const seconds = (s.lastAt - start) / 1000;
  return { name, label, deliveries: expected, seconds, perSecond: expected / seconds, latency: s.latency, receiverCpuSeconds: rcpu1 - rcpu0 };
}
