import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { testBackends } from "../support/backends.ts";
import { runCli } from "../support/cli.ts";
import { withReceiver } from "../support/receiver.ts";
import { type Api, eventually, withBackendServer } from "../support/server.ts";

// Replay / recover: a job with progress, idempotent when asked twice, on every backend.

type Replay = {
  id: string;
  state: string;
  status: string;
  total: number;
  processed: number;
  queued: number;
  skipped: number;
  progress: number;
  finishedAt: string | null;
};
type Dlv = { id: string; status: string; eventId: string };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function deliveries(api: Api, endpointId: string): Promise<Dlv[]> {
  const out: Dlv[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 50; i++) {
    const r: { body: { data: Dlv[]; nextCursor: string | null } } = await api(
      "GET",
      `/v1/tenants/acme/deliveries?endpointId=${endpointId}&limit=100${cursor ? `&cursor=${cursor}` : ""}`,
    );
    out.push(...r.body.data);
    cursor = r.body.nextCursor;
    if (!cursor) break;
  }
  return out;
}

/** Polls the job until it finishes; returns every state seen, in order. */
async function follow(api: Api, id: string): Promise<Replay[]> {
  const seen: Replay[] = [];
  await eventually(
    async () => {
      const r = await api<Replay>("GET", `/v1/tenants/acme/replays/${id}`);
      assert.equal(r.status, 200);
      seen.push(r.body);
      return r.body.state !== "running";
    },
    20_000,
    `replay ${id} to finish`,
  );
  return seen;
}

