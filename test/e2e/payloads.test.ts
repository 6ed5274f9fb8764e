import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Webhook } from "standardwebhooks";
import { testBackends } from "../support/backends.ts";
import { withReceiver } from "../support/receiver.ts";
import { type Api, eventually, withBackendServer } from "../support/server.ts";

// Alert lifecycle, batching and version pinning end to end, on every backend.

type Problem = { errors: { path: string; message: string }[] };
type Ep = { id: string; version: number; secret?: string };

async function endpoint(api: Api, body: Record<string, unknown>): Promise<Ep> {
  const r = await api<Ep>("POST", "/v1/tenants/acme/endpoints", { eventTypes: ["*"], ...body });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

const post = async (api: Api, body: unknown) => {
  const r = await api<{ id: string; deliveries: number; events?: { id: string; deliveries: number }[] }>("POST", "/v1/tenants/acme/events", body);
  assert.equal(r.status, 202, JSON.stringify(r.body));
  return r.body;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const backend of await testBackends()) {
  describe(`alert lifecycle (${backend})`, () => {
    it("tracks alerts by fingerprint, throttles ongoing per endpoint and sends end only where asked", async () => {
      await withReceiver(
        () => ({}),
        async (rx) => {
          await withBackendServer(backend, {}, async ({ api }) => {
            await api("POST", "/v1/tenants", { id: "acme" });
            const transform = '{"state": state, "key": fingerprint, "n": updateCount, "since": startedAt, "ip": payload.ip}';
            await endpoint(api, { url: `${rx.url}/every`, lifecycle: { ongoingIntervalSec: 0 }, format: { transform } });
            await endpoint(api, { url: `${rx.url}/default`, format: { transform } });
            const quiet = await endpoint(api, { url: `${rx.url}/quiet`, lifecycle: { sendResolved: false, ongoingIntervalSec: 600 } });
            assert.deepEqual((await api<{ lifecycle: unknown }>("GET", `/v1/tenants/acme/endpoints/${quiet.id}`)).body.lifecycle, {
              ongoingIntervalSec: 600,
              sendResolved: false,
            });

            const sent: { id: string; deliveries: number }[] = [];
            const steps: [string, string | undefined][] = [
              ["fp-1", undefined], // start (the default with a fingerprint)
              ["fp-1", "start"], // a start for an open alert: ongoing
              ["fp-1", "ongoing"],
              ["fp-1", "end"],
              ["fp-1", "end"], // already resolved: delivered to nobody
              ["fp-2", "end"], // unknown alert: delivered once
            ];
            for (const [fingerprint, state] of steps) {
              sent.push(await post(api, { type: "ddos", fingerprint, ...(state ? { state } : {}), payload: { ip: "198.51.100.7" } }));
            }
            assert.deepEqual(
              sent.map((s) => s.deliveries),
              [3, 1, 1, 2, 0, 2],
            );
            const stored = await Promise.all(
              sent.map(async (s) => (await api<{ state: string; updateCount: number; fingerprint: string }>("GET", `/v1/tenants/acme/events/${s.id}`)).body),
            );
            assert.deepEqual(
              stored.map((e) => [e.fingerprint, e.state, e.updateCount]),
              [
                ["fp-1", "start", 0],
                ["fp-1", "ongoing", 1],
                ["fp-1", "ongoing", 2],
                ["fp-1", "end", 3],
                ["fp-1", "end", 4],
                ["fp-2", "end", 0],
              ],
            );
            const reqs = await rx.waitFor(9);
            await sleep(300);
            assert.equal(rx.requests.length, 9, "no more requests than expected");
            const at = (path: string) =>
              reqs
                .filter((r) => r.path === path)
                .map((r) => JSON.parse(r.body) as Record<string, unknown>)
                .sort((a, b) => String(a.key).localeCompare(String(b.key)) || Number(a.n) - Number(b.n));
            assert.deepEqual(
              at("/every").map((b) => [b.key, b.state, b.n]),
              [
                ["fp-1", "start", 0],
                ["fp-1", "ongoing", 1],
                ["fp-1", "ongoing", 2],
                ["fp-1", "end", 3],
                ["fp-2", "end", 0],
              ],
            );
            assert.deepEqual(
              at("/default").map((b) => [b.key, b.state]),
              [
                ["fp-1", "start"],
                ["fp-1", "end"],
                ["fp-2", "end"],
              ],
            );
            assert.equal(at("/quiet").length, 1, "only the start: ongoing throttled, end not sent");
            const every = at("/every").filter((b) => b.key === "fp-1");
            assert.ok(
              every.every((b) => b.since === every[0].since),
              "startedAt is the alert's start for every update",
            );

            const fp1 = await api<{ status: string; updateCount: number; durationMs: number; endedAt: string }>("GET", "/v1/tenants/acme/alerts/fp-1");
            assert.equal(fp1.status, 200, JSON.stringify(fp1.body));
            assert.equal(fp1.body.status, "resolved");
            assert.equal(fp1.body.updateCount, 4);
            assert.ok(fp1.body.durationMs >= 0 && fp1.body.endedAt !== null);
            const resolved = await api<{ data: { fingerprint: string }[] }>("GET", "/v1/tenants/acme/alerts?status=resolved");
            assert.deepEqual(
              resolved.body.data.map((a) => a.fingerprint),
              ["fp-1", "fp-2"],
            );
            assert.equal((await api("GET", "/v1/tenants/acme/alerts?status=open")).body.data instanceof Array, true);
            assert.equal((await api("GET", "/v1/tenants/acme/alerts/nope")).status, 404);

            // A new start after the end opens a new alert.
            const again = await post(api, { type: "ddos", fingerprint: "fp-1", state: "start", payload: { ip: "x" } });
            assert.equal(again.deliveries, 3);
            assert.equal((await api<{ status: string; updateCount: number }>("GET", "/v1/tenants/acme/alerts/fp-1")).body.status, "open");
          });
        },
      );
    });
  });
}

describe("alert lifecycle: bad input", () => {
  it("refuses a state without fingerprint, unknown states and bad lifecycle settings, naming the field", async () => {
    await withBackendServer("sqlite", {}, async ({ api }) => {
      await api("POST", "/v1/tenants", { id: "acme" });
      const cases: [unknown, string][] = [
        [{ type: "x", state: "start", payload: {} }, "/state"],
        [{ type: "x", fingerprint: "a", state: "firing", payload: {} }, "/state"],
        [{ type: "x", fingerprint: "ends with a space ", payload: {} }, "/fingerprint"],
        [{ type: "x", fingerprint: "", payload: {} }, "/fingerprint"],
        [{ type: "x", fingerprint: "a".repeat(257), payload: {} }, "/fingerprint"],
        [
          [
            { type: "x", payload: {} },
            { type: "x", state: "end", payload: {} },
          ],
          "/1/state",
        ],
      ];
      for (const [body, path] of cases) {
        const r = await api<Problem>("POST", "/v1/tenants/acme/events", body);
        assert.equal(r.status, 400, `${JSON.stringify(body)} -> ${r.status}`);
        assert.ok(
          r.body.errors.some((e) => e.path === path),
          `${JSON.stringify(body)}: ${JSON.stringify(r.body.errors)}`,
        );
      }
      const eps: [unknown, string][] = [
        [{ lifecycle: { ongoingIntervalSec: -1 } }, "/lifecycle/ongoingIntervalSec"],
        [{ lifecycle: { ongoingIntervalSec: 1.5 } }, "/lifecycle/ongoingIntervalSec"],
        [{ lifecycle: { sendResolved: "yes" } }, "/lifecycle/sendResolved"],
        [{ batch: { maxEvents: 10 } }, "/batch"],
        [{ batch: { maxEvents: 0 }, format: { envelope: "array" } }, "/batch/maxEvents"],
        [{ batch: { maxEvents: 5, maxWaitMs: 300_001 }, format: { envelope: "ndjson" } }, "/batch/maxWaitMs"],
      ];
      for (const [settings, path] of eps) {
        const r = await api<Problem>("POST", "/v1/tenants/acme/endpoints", { url: "http://127.0.0.1:9/x", eventTypes: ["*"], ...(settings as object) });
        assert.equal(r.status, 400, `${JSON.stringify(settings)} -> ${r.status}`);
        assert.ok(
          r.body.errors.some((e) => e.path === path),
          `${JSON.stringify(settings)}: ${JSON.stringify(r.body.errors)}`,
        );
      }
    });
  });
});

for (const backend of await testBackends()) {
  describe(`batching (${backend})`, () => {
    it("sends full batches at once and the rest after maxWaitMs, keeps membership and webhook-id across retries", async () => {
      await withReceiver(
        (r, n) => ({ status: r.path === "/full" && n === 1 ? 500 : 200 }),
        async (rx) => {
          await withBackendServer(backend, { TOCSIN_RETRY_SCHEDULE: "300ms,300ms", TOCSIN_POLL_INTERVAL: "50ms" }, async ({ api }) => {
            await api("POST", "/v1/tenants", { id: "acme" });
            const full = await endpoint(api, { url: `${rx.url}/full`, format: { envelope: "array" }, batch: { maxEvents: 3, maxWaitMs: 60_000 } });
            const timed = await endpoint(api, { url: `${rx.url}/timed`, format: { envelope: "ndjson" }, batch: { maxEvents: 10, maxWaitMs: 400 } });
            const secret = (await api<{ secret: string }>("GET", `/v1/tenants/acme/endpoints/${full.id}/secret`)).body.secret;
            const started = Date.now();
            const r = await post(
              api,
              [1, 2, 3, 4].map((n) => ({ type: "hit", payload: { n, score: 9.5 } })),
            );
            const ids = r.events!.map((e) => e.id);
            // /full: the first three go together (500, then the retry); the fourth waits for company.
            const fullReqs = await rx.waitFor(2, 10_000, (q) => q.path === "/full");
            assert.equal(fullReqs[0].body, fullReqs[1].body, "the retry sends the same members");
            assert.equal(fullReqs[0].headers["webhook-id"], fullReqs[1].headers["webhook-id"]);
            const batchId = String(fullReqs[0].headers["webhook-id"]);
            assert.match(batchId, /^bat_/);
            assert.deepEqual(
              (JSON.parse(fullReqs[1].body) as { n: number }[]).map((p) => p.n),
              [1, 2, 3],
            );
            new Webhook(secret).verify(fullReqs[1].body, {
              "webhook-id": String(fullReqs[1].headers["webhook-id"]),
              "webhook-timestamp": String(fullReqs[1].headers["webhook-timestamp"]),
              "webhook-signature": String(fullReqs[1].headers["webhook-signature"]),
            });
            // /timed: all four in one NDJSON body once the oldest has waited 400 ms.
            const [timedReq] = await rx.waitFor(1, 10_000, (q) => q.path === "/timed");
            assert.ok(timedReq.at - started >= 380, `sent after ${timedReq.at - started} ms`);
            assert.equal(timedReq.headers["content-type"], "application/x-ndjson");
            assert.deepEqual(timedReq.body.split("\n"), ['{"n":1,"score":9.5}', '{"n":2,"score":9.5}', '{"n":3,"score":9.5}', '{"n":4,"score":9.5}', ""]);
            await sleep(500);
            assert.equal(rx.requests.filter((q) => q.path === "/full").length, 2, "the fourth event still waits (maxWaitMs 60 s, batch not full)");

            const batch = await api<{
              size: number;
              status: string;
              deliveries: { eventId: string; status: string; batchId: string }[];
              attempts: { statusCode: number; batchId: string }[];
            }>("GET", `/v1/tenants/acme/batches/${batchId}`);
            assert.equal(batch.status, 200, JSON.stringify(batch.body));
            assert.equal(batch.body.size, 3);
            assert.equal(batch.body.status, "succeeded");
            assert.deepEqual(
              batch.body.deliveries.map((d) => d.eventId),
              ids.slice(0, 3),
            );
            assert.deepEqual(
              batch.body.attempts.map((a) => a.statusCode),
              [500, 200],
            );
            // A member shows the batch and its attempts.
            const member = await api<{ batchId: string; status: string; attemptCount: number; attempts: { statusCode: number }[] }>(
              "GET",
              `/v1/tenants/acme/deliveries/${(await api<{ data: { id: string }[] }>("GET", `/v1/tenants/acme/deliveries?eventId=${ids[1]}&endpointId=${full.id}`)).body.data[0].id}`,
            );
            assert.equal(member.body.batchId, batchId);
            assert.equal(member.body.attemptCount, 2);
            assert.deepEqual(
              member.body.attempts.map((a) => a.statusCode),
              [500, 200],
            );
            const fourth = await api<{ data: { status: string; batchId: string | null }[] }>(
              "GET",
              `/v1/tenants/acme/deliveries?eventId=${ids[3]}&endpointId=${full.id}`,
            );
            assert.deepEqual(
              fourth.body.data.map((d) => [d.status, d.batchId]),
              [["pending", null]],
            );
            assert.equal(timed.id.startsWith("ep_"), true);
            assert.equal((await api("GET", "/v1/tenants/acme/batches/bat_nope")).status, 404);
          });
        },
      );
    });
  });
}

describe("version pinning", () => {
  it("retries keep the body of the endpoint version pinned at the first attempt; new deliveries follow the new version", async () => {
    await withReceiver(
      (_r, n) => ({ status: n === 1 ? 503 : 200 }),
      async (rx) => {
        await withBackendServer("sqlite", { TOCSIN_RETRY_SCHEDULE: "1s" }, async ({ api }) => {
          await api("POST", "/v1/tenants", { id: "acme" });
          const ep = await endpoint(api, { url: `${rx.url}/p`, format: { envelope: "ndjson" } });
          const first = await post(api, { type: "x", payload: { a: 1 } });
          await rx.waitFor(1);
          const changed = await api<Ep>("PATCH", `/v1/tenants/acme/endpoints/${ep.id}`, { format: { envelope: "standard" } });
          assert.equal(changed.status, 200);
          const [, retry] = await rx.waitFor(2, 10_000);
          assert.equal(retry.body, '{"a":1}\n', "the retry keeps the ndjson body of the pinned version");
          assert.equal(retry.headers["content-type"], "application/x-ndjson");
          const d = await eventually(async () => {
            const l = await api<{ data: { pinnedVersion: number; status: string }[] }>("GET", `/v1/tenants/acme/deliveries?eventId=${first.id}`);
            return l.body.data[0]?.status === "succeeded" ? l.body.data : null;
          });
          assert.deepEqual(
            d.map((x) => x.pinnedVersion),
            [ep.version],
          );
          await post(api, { type: "x", payload: { a: 2 } });
          const [, , fresh] = await rx.waitFor(3);
          assert.match(fresh.body, /^\{"type":"x","timestamp":"[^"]+","data":\{"a":2\}\}$/);
          assert.equal(fresh.headers["content-type"], "application/json");
          await eventually(async () => (await api<{ data: { status: string }[] }>("GET", "/v1/tenants/acme/deliveries?status=pending")).body.data.length === 0);
        });
      },
    );
  });
});
