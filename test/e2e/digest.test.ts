import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { testBackends } from "../support/backends.ts";
import { runCli } from "../support/cli.ts";
import { scrape, total } from "../support/prometheus.ts";
import { type ReceivedRequest, withReceiver } from "../support/receiver.ts";
import { type Api, eventually, withBackendServer, withServer } from "../support/server.ts";
import type { Problem } from "./endpoint-helpers.ts";

// Digests (`digest`): per endpoint and group key, the first event goes at once and opens a window;
// the others inside it are folded into one digest sent at the window's end, which lists the latest
// maxEvents and counts them all. The server's clock is moved past the window instead of waiting it.

type Dlv = { id: string; status: string; eventId: string; batchId: string | null; reason: { code: string; message: string; digestId?: string } | null };
type DigestBody = {
  type: string;
  digest: { id: string; groupBy: string; key: string; count: number; listed: number; windowStart: string; windowEnd: string };
  events: { n?: number; host?: string; state?: string; fp?: string }[];
};
type BatchDoc = { id: string; size: number; status: string; digest: { groupBy: string; key: string; count: number } | null; deliveries: Dlv[] };

const MINUTE = 60_000;
// The servers' clock runs this far ahead of the real one. It only grows, across both backends' runs:
// ids made in this process then keep following each other (core/ids.ts).
let offset = 0;

async function endpoint(api: Api, body: Record<string, unknown>): Promise<string> {
  const r = await api<{ id: string }>("POST", "/v1/tenants/acme/endpoints", body);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.id;
}

async function post(api: Api, events: Record<string, unknown>[]): Promise<void> {
  const r = await api("POST", "/v1/tenants/acme/events", events);
  assert.equal(r.status, 202, JSON.stringify(r.body));
}

