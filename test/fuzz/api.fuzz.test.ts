import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { TARGET } from "./fixtures.ts";
import { type Harness, type KnownBug, startHarness } from "./harness.ts";
import { UNROUTED, requestOf, unroutedOf } from "./requests.ts";
import type { FuzzRequest, Operation } from "./routes.ts";

// Property-based fuzzing of every route in the server's OpenAPI document (a new route is fuzzed
// without changes here), plus methods and paths no route takes. See routes.ts, values.ts and
// requests.ts for what is generated, harness.ts for the properties, fixtures.ts for the seeded
// tenants and network.ts for why no request leaves the machine.
//
//   TOCSIN_FUZZ_RUNS       cases per route (default 300: about 25 s for the whole file)
//   TOCSIN_FUZZ_BUDGET_MS  time for all routes together (default 45000 below 1000 runs, else no
//                          limit): each route may use its share of what is left, and stops early
//                          (fast-check's interruptAfterTimeLimit) when a slow machine needs it
//   TOCSIN_FUZZ_SEED, TOCSIN_FUZZ_PATH  replay a counterexample fast-check reported
//   TOCSIN_FUZZ_LOG        also print the server's error log
// `npm run fuzz` runs the long campaign (test/fuzz/campaign.ts: 20000 cases per route).

