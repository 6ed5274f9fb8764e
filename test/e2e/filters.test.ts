import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { testBackends } from "../support/backends.ts";
import { runCli } from "../support/cli.ts";
import { withReceiver } from "../support/receiver.ts";
import { type Api, eventually, withBackendServer, withServer } from "../support/server.ts";
import type { Problem } from "./endpoint-helpers.ts";

// An endpoint's filter (`filter`): an event it excludes makes no delivery for that endpoint, on
// every backend, at ingest and in a replay of everything; Test and Preview say so instead of
// sending; a bad filter is a 400 naming the exact place.

type Dlv = { id: string; status: string; eventId: string; endpointId: string };
type Replay = { id: string; state: string; processed: number; queued: number; skipped: number };

const ISSUE_FILTER = { "payload.severity": { $in: ["high", "critical"] }, "payload.asset.env": "prod" };

async function deliveries(api: Api, endpointId: string): Promise<Dlv[]> {
  const r = await api<{ data: Dlv[] }>("GET", `/v1/tenants/acme/deliveries?endpointId=${endpointId}&limit=100`);
  assert.equal(r.status, 200);
  return r.body.data;
}

async function endpoint(api: Api, body: Record<string, unknown>): Promise<string> {
  const r = await api<{ id: string }>("POST", "/v1/tenants/acme/endpoints", body);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.id;
}