/** Every delivery of an endpoint, paged through (at most 20 pages). */
async function deliveriesOf(api: Api, endpointId: string, status?: string): Promise<Dlv[]> {
  const out: Dlv[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 20; i++) {
    const q: string = `endpointId=${endpointId}&limit=1000${status ? `&status=${status}` : ""}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const r: { status: number; body: { data: Dlv[]; nextCursor: string | null } } = await api<{ data: Dlv[]; nextCursor: string | null }>(
      "GET",
      `/v1/tenants/acme/deliveries?${q}`,
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    out.push(...r.body.data);
    cursor = r.body.nextCursor;
    if (cursor === null) break;
  }
  return out;
}

const at = (rx: { requests: ReceivedRequest[] }, path: string) => rx.requests.filter((r) => r.path === path);
const digests = (rs: ReceivedRequest[]) => rs.filter((r) => String(r.headers["webhook-id"]).startsWith("dig_"));
const bodyOf = (r: ReceivedRequest) => JSON.parse(r.body) as DigestBody;

for (const backend of await testBackends()) {
  describe(`digests (${backend})`, () => {
    it("sends the first event of a key at once and one digest per window with the count, on every rule", { timeout: 180_000 }, async () => {
      const now = () => Date.now() + offset;
      await withReceiver(
        () => ({ status: 200 }),
        async (rx) => {
          await withBackendServer(
            backend,
            {},
            async ({ api, url }) => {
              assert.equal((await api("POST", "/v1/tenants", { id: "acme" })).status, 201);
              // Every update passes the lifecycle here, so that the digest alone decides.
              const burst = await endpoint(api, {
                url: `${rx.url}/burst`,
                eventTypes: ["disk.*"],
                lifecycle: { ongoingIntervalSec: 0 },
                digest: { windowSec: 60, maxEvents: 50 },
              });
              const hosts = await endpoint(api, {
                url: `${rx.url}/hosts`,
                eventTypes: ["host.*"],
                digest: { windowSec: 60, groupBy: "payload.host", maxEvents: 2 },
              });
              const batched = await endpoint(api, {
                url: `${rx.url}/batched`,
                eventTypes: ["batch.*"],
                lifecycle: { ongoingIntervalSec: 0 },
                format: { envelope: "array" },
                batch: { maxEvents: 10, maxWaitMs: 100 },
                digest: { windowSec: 60 },
              });
              const life = await endpoint(api, {
                url: `${rx.url}/life`,
                eventTypes: ["life.*"],
                lifecycle: { ongoingIntervalSec: 3600 },
                digest: { windowSec: 60 },
              });
              const shown = await api<{ digest: unknown }>("GET", `/v1/tenants/acme/endpoints/${hosts}`);
              assert.deepEqual(shown.body.digest, { windowSec: 60, maxEvents: 2, groupBy: "payload.host" });

              // A burst of 1,000 updates of one alert, most in requests of 50 from 4 clients at once
              // (PostgreSQL: concurrent ingests of one key must not open two windows), a second alert,
              // and two events without a fingerprint (not digested under groupBy fingerprint).
              const disk = (n: number) => ({ type: "disk.full", fingerprint: "db-1", state: n === 0 ? "start" : "ongoing", payload: { n } });
              await post(api, [disk(0)]);
              await Promise.all(
                [0, 1, 2, 3].map(async (client) => {
                  for (let k = 0; k < 5; k++) {
                    const first = 1 + client * 250 + k * 50;
                    if (first < 950)
                      await post(
                        api,
                        Array.from({ length: 50 }, (_, i) => disk(first + i)).filter((e) => e.payload.n < 950),
                      );
                  }
                }),
              );
              // The last 50, after the rest: the ones the digest lists.
              await post(
                api,
                Array.from({ length: 50 }, (_, i) => disk(950 + i)),
              );
              await post(api, [
                { type: "disk.full", fingerprint: "db-2", payload: { n: 0 } },
                { type: "disk.full", fingerprint: "db-2", state: "ongoing", payload: { n: 1 } },
                { type: "disk.full", fingerprint: "db-2", state: "ongoing", payload: { n: 2 } },
                { type: "disk.note", payload: { n: -1 } },
                { type: "disk.note", payload: { n: -2 } },
              ]);
              // Grouped by payload.host: two hosts, and an event without a host (sent as usual).
              await post(api, [
                ...[1, 2, 3, 4, 5].map((n) => ({ type: "host.cpu", payload: { host: "web-1", n } })),
                ...[1, 2].map((n) => ({ type: "host.cpu", payload: { host: "web-2", n } })),
                { type: "host.cpu", payload: { n: 0 } },
              ]);
              // With batching: the first events of three alerts go in one batch; the digests are their own requests.
              await post(
                api,
                ["a", "b", "c"].map((fp) => ({ type: "batch.x", fingerprint: fp, payload: { fp } })),
              );
              await post(
                api,
                ["a", "b"].map((fp) => ({ type: "batch.x", fingerprint: fp, state: "ongoing", payload: { fp } })),
              );
              // The lifecycle's limit applies first: the ongoing updates it drops are not folded; the end is.
              await post(api, [
                { type: "life.x", fingerprint: "L", payload: { state: "start" } },
                ...[1, 2, 3].map(() => ({ type: "life.x", fingerprint: "L", state: "ongoing", payload: { state: "ongoing" } })),
                { type: "life.x", fingerprint: "L", state: "end", payload: { state: "end" } },
              ]);

              // At once: 4 to /burst, 3 to /hosts, one batch to /batched, 1 to /life; no digest yet.
              await rx.waitFor(9, 30_000);
              await eventually(async () => (await deliveriesOf(api, batched)).filter((d) => d.status === "succeeded").length === 3, 20_000, "the batch");
              assert.equal(digests(rx.requests).length, 0, "no digest before the window ends");
              const firstBurst = at(rx, "/burst").map((r) => JSON.parse(r.body) as { n: number });
              assert.deepEqual(
                firstBurst.map((b) => b.n).sort((x, y) => x - y),
                [-2, -1, 0, 0],
                "db-1's and db-2's first events, and both events without a fingerprint",
              );
              assert.deepEqual(
                at(rx, "/hosts")
                  .map((r) => r.body)
                  .sort(),
                ['{"host":"web-1","n":1}', '{"host":"web-2","n":1}', '{"n":0}'],
              );
              const batch = at(rx, "/batched");
              assert.equal(batch.length, 1);
              assert.match(String(batch[0]!.headers["webhook-id"]), /^bat_/);
              assert.deepEqual((JSON.parse(batch[0]!.body) as { fp: string }[]).map((e) => e.fp).sort(), ["a", "b", "c"]);

              // The delivery log: the folded deliveries, with the reason; those beyond maxEvents are suppressed.
              const suppressed = await deliveriesOf(api, burst, "suppressed");
              assert.equal(suppressed.length, 999 - 50 + 0, "db-1: all but the latest 50 of the 999 folded");
              const digestId = suppressed[0]!.reason!.digestId!;
              assert.match(digestId, /^dig_/);
              for (const d of suppressed) {
                assert.equal(d.reason?.code, "folded");
                assert.equal(d.reason?.digestId, digestId);
                assert.equal(d.batchId, null);
                assert.match(d.reason!.message, /lists only the latest 50 events/);
              }
              const waiting = (await deliveriesOf(api, burst, "pending")).filter((d) => d.reason?.digestId === digestId);
              assert.equal(waiting.length, 50);
              assert.ok(waiting.every((d) => d.batchId === digestId && d.reason?.code === "folded" && /Folded into digest/.test(d.reason.message)));
              const doc = await api<BatchDoc>("GET", `/v1/tenants/acme/batches/${digestId}`);
              assert.equal(doc.status, 200, JSON.stringify(doc.body));
              assert.equal(doc.body.size, 50);
              assert.deepEqual(doc.body.digest && [doc.body.digest.groupBy, doc.body.digest.key, doc.body.digest.count], ["fingerprint", "db-1", 999]);
              const lifeLog = await deliveriesOf(api, life);
              assert.equal(lifeLog.length, 2, "start at once, end folded; the lifecycle dropped the three ongoing updates");

              const m = await scrape(url);
              assert.equal(total(m, "tocsin_events_folded_total"), 999 + 2 + 4 + 1 + 2 + 1);

              // The windows end: one digest per key with the count and the latest members, in order.
              offset += MINUTE + 1000;
              await eventually(async () => digests(rx.requests).length >= 7, 30_000, "seven digests");
              const burstDigests = digests(at(rx, "/burst")).map(bodyOf);
              const db1 = burstDigests.find((b) => b.digest.key === "db-1")!;
              assert.equal(db1.type, "tocsin.digest");
              assert.deepEqual([db1.digest.id, db1.digest.groupBy, db1.digest.count, db1.digest.listed], [digestId, "fingerprint", 999, 50]);
              assert.deepEqual(
                db1.events.map((e) => e.n),
                Array.from({ length: 50 }, (_, i) => 950 + i),
                "the latest 50, oldest first",
              );
              const db2 = burstDigests.find((b) => b.digest.key === "db-2")!;
              assert.deepEqual([db2.digest.count, db2.events.map((e) => e.n)], [2, [1, 2]]);
              assert.equal(digests(at(rx, "/burst")).length, 2, "one digest per alert");
              const hostDigests = digests(at(rx, "/hosts")).map(bodyOf);
              assert.deepEqual(hostDigests.map((b) => [b.digest.groupBy, b.digest.key, b.digest.count, b.events.map((e) => e.n)]).sort(), [
                ["payload.host", "web-1", 4, [4, 5]],
                ["payload.host", "web-2", 1, [2]],
              ]);
              const batchDigests = digests(at(rx, "/batched")).map(bodyOf);
              assert.deepEqual(batchDigests.map((b) => [b.digest.key, b.digest.count, b.events]).sort(), [
                ["a", 1, [{ fp: "a" }]],
                ["b", 1, [{ fp: "b" }]],
              ]);
              const lifeDigest = digests(at(rx, "/life")).map(bodyOf);
              assert.deepEqual(
                lifeDigest.map((b) => [b.digest.count, b.events]),
                [[1, [{ state: "end" }]]],
              );
              // The listed members follow the digest's delivery (recorded once the receiver has answered).
              await eventually(
                async () => {
                  const sent = (await deliveriesOf(api, burst)).filter((d) => d.batchId === digestId);
                  return sent.length === 50 && sent.every((d) => d.status === "succeeded");
                },
                20_000,
                "the digest's 50 members to succeed",
              );

              // The next window: after the digest, the next event goes at once and opens a new window.
              const before = at(rx, "/burst").length;
              const received = rx.requests.length;
              await post(api, [disk(1000)]);
              await rx.waitFor(received + 1, 20_000);
              const next = at(rx, "/burst").slice(before);
              assert.equal(next.length, 1);
              assert.equal(JSON.parse(next[0]!.body).n, 1000);
              assert.doesNotMatch(String(next[0]!.headers["webhook-id"]), /^dig_/);
              await post(api, [disk(1001), disk(1002)]);
              offset += MINUTE + 1000;
              await eventually(async () => digests(at(rx, "/burst")).length === 3, 30_000, "the next window's digest");
              const second = bodyOf(digests(at(rx, "/burst"))[2]!);
              assert.notEqual(second.digest.id, digestId);
              assert.deepEqual([second.digest.count, second.events.map((e) => e.n)], [2, [1001, 1002]]);
              assert.equal(total(await scrape(url), "tocsin_events_folded_total"), 1009 + 2);
            },
            now,
          );
        },
      );
    });
  });
}

describe("digests: settings", () => {
  it("validates the digest with 400s naming the field, merges a patch and clears with null", { timeout: 60_000 }, async () => {
    await withServer({}, async ({ api }) => {
      assert.equal((await api("POST", "/v1/tenants", { id: "acme" })).status, 201);
      const id = await endpoint(api, { url: "http://127.0.0.1:9/x", eventTypes: ["*"], digest: {} });
      const get = async () => (await api<{ digest: unknown }>("GET", `/v1/tenants/acme/endpoints/${id}`)).body.digest;
      assert.deepEqual(await get(), { windowSec: 300, maxEvents: 100, groupBy: "fingerprint" }, "the defaults");
      const bad = async (digest: unknown, path: string) => {
        const r = await api<Problem>("PATCH", `/v1/tenants/acme/endpoints/${id}`, { digest });
        assert.equal(r.status, 400, JSON.stringify(r.body));
        assert.ok(
          r.body.errors.some((e) => e.path === path),
          `${JSON.stringify(digest)}: ${JSON.stringify(r.body.errors)}`,
        );
      };
      await bad({ windowSec: 5 }, "/digest/windowSec");
      await bad({ windowSec: 86_401 }, "/digest/windowSec");
      await bad({ maxEvents: 0 }, "/digest/maxEvents");
      await bad({ maxEvents: 1001 }, "/digest/maxEvents");
      await bad({ groupBy: "host" }, "/digest/groupBy");
      await bad({ groupBy: "payload..host" }, "/digest/groupBy");
      await bad({ groupBy: "payload" }, "/digest/groupBy");
      assert.deepEqual(await get(), { windowSec: 300, maxEvents: 100, groupBy: "fingerprint" }, "nothing changed");

      const patched = await api<{ digest: unknown }>("PATCH", `/v1/tenants/acme/endpoints/${id}`, { digest: { maxEvents: 20, groupBy: "payload.asset.host" } });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      assert.deepEqual(patched.body.digest, { windowSec: 300, maxEvents: 20, groupBy: "payload.asset.host" }, "a merge patch");
      await api("PATCH", `/v1/tenants/acme/endpoints/${id}`, { name: "renamed" });
      assert.deepEqual(await get(), { windowSec: 300, maxEvents: 20, groupBy: "payload.asset.host" });
      assert.equal((await api<{ digest: unknown }>("PATCH", `/v1/tenants/acme/endpoints/${id}`, { digest: null })).body.digest, null);
      const r = await api<{ deliveries: number }>("POST", "/v1/tenants/acme/events", { type: "x", fingerprint: "f", payload: {} });
      assert.equal(r.body.deliveries, 1);
      // A tenant goes with its endpoints' digest windows.
      await api("PATCH", `/v1/tenants/acme/endpoints/${id}`, { digest: {} });
      for (const state of ["ongoing", "end"]) await api("POST", "/v1/tenants/acme/events", { type: "x", fingerprint: "f", state, payload: {} });
      assert.equal((await api("DELETE", "/v1/tenants/acme")).status, 204);
    });
  });

  it("the CLI sets, shows and clears the digest with --digest-* and --no-digest", { timeout: 60_000 }, async () => {
    await withServer({}, async ({ url, apiKey, api }) => {
      const env = { TOCSIN_URL: url, TOCSIN_API_KEY: apiKey };
      const run = async (args: string[], code = 0) => {
        const r = await runCli(args, env);
        assert.equal(r.code, code, `tocsin ${args.join(" ")} -> ${r.code}\nstdout: ${r.out}\nstderr: ${r.err}`);
        return r;
      };
      await run(["tenant", "create", "--id", "acme"]);
      const add = await run(["endpoint", "add", "--tenant", "acme", "--digest-window", "2m", "http://127.0.0.1:9/x"]);
      const id = /created endpoint (ep_\w+) -> /.exec(add.out)![1]!;
      assert.match(add.out, /digest\s+first event at once, the rest of each 2m window in one digest per fingerprint, listing up to 100 events\n/);
      const digest = async () => (await api<{ digest: unknown }>("GET", `/v1/tenants/acme/endpoints/${id}`)).body.digest;
      await run(["endpoint", "update", "--tenant", "acme", "--id", id, "--digest-max-events", "20", "--digest-group-by", "payload.host"]);
      assert.deepEqual(await digest(), { windowSec: 120, maxEvents: 20, groupBy: "payload.host" });
      const show = await run(["endpoint", "show", "--tenant", "acme", "--id", id]);
      assert.match(show.out, /digest\s+.*per payload\.host, listing up to 20 events/);

      const both = await run(["endpoint", "update", "--tenant", "acme", "--id", id, "--digest-window", "1m", "--no-digest"], 2);
      assert.match(both.err, /cannot be combined/);
      const odd = await run(["endpoint", "update", "--tenant", "acme", "--id", id, "--digest-window", "1500ms"], 2);
      assert.match(odd.err, /--digest-window must be whole seconds/);
      const refused = await run(["endpoint", "update", "--tenant", "acme", "--id", id, "--digest-window", "5s"], 1);
      assert.match(refused.err, /\/digest\/windowSec/);
      await run(["endpoint", "update", "--tenant", "acme", "--id", id, "--no-digest"]);
      assert.equal(await digest(), null);
    });
  });
});