const envInt = (name: string, fallback: number) => {
  const v = process.env[name];
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got "${v}"`);
  return n;
};
const RUNS = envInt("TOCSIN_FUZZ_RUNS", 300);
const BUDGET_MS = envInt("TOCSIN_FUZZ_BUDGET_MS", RUNS >= 1000 ? 0 : 45_000);
const SEED = process.env.TOCSIN_FUZZ_SEED ? envInt("TOCSIN_FUZZ_SEED", 0) | 0 : undefined;
const PATH = process.env.TOCSIN_FUZZ_PATH || undefined;

interface RouteStats {
  route: string;
  cases: number;
  requests: number;
  ms: number;
  interrupted: boolean;
  statuses: Record<number, number>;
}

describe("API fuzzing (fast-check)", () => {
  let h: Harness;
  let victimBefore: unknown;
  let prototypeKeys: string[];
  const stats: RouteStats[] = [];

  before(async () => {
    h = await startHarness();
    prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();
    victimBefore = await h.snapshotVictim();
  });
  after(async () => {
    await h?.stop();
  });

  it(`sends ${RUNS} random and malformed requests to every route: no 5xx, problem documents, 401 without a key, tenants kept apart`, async (t) => {
    const routes: [Operation, fc.Arbitrary<FuzzRequest>][] = h.operations.map((op) => [op, requestOf(op, h.limits, h.tenantKeys)]);
    routes.push([UNROUTED, unroutedOf(h.operations, h.limits, h.tenantKeys)]);
    t.diagnostic(
      `${h.operations.length} routes from /openapi.json, ${RUNS} cases each${BUDGET_MS ? `, ${BUDGET_MS} ms in all at most` : ""}; tenant keys: ${h.tenantKeys}`,
    );
    const deadline = performance.now() + BUDGET_MS;

    for (const [i, [op, arbitrary]] of routes.entries()) {
      await t.test(op.key, async (st) => {
        const started = performance.now();
        // Up to three times an even share of the time left, so that an early slow route is not cut short.
        const left = deadline - started;
        const limit = BUDGET_MS ? Math.max(250, Math.floor(Math.min(left, (3 * left) / (routes.length - i)))) : 0;
        const s: RouteStats = { route: op.key, cases: 0, requests: 0, ms: 0, interrupted: false, statuses: {} };
        stats.push(s);
        const property = fc.asyncProperty(arbitrary, async (req) => {
          s.requests++;
          // The unrouted pseudo-operation carries its method and template in each request.
          const target = op.unrouted
            ? { ...op, template: req.template, pathParams: [...req.template.matchAll(/\{([^}]+)\}/g)].map((m) => ({ name: m[1], schema: {}, required: true })) }
            : op;
          const v = await h.exercise(target, req);
          s.statuses[v.status] = (s.statuses[v.status] ?? 0) + 1;
        });
        const details = await fc.check(property, {
          numRuns: RUNS,
          ...(SEED !== undefined ? { seed: SEED } : {}),
          ...(PATH ? { path: PATH } : {}),
          plugins: limit ? [fc.interruptAfterTimeLimit(limit)] : [],
          includeErrorInReport: true,
        });
        s.cases = details.numRuns;
        s.interrupted = details.interrupted;
        s.ms = Math.round(performance.now() - started);
        const codes = Object.entries(s.statuses)
          .map(([k, n]) => `${k}×${n}`)
          .join(" ");
        st.diagnostic(
          `${s.cases} cases${s.requests !== s.cases ? ` (${s.requests} requests sent)` : ""} in ${s.ms} ms${s.interrupted ? `, stopped by its ${limit} ms share of the budget` : ""}; statuses ${codes}`,
        );
        if (details.failed) assert.fail(await fc.asyncDefaultReportMessage(details));
        assert.deepEqual(await h.snapshotVictim(), victimBefore, `${op.key} changed the victim tenant's data`);
      });
    }

    const total = stats.reduce((n, s) => n + s.cases, 0);
    const ms = stats.reduce((n, s) => n + s.ms, 0);
    const known = Object.entries(h.knownBugs)
      .filter(([, b]) => b.count)
      .map(([k, b]) => `${k}×${b.count}`)
      .join(", ");
    const table = stats
      .map((s) => `  ${String(s.cases).padStart(6)} cases ${String(s.ms).padStart(7)} ms  ${s.route}${s.interrupted ? "  (time limit)" : ""}`)
      .join("\n");
    console.log(`fuzz: ${total} cases over ${stats.length} routes in ${ms} ms (${RUNS} per route requested)\n${table}\nknown bugs hit: ${known || "none"}`);
    t.diagnostic(`${total} cases over ${stats.length} routes in ${ms} ms; known bugs hit: ${known || "none"}`);
  });

  it("left the victim tenant as it was, the server ready, Object.prototype clean and every connection on this machine", async (t) => {
    const hosts = new Set(h.network.connects);
    t.diagnostic(
      `${h.network.connects.length} undici connections in this process (the server's and the fixtures' fetch), to ${hosts.size} hosts (${[...hosts].slice(0, 3).join(", ")}…); ${h.network.lookups.length} name lookups refused`,
    );
    assert.deepEqual(await h.snapshotVictim(), victimBefore);
    assert.equal((await fetch(`${h.server.url}/readyz`)).status, 200);
    assert.equal((await fetch(`${h.server.url}/healthz`)).status, 200);
    assert.equal((await h.server.api("GET", `/v1/tenants/${TARGET}`)).status, 200);
    assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), prototypeKeys);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(h.network.escaped(), [], "connections to hosts other than .invalid names and loopback");
  });

  // Server bugs the fuzzer found, each fixed; these reproduce the original requests. The fuzz
  // properties also recognise their old answers (classify in harness.ts) and fail on them.
  const reportHits = (t: { diagnostic(m: string): void }, bug: KnownBug) => {
    const b = h.knownBugs[bug];
    t.diagnostic(`the fuzz cases above hit this ${b.count} times${b.example ? `; first:\n${b.example}` : ""}`);
  };
  const problemOf = async (r: Response) => ({ status: r.status, type: r.headers.get("content-type")?.split(";")[0], body: await r.text() });
  const auth = () => ({ authorization: `Bearer ${h.server.apiKey}` });

  it("a malformed percent-escape in the path is a 400 problem document", async (t) => {
    reportHits(t, "bad-url");
    const r = await problemOf(await fetch(`${h.server.url}/v1/tenants/%zz`, { headers: auth() }));
    assert.equal(r.type, "application/problem+json", JSON.stringify(r));
  });

  it("tenants with 101 to 128 character ids can be addressed (the router's parameter limit is above the schemas')", async (t) => {
    reportHits(t, "param-too-long");
    const id = `long-${"t".repeat(115)}`;
    const created = await h.server.api("POST", "/v1/tenants", { id });
    assert.equal(created.status, 201, "the id is valid");
    const r = await problemOf(await fetch(`${h.server.url}/v1/tenants/${id}`, { headers: auth() }));
    assert.equal(r.status, 200, JSON.stringify(r));
  });

  it("a request Node's parser refuses (a raw non-ASCII byte, an unknown method) is answered with a problem document", async (t) => {
    reportHits(t, "client-error");
    const r = await h.send({
      method: "GET",
      path: "/v1/tenants/\u00e9",
      headers: [
        ["host", h.base.host],
        ["authorization", `Bearer ${h.server.apiKey}`],
      ],
      body: null,
      chunked: false,
    });
    assert.match(String(r.headers["content-type"]), /^application\/problem\+json/, `${r.status} ${r.headers["content-type"]} ${r.body}`);
  });

  it("an Expect header other than 100-continue gets a 417 problem document", async (t) => {
    reportHits(t, "expectation");
    const r = await h.send({
      method: "GET",
      path: "/v1/tenants",
      headers: [
        ["host", h.base.host],
        ["authorization", `Bearer ${h.server.apiKey}`],
        ["expect", "x"],
      ],
      body: null,
      chunked: false,
    });
    assert.match(String(r.headers["content-type"]), /^application\/problem\+json/, `${r.status} ${r.headers["content-type"]} ${r.body}`);
  });

  it("deeply nested JSON in tenant metadata or an event type's example is a 400, not a stack overflow", async (t) => {
    reportHits(t, "stack-overflow");
    const deep = (n: number) => "[".repeat(n) + "]".repeat(n);
    const headers = { ...auth(), "content-type": "application/json" };
    const tenant = await fetch(`${h.server.url}/v1/tenants`, { method: "POST", headers, body: `{"metadata":{"a":${deep(10_000)}}}` });
    const type = await fetch(`${h.server.url}/v1/event-types`, { method: "POST", headers, body: `{"name":"deep.example","example":${deep(10_000)}}` });
    assert.ok(tenant.status < 500 && type.status < 500, `tenant ${tenant.status}, event type ${type.status}`);
  });

  it("an event type schema whose pattern V8 cannot compile is a 400 naming /schema", async (t) => {
    reportHits(t, "regex-too-large");
    const schema = { type: "string", pattern: "x".repeat(40_000) };
    const r = await h.server.api("POST", "/v1/event-types", { name: "regex.too.large", schema, example: "" });
    assert.ok(r.status < 500, `${r.status} ${JSON.stringify(r.body)}`);
  });

  it("no accepted payload is nested so deep that the tenant's event list fails", async () => {
    const headers = { ...auth(), "content-type": "application/json" };
    await h.server.api("POST", "/v1/tenants", { id: "deep-events" });
    // The deepest payload ingest accepts, found by bisection; reading it back nests deeper.
    let lo = 1;
    let hi = 20_000;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      const r = await fetch(`${h.server.url}/v1/tenants/deep-events/events`, {
        method: "POST",
        headers,
        body: `{"type":"a","payload":${"[".repeat(mid)}${"]".repeat(mid)}}`,
      });
      if (r.status === 202) lo = mid;
      else hi = mid;
    }
    const list = await fetch(`${h.server.url}/v1/tenants/deep-events/events?limit=1000`, { headers: auth() });
    assert.equal(list.status, 200, `GET …/events after accepting a payload nested ${lo} deep: ${list.status} ${await list.text()}`);
  });
});