for (const backend of await testBackends()) {
  describe(`endpoint filters (${backend})`, () => {
    it(
      "delivers only matching events to the filtered endpoint while its filter-less neighbour gets all; replay, Test and Preview agree",
      { timeout: 90_000 },
      async () => {
        await withReceiver(
          () => ({ status: 200 }),
          async (rx) => {
            await withBackendServer(backend, {}, async ({ api }) => {
              assert.equal((await api("POST", "/v1/tenants", { id: "acme" })).status, 201);
              const filtered = await endpoint(api, { url: `${rx.url}/filtered`, eventTypes: ["alert.*"], filter: ISSUE_FILTER });
              const all = await endpoint(api, { url: `${rx.url}/all`, eventTypes: ["alert.*"] });
              assert.deepEqual((await api<{ filter: unknown }>("GET", `/v1/tenants/acme/endpoints/${filtered}`)).body.filter, ISSUE_FILTER);
              assert.equal((await api<{ filter: unknown }>("GET", `/v1/tenants/acme/endpoints/${all}`)).body.filter, null);

              const payloads = [
                { severity: "high", asset: { env: "prod" } },
                { severity: "critical", asset: { env: "prod", id: 7 } },
                { severity: "low", asset: { env: "prod" } },
                { severity: "high", asset: { env: "staging" } },
                { severity: "critical" },
              ];
              const ingest = await api<{ events: { id: string; deliveries: number }[] }>(
                "POST",
                "/v1/tenants/acme/events",
                payloads.map((payload) => ({ type: "alert.raised", payload })),
              );
              assert.equal(ingest.status, 202, JSON.stringify(ingest.body));
              const results = ingest.body.events;
              assert.deepEqual(
                results.map((r) => r.deliveries),
                [2, 2, 1, 1, 1],
                "each event's delivery count leaves out the endpoint whose filter excludes it",
              );
              await rx.waitFor(7, 20_000);
              await eventually(async () => (await deliveries(api, all)).every((d) => d.status === "succeeded"), 20_000, "the deliveries to succeed");
              const toFiltered = await deliveries(api, filtered);
              assert.deepEqual(toFiltered.map((d) => d.eventId).sort(), [results[0]!.id, results[1]!.id].sort(), "only the matching events");
              assert.deepEqual((await deliveries(api, all)).map((d) => d.eventId).sort(), results.map((r) => r.id).sort(), "the neighbour gets all");
              const bodies = rx.requests.filter((r) => r.path === "/filtered").map((r) => JSON.parse(r.body) as { severity: string });
              assert.deepEqual(bodies.map((b) => b.severity).sort(), ["critical", "high"]);

              // Replay of everything walks all five events and queues only those the filter passes.
              const since = new Date(Date.now() - 3600_000).toISOString();
              const until = new Date(Date.now() + 1000).toISOString();
              const replay = await api<Replay>("POST", `/v1/tenants/acme/endpoints/${filtered}/replay`, { since, until, status: "all" });
              assert.equal(replay.status, 202, JSON.stringify(replay.body));
              const done = await eventually(
                async () => {
                  const r = (await api<Replay>("GET", `/v1/tenants/acme/replays/${replay.body.id}`)).body;
                  return r.state !== "running" ? r : null;
                },
                20_000,
                "the replay to finish",
              );
              assert.deepEqual([done.state, done.processed, done.queued, done.skipped], ["completed", 5, 2, 3]);
              await rx.waitFor(9, 20_000);
              const replayed = await deliveries(api, filtered);
              assert.equal(replayed.length, 4);
              assert.ok(
                replayed.every((d) => d.eventId === results[0]!.id || d.eventId === results[1]!.id),
                "no delivery of an excluded event",
              );

              // Preview says why an example would not be delivered, and renders it all the same.
              const preview = (payload: unknown) =>
                api<{ body: string; filtered: boolean; reason: string | null }>("POST", `/v1/tenants/acme/endpoints/${filtered}/preview`, {
                  eventType: "alert.raised",
                  payload,
                });
              const out = await preview({ severity: "low", asset: { env: "prod" } });
              assert.equal(out.status, 200, JSON.stringify(out.body));
              assert.equal(out.body.filtered, true);
              assert.match(out.body.reason!, /^would not be delivered: filter/);
              assert.deepEqual(JSON.parse(out.body.body), { severity: "low", asset: { env: "prod" } });
              const inside = await preview({ severity: "high", asset: { env: "prod" } });
              assert.deepEqual([inside.body.filtered, inside.body.reason], [false, null]);
              const plain = await api<{ filtered: boolean }>("POST", `/v1/tenants/acme/endpoints/${all}/preview`, { payload: { severity: "low" } });
              assert.equal(plain.body.filtered, false);

              // Test of the built-in example (no severity, no asset): refused by the filter, nothing sent.
              const before = rx.requests.length;
              const test = await api<{ filtered?: boolean; response: unknown; error: { class: string; message: string } | null }>(
                "POST",
                `/v1/tenants/acme/endpoints/${filtered}/test`,
                {},
              );
              assert.equal(test.status, 200, JSON.stringify(test.body));
              assert.equal(test.body.filtered, true);
              assert.equal(test.body.response, null);
              assert.equal(test.body.error?.class, "filtered");
              assert.match(test.body.error!.message, /^would not be delivered: filter/);
              const sent = await api<{ filtered?: boolean; response: { status: number } | null }>("POST", `/v1/tenants/acme/endpoints/${all}/test`, {});
              assert.equal(sent.body.response?.status, 200);
              assert.notEqual(sent.body.filtered, true);
              await rx.waitFor(before + 1, 10_000);
              assert.equal(rx.requests.length, before + 1, "only the filter-less endpoint's Test was sent");
              assert.equal(rx.requests.at(-1)!.path, "/all");
            });
          },
        );
      },
    );

    it("checks a filter on create and PATCH with a 400 naming the exact place; PATCH replaces it whole and null clears it", { timeout: 60_000 }, async () => {
      await withBackendServer(backend, {}, async ({ api }) => {
        assert.equal((await api("POST", "/v1/tenants", { id: "acme" })).status, 201);
        const bad = await api<Problem>("POST", "/v1/tenants/acme/endpoints", {
          url: "https://receiver.example/hook",
          eventTypes: ["*"],
          filter: { $and: [{ type: "alert.raised" }, { "payload.score": { $gt: "10" } }] },
        });
        assert.equal(bad.status, 400);
        assert.equal(bad.body.errors[0]!.path, "/filter/$and/1/payload.score/$gt");
        assert.match(bad.body.errors[0]!.message, /must be a number/);

        const id = await endpoint(api, { url: "https://receiver.example/hook", eventTypes: ["*"], filter: { "payload.a": 1 } });
        const unknown = await api<Problem>("PATCH", `/v1/tenants/acme/endpoints/${id}`, { filter: { "payload.a": { $regex: "x" } } });
        assert.equal(unknown.status, 400);
        assert.equal(unknown.body.errors[0]!.path, "/filter/payload.a/$regex");
        const root = await api<Problem>("PATCH", `/v1/tenants/acme/endpoints/${id}`, { filter: { "data.a": 1 } });
        assert.equal(root.body.errors[0]!.path, "/filter/data.a");

        const replaced = await api<{ filter: unknown }>("PATCH", `/v1/tenants/acme/endpoints/${id}`, { filter: { "payload.b": { $exists: true } } });
        assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
        assert.deepEqual(replaced.body.filter, { "payload.b": { $exists: true } }, "the new filter replaces the old one, not merged with it");
        const untouched = await api<{ filter: unknown }>("PATCH", `/v1/tenants/acme/endpoints/${id}`, { name: "renamed" });
        assert.deepEqual(untouched.body.filter, { "payload.b": { $exists: true } });
        const cleared = await api<{ filter: unknown }>("PATCH", `/v1/tenants/acme/endpoints/${id}`, { filter: null });
        assert.equal(cleared.body.filter, null);

        // Cleared, the endpoint takes every event again.
        const r = await api<{ deliveries: number }>("POST", "/v1/tenants/acme/events", { type: "x", payload: {} });
        assert.equal(r.body.deliveries, 1);
      });
    });
  });
}

