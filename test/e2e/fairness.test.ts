import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { testBackends } from "../support/backends.ts";
import { type ReceivedRequest, startReceiver } from "../support/receiver.ts";
import { type Api, eventually, withBackendServer } from "../support/server.ts";

// The noisy neighbour, end to end on loopback: tenant A floods nine endpoints whose receiver
// never answers (each request waits out its 10 s timeout), with the default concurrency settings
// (128 per process, 16 per endpoint: nine endpoints want 144 slots). Tenant B's deliveries, to a
// healthy receiver on another address and to a healthy path on the hanging receiver's own
// host:port, must each arrive within 1 s of the ingest call that created them.

const HANGING_ENDPOINTS = 9;
const FLOOD_EVENTS = 200;
const PROBES = 8;
const PROBE_GAP_MS = 150;
const BOUND_MS = 1_000;

async function endpoint(api: Api, tenant: string, url: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await api<{ id: string }>("POST", `/v1/tenants/${tenant}/endpoints`, { url, eventTypes: ["*"], signing: { scheme: "none" }, ...extra });
  if (r.status !== 201) throw new Error(`endpoint: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.id;
}

const probeOf = (r: ReceivedRequest): number | null => {
  const n = (JSON.parse(r.body) as { probe?: unknown }).probe;
  return typeof n === "number" ? n : null;
};

for (const backend of await testBackends()) {
  describe(`${backend}: fair sharing between tenants`, () => {
    it("delivers another tenant's events within 1 s while one tenant's nine endpoints hang", { timeout: 120_000 }, async () => {
      // 127.0.0.1: tenant A's paths (/a/…) hang; any other path answers at once.
      const shared = await startReceiver((r) => (r.path.startsWith("/a/") ? { hang: true } : {}));
      // 127.0.0.2: another origin, always healthy.
      const other = await startReceiver(() => ({}), 0, "127.0.0.2");
      try {
        await withBackendServer(backend, {}, async ({ api, app }) => {
          try {
            assert.equal((await api("POST", "/v1/tenants", { id: "noisy" })).status, 201);
            assert.equal((await api("POST", "/v1/tenants", { id: "quiet" })).status, 201);
            for (let i = 0; i < HANGING_ENDPOINTS; i++) await endpoint(api, "noisy", `${shared.url}/a/${i}`, { timeouts: { requestMs: 10_000 } });
            await endpoint(api, "quiet", `${other.url}/b`);
            await endpoint(api, "quiet", `${shared.url}/b`);

            const flood = Array.from({ length: FLOOD_EVENTS }, (_, i) => ({ type: "flood.tick", payload: { i } }));
            assert.equal((await api("POST", "/v1/tenants/noisy/events", flood)).status, 202);
            // The flood holds every slot it may: at least half of the process's 128.
            await eventually(async () => (app.worker?.inFlight() ?? 0) >= 64, 10_000, "the flood to fill the worker's slots");
            await eventually(async () => shared.requests.length >= 16, 10_000, "hanging requests to reach the receiver");
            const hangingAtStart = shared.requests.length;

            const postedAt = new Map<number, number>();
            for (let n = 0; n < PROBES; n++) {
              postedAt.set(n, Date.now());
              assert.equal((await api("POST", "/v1/tenants/quiet/events", { type: "probe", payload: { probe: n } })).status, 202);
              await new Promise((r) => setTimeout(r, PROBE_GAP_MS));
            }
            // Collect every arrival, late ones too, so that a failure reports how late they were.
            const isProbe = (r: ReceivedRequest) => r.path === "/b";
            const timeoutMs = 20_000;
            const [toOther, toShared] = await Promise.allSettled([other.waitFor(PROBES, timeoutMs, isProbe), shared.waitFor(PROBES, timeoutMs, isProbe)]);
            const latencies = (rx: PromiseSettledResult<ReceivedRequest[]>) =>
              rx.status === "fulfilled" ? rx.value.map((r) => r.at - postedAt.get(probeOf(r)!)!).sort((a, b) => a - b) : null;
            const lo = latencies(toOther);
            const ls = latencies(toShared);
            const summary =
              `other origin: ${lo ? lo.join(", ") : `only ${other.requests.filter(isProbe).length} of ${PROBES} arrived`} ms; ` +
              `hanging endpoint's origin: ${ls ? ls.join(", ") : `only ${shared.requests.filter(isProbe).length} of ${PROBES} arrived`} ms; ` +
              `worker in flight ${app.worker?.inFlight()}, hanging requests at the receiver ${hangingAtStart}`;
            console.log(`${backend}: quiet tenant's delivery latencies: ${summary}`);
            assert.ok(lo && ls, summary);
            assert.ok(Math.max(...lo, ...ls) <= BOUND_MS, `every delivery within ${BOUND_MS} ms of ingest: ${summary}`);
            // Nothing of the flood reached the receiver except on its own endpoints' paths.
            assert.ok(shared.requests.every((r) => r.path === "/b" || r.path.startsWith("/a/")));
          } finally {
            // Let the hanging requests fail now, so the server stops without waiting for them.
            await shared.close();
          }
        });
      } finally {
        await shared.close();
        await other.close();
      }
    });
  });
}
