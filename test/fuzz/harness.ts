import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import http from "node:http";
import { pino } from "pino";
import type { OpenApiDocument } from "../support/openapi.ts";
import { type TestServer, startServer } from "../support/server.ts";
import { type Seed, TARGET, VICTIM, seedFixtures } from "./fixtures.ts";
import { type NetworkGuard, confineNetwork } from "./network.ts";
import { type FuzzRequest, type Limits, type Operation, operationsOf } from "./routes.ts";
import { type Wire, type WireResponse, describeWire, send, wireBuilder } from "./wire.ts";

// ---------------------------------------------------------------------------------------------
// The fuzzed server, and the properties every answer must have
//
// The server runs in this process with no way out to the network (network.ts), two seeded tenants
// (fixtures.ts) and its error log captured. exercise() sends one generated request (wire.ts) and
// checks its answer.

/** Server bugs the fuzzer found and that were fixed: their exact old answers, recognised so that a regression fails loudly. */
export type KnownBug = "bad-url" | "param-too-long" | "client-error" | "expectation" | "stack-overflow" | "regex-too-large";

export interface Verdict {
  status: number;
  knownBug: KnownBug | null;
}

interface LogLine {
  level: number;
  msg?: string;
  err?: { type?: string; message?: string; stack?: string };
}

export interface Harness {
  server: TestServer;
  base: URL;
  doc: OpenApiDocument;
  operations: Operation[];
  limits: Limits;
  tenantKeys: boolean;
  victim: Seed;
  target: Seed;
  network: NetworkGuard;
  knownBugs: Record<KnownBug, { count: number; example: string | null }>;
  snapshotVictim(): Promise<unknown>;
  /** Sends one generated request and checks every per-request property; throws on a violation. */
  exercise(op: Operation, req: FuzzRequest): Promise<Verdict>;
  send(w: Wire): Promise<WireResponse>;
  stop(): Promise<void>;
}

