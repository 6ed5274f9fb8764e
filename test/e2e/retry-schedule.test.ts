import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { testBackends } from "../support/backends.ts";
import { runCli } from "../support/cli.ts";
import { withReceiver } from "../support/receiver.ts";
import { type Api, eventually, withBackendServer, withServer } from "../support/server.ts";

// An endpoint's own retry policy (`retry`): it replaces the server's schedule and budget for that
// endpoint only, on every backend, for single and batched deliveries, and a change applies from
// the next decision on.

type Dlv = { id: string; status: string; endpointId: string; attemptCount: number; createdAt: string; batchId: string | null };
type Att = { attemptNo: number; willRetry: boolean; nextAttemptAt: string | null; startedAt: string };

// Distinct from every endpoint's schedule below: four retries 150 ms apart, five attempts in all.
const SERVER = { TOCSIN_RETRY_SCHEDULE: "150ms,150ms,150ms,150ms", TOCSIN_CIRCUIT_FAILURES: "0", TOCSIN_CIRCUIT_FAILURE_RATE: "0" };

async function deliveries(api: Api, tenant = "acme"): Promise<Dlv[]> {
  const r = await api<{ data: Dlv[] }>("GET", `/v1/tenants/${tenant}/deliveries?limit=100`);
  assert.equal(r.status, 200);
  return r.body.data;
}

/** Waits until every delivery of the tenant has failed for good; returns them. */
async function allFailed(api: Api, count: number, what: string): Promise<Dlv[]> {
  return eventually(
    async () => {
      const all = await deliveries(api);
      return all.length === count && all.every((d) => d.status === "failed") ? all : null;
    },
    45_000,
    what,
  );
}

async function endpoint(api: Api, body: Record<string, unknown>): Promise<string> {
  const r = await api<{ id: string }>("POST", "/v1/tenants/acme/endpoints", body);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.id;
}