describe("endpoint filters: the CLI", () => {
  it("endpoint add and update set, show, replace and clear the filter with --filter and --no-filter", { timeout: 60_000 }, async () => {
    await withServer({}, async ({ url, apiKey, api }) => {
      const env = { TOCSIN_URL: url, TOCSIN_API_KEY: apiKey };
      const run = async (args: string[], code = 0) => {
        const r = await runCli(args, env);
        assert.equal(r.code, code, `tocsin ${args.join(" ")} -> ${r.code}\nstdout: ${r.out}\nstderr: ${r.err}`);
        return r;
      };
      await run(["tenant", "create", "--id", "acme"]);
      const add = await run(["endpoint", "add", "--tenant", "acme", "--filter", JSON.stringify(ISSUE_FILTER), "http://127.0.0.1:9/x"]);
      assert.match(add.out, /filter\s+\{"payload\.severity":\{"\$in":\["high","critical"\]\},"payload\.asset\.env":"prod"\}\n/);
      const id = /created endpoint (ep_\w+) -> /.exec(add.out)![1]!;
      const filter = async () => (await api<{ filter: unknown }>("GET", `/v1/tenants/acme/endpoints/${id}`)).body.filter;
      assert.deepEqual(await filter(), ISSUE_FILTER);

      await run(["endpoint", "update", "--tenant", "acme", "--id", id, "--filter", '{"type": {"$prefix": "alert."}}']);
      assert.deepEqual(await filter(), { type: { $prefix: "alert." } }, "--filter replaces the filter whole");
      const show = await run(["endpoint", "show", "--tenant", "acme", "--id", id]);
      assert.match(show.out, /filter\s+\{"type":\{"\$prefix":"alert\."\}\}\n/);

      // Usage errors before the server is asked; the server's checks name the exact place.
      const notJson = await run(["endpoint", "update", "--tenant", "acme", "--id", id, "--filter", "severity == high"], 2);
      assert.match(notJson.err, /--filter must be JSON/);
      const both = await run(["endpoint", "update", "--tenant", "acme", "--id", id, "--filter", "{}", "--no-filter"], 2);
      assert.match(both.err, /--filter and --no-filter cannot be combined/);
      const refused = await run(["endpoint", "update", "--tenant", "acme", "--id", id, "--filter", '{"payload.score": {"$gt": "ten"}}'], 1);
      assert.match(refused.err, /\/filter\/payload\.score\/\$gt/);
      assert.deepEqual(await filter(), { type: { $prefix: "alert." } });

      const cleared = await run(["endpoint", "update", "--tenant", "acme", "--id", id, "--no-filter"]);
      assert.doesNotMatch(cleared.out, /filter/);
      assert.equal(await filter(), null);
    });
  });
});