export async function startHarness(extraEnv: Record<string, string> = {}): Promise<Harness> {
  const limits: Limits = { maxBodyBytes: 1024 * 1024, maxPayloadBytes: 64 * 1024, maxBatchEvents: 50 };
  const network = confineNetwork();
  const server = await startServer({
    // Private networks are NOT allowed: literal non-global receiver addresses are refused.
    TOCSIN_ALLOW_PRIVATE_NETWORKS: "false",
    // Deliveries fail (no name resolves) and are `failed` after one retry, so the victim's state settles.
    TOCSIN_RETRY_SCHEDULE: "10ms",
    // Smaller limits than the defaults so that bodies at and just over them are cheap to send.
    TOCSIN_MAX_BODY_BYTES: String(limits.maxBodyBytes),
    TOCSIN_MAX_PAYLOAD_BYTES: String(limits.maxPayloadBytes),
    TOCSIN_MAX_BATCH_EVENTS: String(limits.maxBatchEvents),
    // Errors are captured (below) to classify 500s and print their stacks with the counterexample.
    TOCSIN_LOG_LEVEL: "error",
    // The API is fuzzed, not the web console: its pages are HTML (test/e2e/console-serving.test.ts).
    TOCSIN_CONSOLE: "false",
    ...extraEnv,
  });
  const base = new URL(server.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const errors: LogLine[] = [];
  const stream = (server.app.logger as unknown as Record<symbol, { write(s: string): boolean }>)[pino.symbols.streamSym];
  const echo = process.env.TOCSIN_FUZZ_LOG ? stream.write.bind(stream) : null;
  stream.write = (line: string) => {
    try {
      errors.push(JSON.parse(line) as LogLine);
    } catch {
      errors.push({ level: 50, msg: line });
    }
    if (errors.length > 100) errors.shift();
    return echo ? echo(line) : true;
  };

  const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as OpenApiDocument;
  const operations = operationsOf(doc);
  const has = (key: string) => operations.some((o) => o.key === key);
  const tenantKeys = has("POST /v1/tenants/{tenant}/keys");
  const { victim, target, snapshotVictim, repair } = await seedFixtures(server, operations, tenantKeys);

  const knownBugs: Harness["knownBugs"] = {
    "bad-url": { count: 0, example: null },
    "param-too-long": { count: 0, example: null },
    "client-error": { count: 0, example: null },
    expectation: { count: 0, example: null },
    "stack-overflow": { count: 0, example: null },
    "regex-too-large": { count: 0, example: null },
  };

  const toWire = wireBuilder({ base, apiKey: server.apiKey, victim, target });

  const describeResponse = (r: WireResponse) => `${r.status} ${r.headers["content-type"] ?? "(no content-type)"} ${r.body.toString("utf8").slice(0, 600)}`;

  const isProblem = (r: WireResponse) => String(r.headers["content-type"] ?? "").startsWith("application/problem+json");
  const jsonOf = (r: WireResponse): Record<string, unknown> | null => {
    try {
      return r.body.length ? (JSON.parse(r.body.toString("utf8")) as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  };

  /** Which known bug a non-problem answer is, if any (exact signatures: anything else fails). */
  function classify(w: Wire, r: WireResponse, json: Record<string, unknown> | null): KnownBug | null {
    if (isProblem(r)) return null;
    // Node answers an Expect other than 100-continue itself: 417, no body.
    if (
      r.status === 417 &&
      !r.headers["content-type"] &&
      w.headers.some(([k, v]) => k.toLowerCase() === "expect" && v.trim().toLowerCase() !== "100-continue")
    ) {
      return "expectation";
    }
    if (r.status === 400 && json?.code === "FST_ERR_BAD_URL") return "bad-url";
    if (r.status === 414 && json?.code === "FST_ERR_MAX_PARAM_LENGTH") return "param-too-long";
    if ([400, 408, 431].includes(r.status) && typeof json?.message === "string" && json.statusCode === r.status && json.error && !json.code)
      return "client-error";
    return null;
  }

  async function exercise(op: Operation, req: FuzzRequest): Promise<Verdict> {
    const { wire, tenant, note } = toWire(op, req);
    errors.length = 0;
    let res: WireResponse;
    try {
      res = await send(base, agent, wire);
    } catch (e) {
      throw new Error(`no answer (${(e as Error).message}) to\n${describeWire(wire, note)}`);
    }
    const text = res.body.toString("utf8");
    const json = jsonOf(res);
    const fail = (what: string) => {
      const logged = errors
        .filter((l) => l.level >= 50)
        .map((l) => {
          const text = l.err?.stack ?? l.err?.message ?? l.msg ?? "";
          return text.length > 1500 ? `${text.slice(0, 1000)}…(${text.length} chars)…${text.slice(-400)}` : text;
        })
        .join("\n");
      return `${what}\nrequest:\n${describeWire(wire, note)}\nresponse: ${describeResponse(res)}${logged ? `\nserver log:\n${logged}` : ""}`;
    };

    let bug = classify(wire, res, json);
    if (!bug && wire.method === "HEAD" && res.status >= 400 && !isProblem(res)) {
      // HEAD answers carry no body: ask the same with GET to see which error it is.
      const again = await send(base, agent, { ...wire, method: "GET" });
      if (again.status === res.status) bug = classify({ ...wire, method: "GET" }, again, jsonOf(again));
    }
    const logged = (re: RegExp) => errors.some((l) => re.test(l.err?.message ?? ""));
    if (res.status === 500 && logged(/^Maximum call stack size exceeded$/)) bug = "stack-overflow";
    if (res.status === 500 && logged(/^Invalid regular expression: .*: Regular expression too large$/s)) bug = "regex-too-large";
    if (bug) {
      // Each of these was a server bug the fuzzer found, now fixed: seeing one again fails.
      knownBugs[bug].count++;
      knownBugs[bug].example ??= fail(`known bug ${bug}`);
      assert.fail(fail(`the fixed bug "${bug}" is back`));
    }

    assert.ok(res.status < 500, fail(`${res.status}: a server error`));
    const ctype = String(res.headers["content-type"] ?? "");
    if (res.status >= 400) {
      assert.match(ctype, /^application\/problem\+json/, fail("a 4xx that is not application/problem+json"));
      if (wire.method !== "HEAD") {
        assert.ok(json && typeof json === "object", fail("a 4xx whose body is not a JSON object"));
        for (const k of ["type", "title", "detail", "code"]) assert.equal(typeof json[k], "string", fail(`problem document without a string ${k}`));
        assert.equal(json.status, res.status, fail("problem document whose status is not the HTTP status"));
      }
    } else if (res.status >= 200 && res.status < 300 && res.status !== 204 && wire.method !== "HEAD" && text) {
      // The one route that is not JSON: Prometheus's text exposition format.
      if (op.template === "/metrics") assert.match(ctype, /^text\/plain; version=0\.0\.4/, fail("/metrics not in the Prometheus text format"));
      else assert.ok(json !== null || text === "null", fail("a 2xx whose body is not JSON"));
    }

    // A malformed request (bad path escape, parser error, unsupported Expect) is refused before
    // authentication, which reveals nothing. Without a valid key, a documented route answers 401;
    // a path no route matches (an unrouted request, a fuzzed segment that leaves the route, or a
    // spelling the router does not read as the route) answers 404 and runs no API code.
    const malformed = res.status >= 400 && (json?.code === "invalid_request" || (wire.method === "HEAD" && [400, 417, 431].includes(res.status)));
    if (req.auth.kind === "bad" && !op.public && !malformed) {
      const unmatched = res.status === 404 && (wire.method === "HEAD" || (json?.code === "not_found" && String(json.detail).startsWith("no route for")));
      assert.ok(res.status === 401 || unmatched, fail("a request without a valid key was neither refused with 401 nor unmatched (404)"));
    }

    const ok = res.status >= 200 && res.status < 300;
    if (ok && req.auth.kind === "tenant-key") {
      assert.ok(!(op.roles?.includes("admin") ?? false), fail("a tenant key was allowed on an admin-only route"));
      assert.ok(tenant === null || tenant === TARGET, fail("a tenant key was allowed on another tenant's path"));
    }
    if (ok && tenant !== VICTIM && wire.method !== "HEAD") {
      for (const secret of victim.secrets) assert.ok(!text.includes(secret), fail("an answer outside the victim tenant holds one of its secrets"));
    }
    if (ok && tenant !== null && json) {
      const foreign = tenantIdsIn(json).filter((t) => t !== tenant);
      assert.deepEqual(foreign, [], fail(`an answer under tenant ${JSON.stringify(tenant)} shows objects of another tenant`));
    }

    // Keep the fixtures useful and the data small: remove endpoints the fuzzer created (at most 100
    // per tenant) and tenants or event types made from large bodies (lists would return megabytes
    // over a long campaign); put back seeded objects a successful DELETE removed.
    if (res.status === 201 && json) {
      const large = (wire.body?.length ?? 0) > 16 * 1024;
      const e = encodeURIComponent;
      if (op.template === "/v1/tenants/{tenant}/endpoints")
        await server.api("DELETE", `/v1/tenants/${e(String(json.tenantId))}/endpoints/${e(String(json.id))}`);
      else if (large && op.template === "/v1/tenants") await server.api("DELETE", `/v1/tenants/${e(String(json.id))}`);
      else if (large && op.template === "/v1/event-types") await server.api("DELETE", `/v1/event-types/${e(String(json.name))}`);
    }
    if (ok && wire.method === "DELETE") await repair();
    return { status: res.status, knownBug: null };
  }

  return {
    server,
    base,
    doc,
    operations,
    limits,
    tenantKeys,
    victim,
    target,
    network,
    knownBugs,
    snapshotVictim,
    exercise,
    send: (w) => send(base, agent, w),
    async stop() {
      agent.destroy();
      await server.stop();
      rmSync(server.dataDir, { recursive: true, force: true });
      network.restore();
    },
  };
}

/** `tenantId` of every object in an answer, outside free-form fields (payloads, metadata). */
function tenantIdsIn(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) for (const x of v) tenantIdsIn(x, out);
  else if (v && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) {
      if (k === "tenantId" && typeof x === "string") out.push(x);
      else if (!["payload", "metadata", "example", "schema", "headers"].includes(k)) tenantIdsIn(x, out);
    }
  }
  return out;
}