for (const backend of await testBackends()) {
  describe(`retry schedule per endpoint (${backend})`, () => {
    it("an endpoint's scheduleMs makes exactly its attempts, batches included, while a neighbour follows the server's", { timeout: 90_000 }, async () => {
      await withReceiver(
        () => ({ status: 500 }),
        async (rx) => {
          await withBackendServer(backend, SERVER, async ({ api }) => {
            assert.equal((await api("POST", "/v1/tenants", { id: "acme" })).status, 201);
            const own = await endpoint(api, { url: `${rx.url}/own`, eventTypes: ["one.*"], retry: { scheduleMs: [200, 200] } });
            const server = await endpoint(api, { url: `${rx.url}/server`, eventTypes: ["one.*"] });
            const batched = await endpoint(api, {
              url: `${rx.url}/batched`,
              eventTypes: ["two.*"],
              format: { envelope: "array" },
              batch: { maxEvents: 2, maxWaitMs: 100 },
              retry: { scheduleMs: [200] },
            });
            const shown = await api<{ retry: unknown }>("GET", `/v1/tenants/acme/endpoints/${own}`);
            assert.deepEqual(shown.body.retry, { scheduleMs: [200, 200], maxAttempts: null, maxAgeMs: null });
            assert.equal((await api<{ retry: unknown }>("GET", `/v1/tenants/acme/endpoints/${server}`)).body.retry, null);

            assert.equal((await api("POST", "/v1/tenants/acme/events", { type: "one.fail", payload: {} })).status, 202);
            const two = [
              { type: "two.fail", payload: { n: 1 } },
              { type: "two.fail", payload: { n: 2 } },
            ];
            assert.equal((await api("POST", "/v1/tenants/acme/events", two)).status, 202);
            const all = await allFailed(api, 4, "every delivery to fail for good");

            const of = (id: string) => all.filter((d) => d.endpointId === id);
            assert.deepEqual(
              of(own).map((d) => d.attemptCount),
              [3],
            );
            assert.deepEqual(
              of(server).map((d) => d.attemptCount),
              [5],
            );
            // The batch's two members took each attempt together: two requests, each member two attempts.
            const members = of(batched);
            assert.equal(members.length, 2);
            assert.ok(members.every((d) => d.attemptCount === 2 && d.batchId !== null && d.batchId === members[0]!.batchId));
            const at = (path: string) => rx.requests.filter((r) => r.path === path).map((r) => r.at);
            assert.equal(at("/own").length, 3);
            assert.equal(at("/server").length, 5);
            assert.equal(at("/batched").length, 2);
            // Each retry came at least its step after the attempt before it.
            const own3 = at("/own");
            for (let i = 1; i < own3.length; i++) assert.ok(own3[i]! - own3[i - 1]! >= 200, `gap ${i}: ${own3[i]! - own3[i - 1]!} ms`);
          });
        },
      );
    });

    it("maxAgeMs alone replaces the count: retries go on past the server's five attempts, none scheduled past the age", { timeout: 90_000 }, async () => {
      await withReceiver(
        () => ({ status: 503 }),
        async (rx) => {
          await withBackendServer(backend, SERVER, async ({ api }) => {
            assert.equal((await api("POST", "/v1/tenants", { id: "acme" })).status, 201);
            await endpoint(api, { url: rx.url, eventTypes: ["*"], retry: { maxAgeMs: 3000 } });
            assert.equal((await api("POST", "/v1/tenants/acme/events", { type: "aged", payload: {} })).status, 202);
            const [d] = await allFailed(api, 1, "the delivery to fail for good");
            const r = await api<{ attempts: Att[] }>("GET", `/v1/tenants/acme/deliveries/${d!.id}`);
            assert.equal(r.status, 200);
            const attempts = r.body.attempts;
            assert.equal(attempts.length, d!.attemptCount);
            assert.equal(rx.requests.length, d!.attemptCount);
            assert.ok(d!.attemptCount > 5, `${d!.attemptCount} attempts`);
            const limit = Date.parse(d!.createdAt) + 3000;
            for (const a of attempts) if (a.nextAttemptAt !== null) assert.ok(Date.parse(a.nextAttemptAt) <= limit, JSON.stringify(a));
            const last = attempts.reduce((x, y) => (x.attemptNo > y.attemptNo ? x : y));
            assert.equal(last.willRetry, false);
          });
        },
      );
    });

    it("a PATCH between attempts applies to the next decision, not to the retry already scheduled", { timeout: 90_000 }, async () => {
      await withReceiver(
        () => ({ status: 500 }),
        async (rx) => {
          await withBackendServer(backend, SERVER, async ({ api }) => {
            assert.equal((await api("POST", "/v1/tenants", { id: "acme" })).status, 201);
            // Four attempts 4 s apart as saved; after the first, two retries 200 ms apart.
            const id = await endpoint(api, { url: rx.url, eventTypes: ["*"], retry: { scheduleMs: [4000, 4000, 4000] } });
            assert.equal((await api("POST", "/v1/tenants/acme/events", { type: "patched", payload: {} })).status, 202);
            await rx.waitFor(1, 30_000);
            const p = await api<{ retry: unknown }>("PATCH", `/v1/tenants/acme/endpoints/${id}`, { retry: { scheduleMs: [200, 200] } });
            assert.equal(p.status, 200, JSON.stringify(p.body));
            assert.deepEqual(p.body.retry, { scheduleMs: [200, 200], maxAttempts: null, maxAgeMs: null });
            const [d] = await allFailed(api, 1, "the delivery to fail for good");
            // Three attempts: the new schedule's count, not the old one's four.
            assert.equal(d!.attemptCount, 3);
            assert.equal(rx.requests.length, 3);
            // The retry scheduled before the change kept its time: the second attempt came at least 4 s after the first.
            assert.ok(rx.requests[1]!.at - rx.requests[0]!.at >= 4000, `${rx.requests[1]!.at - rx.requests[0]!.at} ms`);
          });
        },
      );
    });

    it("merges retry as a patch, clears it with null, and refuses bad values with a 400 naming the field", { timeout: 60_000 }, async () => {
      await withBackendServer(backend, SERVER, async ({ api }) => {
        assert.equal((await api("POST", "/v1/tenants", { id: "acme" })).status, 201);
        const id = await endpoint(api, { url: "http://127.0.0.1:9/x", eventTypes: ["*"], retry: { scheduleMs: [1000, 60_000] } });
        const path = `/v1/tenants/acme/endpoints/${id}`;
        const patch = (retry: unknown) => api<{ retry: unknown; errors?: { path: string }[] }>("PATCH", path, { retry });

        assert.deepEqual((await patch({ maxAttempts: 5 })).body.retry, { scheduleMs: [1000, 60_000], maxAttempts: 5, maxAgeMs: null });
        assert.deepEqual((await patch({ scheduleMs: null, maxAgeMs: 86_400_000 })).body.retry, { scheduleMs: null, maxAttempts: 5, maxAgeMs: 86_400_000 });
        assert.equal((await patch({ maxAttempts: null, maxAgeMs: null })).body.retry, null);
        assert.deepEqual((await patch({ maxAttempts: 2 })).body.retry, { scheduleMs: null, maxAttempts: 2, maxAgeMs: null });
        assert.equal((await patch(null)).body.retry, null);

        const DAY = 86_400_000;
        const bad: [unknown, string][] = [
          [{ scheduleMs: [1000, 1000, 1000, 100] }, "/retry/scheduleMs/3"],
          [{ scheduleMs: [1000, 8 * DAY] }, "/retry/scheduleMs/1"],
          [{ scheduleMs: [1000, 1500.5] }, "/retry/scheduleMs/1"],
          [{ scheduleMs: [] }, "/retry/scheduleMs"],
          [{ scheduleMs: Array.from({ length: 50 }, () => 1000) }, "/retry/scheduleMs"],
          [{ scheduleMs: [7 * DAY, 7 * DAY, 7 * DAY, 7 * DAY, 7 * DAY] }, "/retry/scheduleMs"],
          [{ maxAttempts: 0 }, "/retry/maxAttempts"],
          [{ maxAttempts: 51 }, "/retry/maxAttempts"],
          [{ scheduleMs: [7 * DAY], maxAttempts: 6 }, "/retry/maxAttempts"],
          [{ maxAgeMs: 31 * DAY }, "/retry/maxAgeMs"],
          [{ maxAgeMs: 100 }, "/retry/maxAgeMs"],
          [{ maxAgeMs: "1d" }, "/retry/maxAgeMs"],
          [{ attempts: 3 }, "/retry/attempts"],
          [[1000], "/retry"],
        ];
        for (const [retry, field] of bad) {
          const r = await patch(retry);
          assert.equal(r.status, 400, `${JSON.stringify(retry)}: ${JSON.stringify(r.body)}`);
          assert.equal(r.body.errors?.[0]?.path, field, `${JSON.stringify(retry)}: ${JSON.stringify(r.body)}`);
        }
        // Creating one is checked the same way.
        const c = await api<{ errors?: { path: string }[] }>("POST", "/v1/tenants/acme/endpoints", {
          url: "http://127.0.0.1:9/y",
          eventTypes: ["*"],
          retry: { scheduleMs: [1000, 0] },
        });
        assert.equal(c.status, 400);
        assert.equal(c.body.errors?.[0]?.path, "/retry/scheduleMs/1");
        // Nothing of the refused patches was kept.
        assert.equal((await api<{ retry: unknown }>("GET", path)).body.retry, null);
      });
    });
  });
}

