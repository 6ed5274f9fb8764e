import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { testBackends } from "../support/backends.ts";
import { runCli } from "../support/cli.ts";
import { withReceiver } from "../support/receiver.ts";
import { type Api, createApi, eventually, withBackendServer } from "../support/server.ts";

// "Retry all failed" for the delivery log's filter: a count, then a replay job that queues each
// matching failed delivery once, on every backend.

type Job = { id: string; state: string; endpointId: string | null; eventType: string | null; total: number; queued: number; processed: number };
type Dlv = { id: string; status: string; endpointId: string; eventType: string };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function deliveries(api: Api, tenant: string): Promise<Dlv[]> {
  return (await api<{ data: Dlv[] }>("GET", `/v1/tenants/${tenant}/deliveries?limit=1000`)).body.data;
}

async function follow(api: Api, id: string): Promise<Job> {
  return eventually(
    async () => {
      const r = await api<Job>("GET", `/v1/tenants/acme/replays/${id}`);
      assert.equal(r.status, 200);
      return r.body.state === "running" ? null : r.body;
    },
    20_000,
    `job ${id} to finish`,
  );
}

const failedOf = (all: Dlv[], endpointId: string, type: string) => all.filter((d) => d.endpointId === endpointId && d.eventType === type);

for (const backend of await testBackends()) {
  describe(`retry all failed (${backend})`, () => {
    it("counts, then queues exactly the matching failed deliveries once, and answers the same job when asked again", { timeout: 90_000 }, async () => {
      let up = false;
      let bDown = false;
      await withReceiver(
        (r) => (up && !(bDown && r.path === "/b") ? {} : { status: 500 }),
        async (rx) => {
          await withBackendServer(
            backend,
            { TOCSIN_RETRY_SCHEDULE: "50ms", TOCSIN_CIRCUIT_FAILURES: "0", TOCSIN_CIRCUIT_FAILURE_RATE: "0" },
            async ({ api, url, apiKey }) => {
              for (const id of ["acme", "other"]) await api("POST", "/v1/tenants", { id });
              const a = (await api<{ id: string }>("POST", "/v1/tenants/acme/endpoints", { url: `${rx.url}/a`, eventTypes: ["*"] })).body.id;
              const b = (await api<{ id: string }>("POST", "/v1/tenants/acme/endpoints", { url: `${rx.url}/b`, eventTypes: ["*"] })).body.id;
              await api("POST", "/v1/tenants/other/endpoints", { url: `${rx.url}/other`, eventTypes: ["*"] });
              const events = (types: string[]) => types.map((type, i) => ({ type, payload: { i } }));
              assert.equal((await api("POST", "/v1/tenants/acme/events", events(["a.x", "a.x", "a.x", "b.y", "b.y"]))).status, 202);
              assert.equal((await api("POST", "/v1/tenants/other/events", events(["a.x"]))).status, 202);
              await eventually(
                async () => {
                  const all = [...(await deliveries(api, "acme")), ...(await deliveries(api, "other"))];
                  return all.length === 11 && all.every((d) => d.status === "failed");
                },
                30_000,
                "every delivery to fail",
              );
              up = true;
              const sent = rx.requests.length;
              const retry = <T>(body: unknown, key?: string) => (key ? createApi(url, key) : api)<T>("POST", "/v1/tenants/acme/deliveries/retry-failed", body);

              // Dry runs count with the delivery log's filter names, and queue nothing.
              const counts: [unknown, number][] = [
                [{ dryRun: true }, 10],
                [{ dryRun: true, endpointId: a }, 5],
                [{ dryRun: true, endpointId: a, eventType: "a.x" }, 3],
                [{ dryRun: true, eventType: "a.*" }, 6],
                [{ dryRun: true, eventType: "*" }, 10],
                [{ dryRun: true, since: "1h", until: new Date(Date.now() + 60_000).toISOString() }, 10],
                [{ dryRun: true, since: "2020-01-01T00:00:00Z", until: "2020-01-02T00:00:00Z" }, 0],
              ];
              for (const [body, matched] of counts) {
                const r = await retry<{ matched: number }>(body);
                assert.equal(r.status, 200, JSON.stringify(r.body));
                assert.deepEqual(r.body, { matched }, JSON.stringify(body));
              }
              await sleep(300);
              assert.equal(rx.requests.length, sent, "a dry run sends nothing");

              // One endpoint, one type: exactly those three go again, once.
              const first = await retry<Job>({ endpointId: a, eventType: "a.x" });
              assert.equal(first.status, 202, JSON.stringify(first.body));
              assert.equal(first.headers.get("location"), `/v1/tenants/acme/replays/${first.body.id}`);
              assert.deepEqual([first.body.endpointId, first.body.eventType, first.body.total], [a, "a.x", 3]);
              const done = await follow(api, first.body.id);
              assert.deepEqual([done.state, done.processed, done.queued], ["completed", 3, 3]);
              await rx.waitFor(sent + 3, 10_000);
              let all = await deliveries(api, "acme");
              await eventually(
                async () => {
                  all = await deliveries(api, "acme");
                  return failedOf(all, a, "a.x").every((d) => d.status === "succeeded");
                },
                10_000,
                "the retried deliveries to succeed",
              );
              assert.ok(
                failedOf(all, a, "b.y").every((d) => d.status === "failed"),
                "another type is left alone",
              );
              assert.ok(
                [...failedOf(all, b, "a.x"), ...failedOf(all, b, "b.y")].every((d) => d.status === "failed"),
                "another endpoint is left alone",
              );
              const again = await retry<Job>({ endpointId: a, eventType: "a.x" });
              assert.equal(again.status, 202);
              assert.equal(again.body.id, first.body.id, "the same request is the same job");
              await sleep(500);
              assert.equal(rx.requests.length, sent + 3, "asked again, nothing more is sent");
              assert.ok(rx.requests.slice(sent).every((r) => r.path === "/a"));

              // The CLI: the count first; without a terminal it needs --yes.
              const env = { TOCSIN_URL: url, TOCSIN_API_KEY: apiKey };
              const cliArgs = ["deliveries", "retry-failed", "--tenant", "acme", "--endpoint", b, "--type", "b.y"];
              const refused = await runCli(cliArgs, env);
              assert.equal(refused.code, 2, refused.out);
              assert.match(refused.err, /^2 failed deliveries match\n/);
              assert.match(refused.err, /This queues 2 failed deliveries again: add --yes to go ahead/);
              // B is down again: what the job queues fails again, and so matches again.
              bDown = true;
              const yes = await runCli([...cliArgs, "--yes"], env);
              assert.equal(yes.code, 0, yes.err);
              assert.match(yes.err, /\[#{30}\] 100% {2}2\/2 looked at, 2 queued/);
              assert.match(yes.out, /^window: the start → \S+\nretry rpl_\w+ completed: 2 deliveries queued, 0 skipped, of 2 looked at\n$/);
              await eventually(
                async () => failedOf(await deliveries(api, "acme"), b, "b.y").every((d) => d.status === "failed") && rx.requests.length > sent + 3,
                10_000,
                "B's retried deliveries to fail again",
              );
              await sleep(300);
              const afterCli = rx.requests.length;
              assert.ok(rx.requests.slice(sent + 3).every((r) => r.path === "/b"));
              // Asked again within the day: the same job, said plainly, and nothing is sent.
              await sleep(1100);
              const sameCli = await runCli([...cliArgs, "--yes"], env);
              assert.equal(sameCli.code, 0, sameCli.err);
              assert.match(sameCli.err, /^2 failed deliveries match\n/);
              assert.match(sameCli.out, /^same as retry rpl_\w+ started at \S+; nothing new queued\nwindow: /);
              await sleep(300);
              assert.equal(rx.requests.length, afterCli);
              bDown = false;

              // Every endpoint of the tenant, and no other tenant's.
              const rest = await retry<Job>({});
              assert.equal(rest.status, 202);
              assert.equal(rest.body.endpointId, null);
              // A's two b.y, and B's three a.x and two b.y.
              assert.equal((await follow(api, rest.body.id)).queued, 7);
              await rx.waitFor(afterCli + 7, 10_000);
              await sleep(300);
              assert.equal(rx.requests.length, afterCli + 7);
              assert.ok(!rx.requests.slice(sent).some((r) => r.path === "/other"), "another tenant's deliveries are not retried");
              assert.ok((await deliveries(api, "other")).every((d) => d.status === "failed"));
            },
          );
        },
      );
    });

    it("refuses another tenant's key and bad filters with a problem naming the field", { timeout: 60_000 }, async () => {
      await withBackendServer(backend, {}, async ({ api, url }) => {
        for (const id of ["acme", "other"]) await api("POST", "/v1/tenants", { id });
        const key = await api<{ key: string }>("POST", "/v1/tenants/other/keys", { name: "other", scopes: ["endpoints:write", "read"] });
        assert.equal(key.status, 201);
        const theirs = createApi(url, key.body.key);
        const denied = await theirs("POST", "/v1/tenants/acme/deliveries/retry-failed", { dryRun: true });
        assert.ok(denied.status === 403 || denied.status === 404, String(denied.status));
        assert.equal((await theirs("POST", "/v1/tenants/acme/deliveries/retry-failed", {})).status, denied.status);
        assert.deepEqual((await theirs<{ matched: number }>("POST", "/v1/tenants/other/deliveries/retry-failed", { dryRun: true })).body, { matched: 0 });
        const cases: [unknown, string][] = [
          [{ eventType: "a b" }, "/eventType"],
          [{ since: "yesterday" }, "/since"],
          [{ since: "2026-01-02T00:00:00Z", until: "2026-01-01T00:00:00Z" }, "/until"],
          [{ dryRun: "yes" }, "/dryRun"],
          [{ status: "failed" }, ""],
        ];
        for (const [body, path] of cases) {
          const r = await api<{ errors?: { path: string }[] }>("POST", "/v1/tenants/acme/deliveries/retry-failed", body);
          assert.equal(r.status, 400, JSON.stringify(body));
          assert.match(r.headers.get("content-type") ?? "", /^application\/problem\+json/);
          assert.ok(
            r.body.errors?.some((e) => e.path.startsWith(path)),
            `${JSON.stringify(body)} → ${JSON.stringify(r.body)}`,
          );
        }
        assert.equal((await api("POST", "/v1/tenants/acme/deliveries/retry-failed", { endpointId: "ep_nope" })).status, 404);
        // Nothing failed: a job that is done at once.
        const empty = await api<Job>("POST", "/v1/tenants/acme/deliveries/retry-failed", {});
        assert.equal(empty.status, 202);
        assert.deepEqual([empty.body.state, empty.body.total], ["completed", 0]);
      });
    });
  });
}