for (const backend of await testBackends()) {
  describe(`replay (${backend})`, () => {
    it("recovers failed deliveries, resends all on request, reports progress, and does nothing more when asked twice", { timeout: 90_000 }, async () => {
      let up = false;
      await withReceiver(
        () => (up ? {} : { status: 500 }),
        async (rx) => {
          await withBackendServer(
            backend,
            { TOCSIN_RETRY_SCHEDULE: "50ms", TOCSIN_CIRCUIT_FAILURES: "0", TOCSIN_CIRCUIT_FAILURE_RATE: "0" },
            async ({ api }) => {
              await api("POST", "/v1/tenants", { id: "acme" });
              const ep = (await api<{ id: string }>("POST", "/v1/tenants/acme/endpoints", { url: rx.url, eventTypes: ["alert.*"] })).body;
              const since = new Date(Date.now() - 1000).toISOString();
              const n = 1200;
              for (let i = 0; i < n; i += 500) {
                const r = await api(
                  "POST",
                  "/v1/tenants/acme/events",
                  Array.from({ length: Math.min(500, n - i) }, (_, k) => ({ type: k % 10 === 0 ? "other.x" : "alert.fired", payload: { i: i + k } })),
                );
                assert.equal(r.status, 202);
              }
              const matching = Array.from({ length: n }, (_, i) => i).filter((i) => (i % 500) % 10 !== 0).length;
              await eventually(
                async () => {
                  const all = await deliveries(api, ep.id);
                  return all.length === matching && all.every((d) => d.status === "failed");
                },
                60_000,
                "every delivery to fail",
              );
              const failedRequests = rx.requests.length;
              assert.equal(failedRequests, matching * 2);

              up = true;
              // Recover the failed ones.
              const first = await api<Replay>("POST", `/v1/tenants/acme/endpoints/${ep.id}/replay`, { since, status: "failed" });
              assert.equal(first.status, 202, JSON.stringify(first.body));
              assert.match(first.body.id, /^rpl_/);
              assert.equal(first.headers.get("location"), `/v1/tenants/acme/replays/${first.body.id}`);
              assert.equal(first.body.total, matching);
              const seen = await follow(api, first.body.id);
              const done = seen.at(-1)!;
              assert.deepEqual([done.state, done.processed, done.queued, done.skipped, done.progress], ["completed", matching, matching, 0, 1]);
              assert.ok(done.finishedAt);
              for (let i = 1; i < seen.length; i++) assert.ok(seen[i].processed >= seen[i - 1].processed, "progress never goes back");
              assert.ok(seen.every((s) => s.progress >= 0 && s.progress <= 1));
              await rx.waitFor(failedRequests + matching, 30_000);
              await eventually(async () => (await deliveries(api, ep.id)).every((d) => d.status === "succeeded"), 20_000, "the replayed deliveries to succeed");
              // Same webhook-id as the original attempts: receivers dedupe as usual.
              const replayedIds = new Set(rx.requests.slice(failedRequests).map((r) => r.headers["webhook-id"]));
              assert.equal(replayedIds.size, matching);
              const listed = (await api<{ data: Replay[] }>("GET", `/v1/tenants/acme/endpoints/${ep.id}/replays`)).body.data;
              assert.deepEqual(
                listed.map((r) => r.id),
                [first.body.id],
              );

              // Asked again: the same job, nothing sent.
              const again = await api<Replay>("POST", `/v1/tenants/acme/endpoints/${ep.id}/replay`, { since, status: "failed" });
              assert.equal(again.status, 200);
              assert.equal(again.body.id, first.body.id);
              await sleep(500);
              assert.equal(rx.requests.length, failedRequests + matching);

              // Everything of the range, succeeded ones included: one new delivery per matching event.
              const until = new Date().toISOString();
              const all = await api<Replay>("POST", `/v1/tenants/acme/endpoints/${ep.id}/replay`, { since, until, status: "all" });
              assert.equal(all.status, 202);
              // The range also holds one tocsin.delivery.exhausted event per delivery that failed: the
              // endpoint does not subscribe to those (nor to other.x), so they are walked and skipped.
              const inRange = n + matching;
              assert.equal(all.body.total, inRange, "all walks every event of the range");
              const allDone = (await follow(api, all.body.id)).at(-1)!;
              assert.deepEqual(
                [allDone.processed, allDone.queued, allDone.skipped],
                [inRange, matching, inRange - matching],
                "events the endpoint does not subscribe to are skipped",
              );
              await rx.waitFor(failedRequests + 2 * matching, 30_000);
              const twice = await api<Replay>("POST", `/v1/tenants/acme/endpoints/${ep.id}/replay`, { since, until, status: "all" });
              assert.equal(twice.status, 200);
              assert.equal(twice.body.id, all.body.id);
              await sleep(500);
              assert.equal(rx.requests.length, failedRequests + 2 * matching, "the second request sent nothing");
              assert.equal((await deliveries(api, ep.id)).length, 2 * matching);
            },
          );
        },
      );
    });

    it("treats a relative --since as the request typed: the same replay within a day is the same job", { timeout: 60_000 }, async () => {
      await withReceiver(
        () => ({ status: 500 }),
        async (rx) => {
          await withBackendServer(
            backend,
            { TOCSIN_RETRY_SCHEDULE: "50ms", TOCSIN_CIRCUIT_FAILURES: "0", TOCSIN_CIRCUIT_FAILURE_RATE: "0" },
            async ({ api, url, apiKey }) => {
              const env = { TOCSIN_URL: url, TOCSIN_API_KEY: apiKey };
              await api("POST", "/v1/tenants", { id: "acme" });
              const ep = (await api<{ id: string }>("POST", "/v1/tenants/acme/endpoints", { url: rx.url, eventTypes: ["*"] })).body;
              assert.equal(
                (
                  await api("POST", "/v1/tenants/acme/events", [
                    { type: "a.b", payload: {} },
                    { type: "a.b", payload: {} },
                  ])
                ).status,
                202,
              );
              await eventually(async () => (await deliveries(api, ep.id)).every((d) => d.status === "failed"), 20_000, "the deliveries to fail");
              const args = ["endpoint", "replay", "--tenant", "acme", "--id", ep.id, "--since", "1h", "--no-wait", "--json"];
              const first = await runCli(args, env);
              assert.equal(first.code, 0, first.err);
              const job = JSON.parse(first.out) as Replay & { since: string; until: string; sinceAgo: string | null };
              await sleep(1100);
              const second = await runCli(args, env);
              assert.equal(second.code, 0, second.err);
              assert.equal((JSON.parse(second.out) as Replay).id, job.id, "the second request is the first job");
              // The window is resolved by the server, at the time of the first request.
              assert.equal(job.sinceAgo, "1h");
              assert.equal(Date.parse(job.until) - Date.parse(job.since), 3_600_000);
              // Said plainly to a person.
              const third = await runCli(
                args.filter((a) => a !== "--json"),
                env,
              );
              assert.equal(third.code, 0, third.err);
              assert.match(third.out, new RegExp(`same as replay ${job.id} started at \\S+; nothing new queued`));
              assert.match(third.out, /window: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ → \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n/);
              const listed = (await api<{ data: Replay[] }>("GET", `/v1/tenants/acme/endpoints/${ep.id}/replays`)).body.data;
              assert.deepEqual(
                listed.map((r) => r.id),
                [job.id],
              );
              // Another duration, or an explicit time, is another request.
              const other = await api<Replay>("POST", `/v1/tenants/acme/endpoints/${ep.id}/replay`, { since: "2h" });
              assert.equal(other.status, 202);
              assert.notEqual(other.body.id, job.id);
              const sameApi = await api<Replay>("POST", `/v1/tenants/acme/endpoints/${ep.id}/replay`, { since: "2h" });
              assert.equal(sameApi.status, 200);
              assert.equal(sameApi.body.id, other.body.id);
            },
          );
        },
      );
    });

    it("re-sends delivered events (status all) only when told yes", { timeout: 60_000 }, async () => {
      await withReceiver(
        () => ({}),
        async (rx) => {
          await withBackendServer(backend, {}, async ({ api, url, apiKey }) => {
            const env = { TOCSIN_URL: url, TOCSIN_API_KEY: apiKey };
            await api("POST", "/v1/tenants", { id: "acme" });
            const ep = (await api<{ id: string }>("POST", "/v1/tenants/acme/endpoints", { url: rx.url, eventTypes: ["*"] })).body;
            assert.equal((await api("POST", "/v1/tenants/acme/events", { type: "a.b", payload: {} })).status, 202);
            await rx.waitFor(1, 10_000);
            const args = ["endpoint", "replay", "--tenant", "acme", "--id", ep.id, "--since", "1h", "--status", "all"];
            // No terminal to ask on, and no --yes: refused before anything is asked of the server.
            const refused = await runCli(args, env);
            assert.equal(refused.code, 2, refused.out);
            assert.match(refused.err, /already succeeded.*add --yes/s);
            assert.deepEqual((await api<{ data: Replay[] }>("GET", `/v1/tenants/acme/endpoints/${ep.id}/replays`)).body.data, []);
            const yes = await runCli([...args, "--yes"], env);
            assert.equal(yes.code, 0, yes.err);
            assert.match(yes.out, /replay rpl_\w+ completed: 1 deliveries queued/);
            await rx.waitFor(2, 10_000);
          });
        },
      );
    });

    it("refuses bad ranges with a problem naming the field", async () => {
      await withBackendServer(backend, {}, async ({ api }) => {
        await api("POST", "/v1/tenants", { id: "acme" });
        const ep = (await api<{ id: string }>("POST", "/v1/tenants/acme/endpoints", { url: "http://127.0.0.1:9/", eventTypes: ["*"] })).body;
        const cases: [unknown, string][] = [
          [{}, "/since"],
          [{ since: "yesterday" }, "/since"],
          [{ since: "2026-01-02T00:00:00Z", until: "2026-01-01T00:00:00Z" }, "/until"],
          [{ since: "2026-01-01T00:00:00Z", status: "succeeded" }, "/status"],
          [{ since: "2026-01-01T00:00:00Z", extra: true }, ""],
        ];
        for (const [body, path] of cases) {
          const r = await api<{ errors?: { path: string }[] }>("POST", `/v1/tenants/acme/endpoints/${ep.id}/replay`, body);
          assert.equal(r.status, 400, JSON.stringify(body));
          assert.ok(
            r.body.errors?.some((e) => e.path.startsWith(path)),
            `${JSON.stringify(body)} → ${JSON.stringify(r.body)}`,
          );
        }
        assert.equal((await api("POST", "/v1/tenants/acme/endpoints/ep_nope/replay", { since: "2026-01-01T00:00:00Z" })).status, 404);
        assert.equal((await api("GET", "/v1/tenants/acme/replays/rpl_nope")).status, 404);
        // An empty range completes at once.
        const empty = await api<Replay>("POST", `/v1/tenants/acme/endpoints/${ep.id}/replay`, { since: "2020-01-01T00:00:00Z", until: "2020-01-02T00:00:00Z" });
        assert.equal(empty.status, 202);
        assert.deepEqual([empty.body.state, empty.body.total, empty.body.progress], ["completed", 0, 1]);
      });
    });
  });
}