describe("retry schedule per endpoint: the CLI", () => {
  it("endpoint add and update set, show and clear the retry policy with --retry-*", { timeout: 90_000 }, async () => {
    await withServer(SERVER, async ({ url, apiKey, api }) => {
      const env = { TOCSIN_URL: url, TOCSIN_API_KEY: apiKey };
      const run = async (args: string[], code = 0) => {
        const r = await runCli(args, env);
        assert.equal(r.code, code, `tocsin ${args.join(" ")} -> ${r.code}\nstdout: ${r.out}\nstderr: ${r.err}`);
        return r;
      };
      await run(["tenant", "create", "--id", "acme"]);
      const add = await run(["endpoint", "add", "--tenant", "acme", "--retry-schedule", "5s, 5m,30m", "http://127.0.0.1:9/x"]);
      assert.match(add.out, /retries\s+delays 5s, 5m, 30m\n/);
      const id = /created endpoint (ep_\w+) -> /.exec(add.out)![1]!;
      const retry = async () => (await api<{ retry: unknown }>("GET", `/v1/tenants/acme/endpoints/${id}`)).body.retry;
      assert.deepEqual(await retry(), { scheduleMs: [5000, 300_000, 1_800_000], maxAttempts: null, maxAgeMs: null });

      // Each flag merges onto what is there; 'default' drops one member.
      const more = await run(["endpoint", "update", "--tenant", "acme", "--id", id, "--retry-max-attempts", "6", "--retry-max-age", "2d"]);
      assert.match(more.out, /retries\s+delays 5s, 5m, 30m; 6 attempts in all; none later than 2d after the event\n/);
      assert.deepEqual(await retry(), { scheduleMs: [5000, 300_000, 1_800_000], maxAttempts: 6, maxAgeMs: 172_800_000 });
      await run(["endpoint", "update", "--tenant", "acme", "--id", id, "--retry-schedule", "default"]);
      assert.deepEqual(await retry(), { scheduleMs: null, maxAttempts: 6, maxAgeMs: 172_800_000 });
      const show = await run(["endpoint", "show", "--tenant", "acme", "--id", id]);
      assert.match(show.out, /retries\s+the server's delays; 6 attempts in all; none later than 2d after the event\n/);

      const cleared = await run(["endpoint", "update", "--tenant", "acme", "--id", id, "--retry-default"]);
      assert.doesNotMatch(cleared.out, /retries/);
      assert.equal(await retry(), null);

      // Usage errors before the server is asked; the server's own checks name the field.
      const usage: [string[], RegExp][] = [
        [["--retry-schedule", "5 seconds"], /--retry-schedule: "5 seconds" is not a duration/],
        [["--retry-schedule", ""], /--retry-schedule: give at least one delay/],
        [["--retry-max-attempts", "three"], /--retry-max-attempts: must be a whole number of attempts/],
        [["--retry-max-age", "2 days"], /--retry-max-age: "2 days" is not a duration/],
        [["--retry-default", "--retry-max-attempts", "3"], /--retry-default and --retry-max-attempts cannot be combined/],
      ];
      for (const [flags, message] of usage) {
        const r = await run(["endpoint", "update", "--tenant", "acme", "--id", id, ...flags], 2);
        assert.match(r.err, message);
      }
      const refused = await run(["endpoint", "update", "--tenant", "acme", "--id", id, "--retry-schedule", "5s,8d"], 1);
      assert.match(refused.err, /\/retry\/scheduleMs\/1/);
      assert.equal(await retry(), null);
    });
  });
});
