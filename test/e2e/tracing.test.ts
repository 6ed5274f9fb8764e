import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { trace } from "@opentelemetry/api";
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace";
import { pino } from "pino";
import {
  initTracing,
  installTracingForTests,
  parseTraceparent,
  tracingOn,
  tracingRequested,
  uninstallTracingForTests,
} from "../../src/observability/tracing.ts";
import { testBackends } from "../support/backends.ts";
import { runCli } from "../support/cli.ts";
import { type ReceivedRequest, withReceiver } from "../support/receiver.ts";
import { eventually, spawnServer, tempDir, withBackendServer, withServer } from "../support/server.ts";

// OpenTelemetry tracing: spans for ingest and for each attempt, joined through the event's stored
// trace context; the request's traceparent continues into Tocsin and, where the endpoint opts in,
// on to the receiver. Off unless OTEL_* switches it on.

const quiet = pino({ level: "silent" });
const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_ID = "00f067aa0ba902b7";
// Strings that must never reach a span: payload, secrets, credentials and the query string.
const MARKERS = ["payload-marker-7f3a", "whsec_", "bearer-marker-91c2", "header-marker-55e1", "query-marker-0b8d", "idem-marker-3c77"];

const attr = (s: ReadableSpan, k: string) => s.attributes[k];

function assertNoSecrets(spans: readonly ReadableSpan[]): void {
  for (const s of spans) {
    for (const [k, v] of Object.entries(s.attributes)) {
      const text = Array.isArray(v) ? v.join(" ") : String(v);
      for (const m of MARKERS) assert.ok(!text.includes(m), `span ${s.name} attribute ${k} holds ${m}: ${text}`);
    }
  }
}

describe("tracing off (OTEL_* unset)", () => {
  it("registers nothing: no tracer, no global provider, and OTEL_SDK_DISABLED or exporter none keep it off", async () => {
    assert.equal(tracingRequested({}), null);
    assert.equal(tracingRequested({ OTEL_TRACES_EXPORTER: "none" }), null);
    assert.equal(tracingRequested({ OTEL_TRACES_EXPORTER: "otlp", OTEL_SDK_DISABLED: "true" }), null);
    assert.equal(await initTracing({}, quiet, "test"), false);
    assert.equal(tracingOn(), false);
    const global = trace.getTracerProvider() as unknown as { getDelegate?: () => unknown };
    assert.equal((global.getDelegate?.() as object | undefined)?.constructor.name, "NoopTracerProvider", "the global API keeps its no-op provider");
    // With no provider, the API's spans are non-recording: what a library using the global API costs.
    assert.equal(trace.getTracer("x").startSpan("y").isRecording(), false);
  });

  it("refuses exporters, protocols and samplers it does not have, naming the variable", async () => {
    await assert.rejects(initTracing({ OTEL_TRACES_EXPORTER: "zipkin" }, quiet, "test"), /OTEL_TRACES_EXPORTER: zipkin/);
    await assert.rejects(
      initTracing({ OTEL_TRACES_EXPORTER: "otlp", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" }, quiet, "test"),
      /OTEL_EXPORTER_OTLP_PROTOCOL: grpc/,
    );
    await assert.rejects(initTracing({ OTEL_TRACES_EXPORTER: "otlp", OTEL_TRACES_SAMPLER: "sometimes" }, quiet, "test"), /OTEL_TRACES_SAMPLER: sometimes/);
    await assert.rejects(
      initTracing({ OTEL_TRACES_EXPORTER: "otlp", OTEL_TRACES_SAMPLER: "traceidratio", OTEL_TRACES_SAMPLER_ARG: "2" }, quiet, "test"),
      /OTEL_TRACES_SAMPLER_ARG: 2/,
    );
    assert.equal(tracingOn(), false);
  });

  it("sends no traceparent and makes no span, even to an endpoint that opted in", { timeout: 60_000 }, async () => {
    await withReceiver(
      () => ({}),
      async (rx) => {
        await withServer({}, async ({ api }) => {
          assert.equal(tracingOn(), false);
          assert.equal((await api("POST", "/v1/tenants", { id: "acme" })).status, 201);
          const ep = await api("POST", "/v1/tenants/acme/endpoints", { url: `${rx.url}/hook`, eventTypes: ["*"], tracing: { propagate: true } });
          assert.equal(ep.status, 201, JSON.stringify(ep.body));
          const r = await api("POST", "/v1/tenants/acme/events", { type: "a.b", payload: {} }, { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` });
          assert.equal(r.status, 202);
          const [got] = await rx.waitFor(1, 30_000);
          assert.equal(got!.headers.traceparent, undefined);
          assert.equal(got!.headers.tracestate, undefined);
        });
      },
    );
  });
});

describe("W3C traceparent parsing", () => {
  it("takes a valid header and refuses malformed ones", () => {
    const ok = parseTraceparent(`00-${TRACE_ID}-${PARENT_ID}-01`, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
    assert.deepEqual(
      { traceId: ok?.traceId, spanId: ok?.spanId, flags: ok?.traceFlags, state: ok?.traceState?.serialize() },
      { traceId: TRACE_ID, spanId: PARENT_ID, flags: 1, state: "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE" },
    );
    // A later version may append fields; version 00 may not.
    assert.equal(parseTraceparent(`01-${TRACE_ID}-${PARENT_ID}-00-future`)?.traceFlags, 0);
    for (const bad of [
      undefined,
      "",
      `00-${TRACE_ID}-${PARENT_ID}-01-extra`,
      `ff-${TRACE_ID}-${PARENT_ID}-01`,
      `00-${"0".repeat(32)}-${PARENT_ID}-01`,
      `00-${TRACE_ID}-${"0".repeat(16)}-01`,
      `00-${TRACE_ID.toUpperCase()}-${PARENT_ID}-01`,
      `00-${TRACE_ID.slice(1)}-${PARENT_ID}-01`,
      `00_${TRACE_ID}_${PARENT_ID}_01`,
    ]) {
      assert.equal(parseTraceparent(bad), null, String(bad));
    }
  });
});

for (const backend of await testBackends()) {
  describe(`tracing on, exported to memory (${backend})`, () => {
    const exporter = new InMemorySpanExporter();
    before(() => installTracingForTests(exporter, quiet));
    after(() => uninstallTracingForTests());

    it(
      "ingest continues the request's trace; each attempt is its child with endpoint, status and attempt; an opted-in receiver gets the attempt's traceparent",
      { timeout: 90_000 },
      async () => {
        exporter.reset();
        const answer = (r: ReceivedRequest) => ({ status: r.path.startsWith("/failing") ? 503 : 200 });
        await withReceiver(answer, async (rx) => {
          await withBackendServer(backend, { TOCSIN_CIRCUIT_FAILURES: "0", TOCSIN_CIRCUIT_FAILURE_RATE: "0" }, async ({ api }) => {
            assert.equal((await api("POST", "/v1/tenants", { id: "acme" })).status, 201);
            const create = async (body: Record<string, unknown>) => {
              const r = await api<{ id: string; tracing: unknown }>("POST", "/v1/tenants/acme/endpoints", body);
              assert.equal(r.status, 201, JSON.stringify(r.body));
              return r.body;
            };
            const propagating = await create({
              url: `${rx.url}/propagating?token=query-marker-0b8d`,
              eventTypes: ["alert.*"],
              tracing: { propagate: true },
              auth: { type: "bearer", token: "bearer-marker-91c2" },
              // The propagated header replaces a custom one of the same name.
              headers: { "x-api-key": "header-marker-55e1", Traceparent: `00-${"1".repeat(32)}-${"2".repeat(16)}-01` },
            });
            assert.deepEqual(propagating.tracing, { propagate: true });
            const failing = await create({ url: `${rx.url}/failing`, eventTypes: ["alert.*"], retry: { scheduleMs: [1000], maxAttempts: 2 } });
            assert.deepEqual(failing.tracing, { propagate: false }, "off by default");

            const r = await api<{ id: string; deliveries: number }>(
              "POST",
              "/v1/tenants/acme/events",
              { type: "alert.raised", payload: { note: "payload-marker-7f3a" }, idempotencyKey: "idem-marker-3c77" },
              { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, tracestate: "vendor=abc" },
            );
            assert.equal(r.status, 202);
            const eventId = r.body.id;

            // Both attempts of the failing endpoint and the one of the propagating one.
            const spans = await eventually(
              async () => {
                const s = exporter.getFinishedSpans();
                return s.filter((x) => x.name === "tocsin.attempt").length >= 3 ? s : null;
              },
              45_000,
              "three attempt spans",
            );
            const ingest = spans.filter((s) => s.name === "tocsin.ingest");
            assert.equal(ingest.length, 1);
            const ing = ingest[0]!;
            assert.equal(ing.spanContext().traceId, TRACE_ID, "the ingest span continues the request's trace");
            assert.equal(ing.parentSpanContext?.spanId, PARENT_ID, "a child of the request's span");
            assert.equal(ing.spanContext().traceState?.serialize(), "vendor=abc");
            assert.equal(attr(ing, "tocsin.tenant.id"), "acme");
            assert.equal(attr(ing, "tocsin.event.type"), "alert.raised");
            assert.equal(attr(ing, "tocsin.event.count"), 1);
            assert.equal(attr(ing, "tocsin.delivery.count"), 2);

            const attempts = spans.filter((s) => s.name === "tocsin.attempt");
            for (const a of attempts) {
              assert.equal(a.kind, 2 /* CLIENT */);
              assert.equal(a.spanContext().traceId, TRACE_ID, "the attempt stays in the producer's trace");
              assert.equal(a.parentSpanContext?.spanId, ing.spanContext().spanId, "a child of the ingest span, found through the stored event");
              assert.equal(attr(a, "tocsin.event.id"), eventId);
              assert.equal(attr(a, "tocsin.tenant.id"), "acme");
              assert.equal(attr(a, "http.request.method"), "POST");
              assert.equal(attr(a, "server.address"), "127.0.0.1");
              assert.equal(typeof attr(a, "tocsin.delivery.id"), "string");
            }
            const ok = attempts.filter((a) => attr(a, "tocsin.endpoint.id") === propagating.id);
            assert.equal(ok.length, 1);
            assert.equal(attr(ok[0]!, "http.response.status_code"), 200);
            assert.equal(attr(ok[0]!, "tocsin.attempt.number"), 1);
            assert.equal(attr(ok[0]!, "url.full"), `${rx.url}/propagating`, "no query string");
            assert.equal(attr(ok[0]!, "error.type"), undefined);
            assert.equal(ok[0]!.status.code, 0 /* UNSET */);

            const bad = attempts
              .filter((a) => attr(a, "tocsin.endpoint.id") === failing.id)
              .sort((x, y) => Number(attr(x, "tocsin.attempt.number")) - Number(attr(y, "tocsin.attempt.number")));
            assert.deepEqual(
              bad.map((a) => [
                attr(a, "tocsin.attempt.number"),
                attr(a, "http.response.status_code"),
                attr(a, "tocsin.error.class"),
                attr(a, "error.type"),
                attr(a, "tocsin.delivery.outcome"),
              ]),
              [
                [1, 503, "http_status", "503", "pending"],
                [2, 503, "http_status", "503", "failed"],
              ],
            );
            assert.equal(attr(bad[1]!, "http.request.resend_count"), 1);
            assert.equal(bad[0]!.status.code, 2 /* ERROR */);

            const toPropagating = rx.requests.filter((q) => q.path.startsWith("/propagating"));
            assert.equal(toPropagating.length, 1);
            assert.equal(toPropagating[0]!.headers.traceparent, `00-${TRACE_ID}-${ok[0]!.spanContext().spanId}-01`, "the attempt span's context");
            assert.equal(toPropagating[0]!.headers.tracestate, "vendor=abc");
            for (const q of rx.requests.filter((q) => q.path.startsWith("/failing"))) {
              assert.equal(q.headers.traceparent, undefined, "not sent to an endpoint that did not opt in");
            }
            assertNoSecrets(spans);
          });
        });
      },
    );

    it("ignores a malformed traceparent: the ingest span starts a trace of its own, which the receiver gets", { timeout: 60_000 }, async () => {
      exporter.reset();
      await withReceiver(
        () => ({}),
        async (rx) => {
          await withBackendServer(backend, {}, async ({ api }) => {
            assert.equal((await api("POST", "/v1/tenants", { id: "acme" })).status, 201);
            const ep = await api("POST", "/v1/tenants/acme/endpoints", { url: `${rx.url}/hook`, eventTypes: ["*"], tracing: { propagate: true } });
            assert.equal(ep.status, 201);
            const malformed = `00-${TRACE_ID}-${PARENT_ID}-01-extra`;
            assert.equal((await api("POST", "/v1/tenants/acme/events", { type: "a.b", payload: {} }, { traceparent: malformed })).status, 202);
            const [got] = await rx.waitFor(1, 30_000);
            const ingest = await eventually(async () => exporter.getFinishedSpans().find((s) => s.name === "tocsin.ingest"), 10_000, "the ingest span");
            assert.equal(ingest.parentSpanContext, undefined, "a root span");
            assert.notEqual(ingest.spanContext().traceId, TRACE_ID);
            const header = String(got!.headers.traceparent);
            assert.notEqual(header, malformed);
            assert.equal(parseTraceparent(header)?.traceId, ingest.spanContext().traceId);
          });
        },
      );
    });

    it(
      "follows the producer's sampling decision: an unsampled trace records no span, yet the receiver still gets its trace id",
      { timeout: 60_000 },
      async () => {
        exporter.reset();
        await withReceiver(
          () => ({}),
          async (rx) => {
            await withBackendServer(backend, {}, async ({ api }) => {
              assert.equal((await api("POST", "/v1/tenants", { id: "acme" })).status, 201);
              const ep = await api("POST", "/v1/tenants/acme/endpoints", { url: `${rx.url}/hook`, eventTypes: ["*"], tracing: { propagate: true } });
              assert.equal(ep.status, 201);
              const r = await api("POST", "/v1/tenants/acme/events", { type: "a.b", payload: {} }, { traceparent: `00-${TRACE_ID}-${PARENT_ID}-00` });
              assert.equal(r.status, 202);
              const [got] = await rx.waitFor(1, 30_000);
              const header = parseTraceparent(got!.headers.traceparent);
              assert.equal(header?.traceId, TRACE_ID);
              assert.equal(header?.traceFlags, 0, "not sampled");
              assert.notEqual(header?.spanId, PARENT_ID, "the attempt's own span id");
              // The attempt is recorded after its request; by then a recorded span would have ended.
              await eventually(
                async () => (await api<{ data: { status: string }[] }>("GET", "/v1/tenants/acme/deliveries")).body.data[0]?.status === "succeeded",
                10_000,
                "the delivery recorded",
              );
              assert.deepEqual(exporter.getFinishedSpans(), []);
            });
          },
        );
      },
    );

    it("a batch's attempt links to the ingest span of every event in it", { timeout: 60_000 }, async () => {
      exporter.reset();
      await withReceiver(
        () => ({}),
        async (rx) => {
          await withBackendServer(backend, {}, async ({ api }) => {
            assert.equal((await api("POST", "/v1/tenants", { id: "acme" })).status, 201);
            const ep = await api("POST", "/v1/tenants/acme/endpoints", {
              url: `${rx.url}/batch`,
              eventTypes: ["*"],
              format: { envelope: "array" },
              batch: { maxEvents: 2, maxWaitMs: 60_000 },
            });
            assert.equal(ep.status, 201);
            for (const p of ["01", "02"]) {
              const tp = `00-${TRACE_ID.slice(0, 30)}${p}-${PARENT_ID}-01`;
              assert.equal((await api("POST", "/v1/tenants/acme/events", { type: "a.b", payload: {} }, { traceparent: tp })).status, 202);
            }
            await rx.waitFor(1, 30_000);
            const attempt = await eventually(async () => exporter.getFinishedSpans().find((s) => s.name === "tocsin.attempt"), 10_000, "the attempt span");
            const ingests = exporter.getFinishedSpans().filter((s) => s.name === "tocsin.ingest");
            assert.equal(ingests.length, 2);
            assert.equal(attempt.parentSpanContext, undefined, "a batch starts its own trace");
            assert.equal(attr(attempt, "tocsin.batch.size"), 2);
            assert.deepEqual(attempt.links.map((l) => l.context.spanId).sort(), ingests.map((s) => s.spanContext().spanId).sort());
          });
        },
      );
    });

    it("tracing.propagate is checked and merge-patched like any setting", { timeout: 60_000 }, async () => {
      await withBackendServer(backend, {}, async ({ api }) => {
        assert.equal((await api("POST", "/v1/tenants", { id: "acme" })).status, 201);
        const bad = await api<{ errors?: { path: string }[] }>("POST", "/v1/tenants/acme/endpoints", {
          url: "https://example.com/hook",
          eventTypes: ["*"],
          tracing: { propagate: "yes" },
        });
        assert.equal(bad.status, 400);
        assert.match(JSON.stringify(bad.body), /tracing\/propagate/);
        const ep = await api<{ id: string }>("POST", "/v1/tenants/acme/endpoints", { url: "https://example.com/hook", eventTypes: ["*"] });
        const on = await api<{ tracing: unknown }>("PATCH", `/v1/tenants/acme/endpoints/${ep.body.id}`, { tracing: { propagate: true } });
        assert.equal(on.status, 200);
        assert.deepEqual(on.body.tracing, { propagate: true });
        const kept = await api<{ tracing: unknown }>("PATCH", `/v1/tenants/acme/endpoints/${ep.body.id}`, { name: "renamed" });
        assert.deepEqual(kept.body.tracing, { propagate: true });
        const reset = await api<{ tracing: unknown }>("PATCH", `/v1/tenants/acme/endpoints/${ep.body.id}`, { tracing: null });
        assert.deepEqual(reset.body.tracing, { propagate: false });
      });
    });
  });
}

describe("tracing.propagate: the CLI", () => {
  it("endpoint add and update set it with --propagate-trace and --no-propagate-trace, and refuse both at once", { timeout: 90_000 }, async () => {
    await withServer({}, async ({ url, apiKey, api }) => {
      const env = { TOCSIN_URL: url, TOCSIN_API_KEY: apiKey };
      const run = async (args: string[], code = 0) => {
        const r = await runCli(args, env);
        assert.equal(r.code, code, `tocsin ${args.join(" ")} -> ${r.code}\nstdout: ${r.out}\nstderr: ${r.err}`);
        return r;
      };
      await run(["tenant", "create", "--id", "acme"]);
      const add = await run(["endpoint", "add", "--tenant", "acme", "--propagate-trace", "http://127.0.0.1:9/x"]);
      const id = /created endpoint (ep_\w+) -> /.exec(add.out)![1]!;
      const tracing = async () => (await api<{ tracing: unknown }>("GET", `/v1/tenants/acme/endpoints/${id}`)).body.tracing;
      assert.deepEqual(await tracing(), { propagate: true });
      assert.match(add.out, /tracing\s+sends the attempt's traceparent to the receiver\n/);
      const off = await run(["endpoint", "update", "--tenant", "acme", "--id", id, "--no-propagate-trace"]);
      assert.deepEqual(await tracing(), { propagate: false });
      assert.doesNotMatch(off.out, /traceparent/);
      const both = await run(["endpoint", "update", "--tenant", "acme", "--id", id, "--propagate-trace", "--no-propagate-trace"], 2);
      assert.match(both.err, /--propagate-trace and --no-propagate-trace cannot be combined/);
      const plain = await run(["endpoint", "add", "--tenant", "acme", "http://127.0.0.1:9/y"]);
      const other = /created endpoint (ep_\w+) -> /.exec(plain.out)![1]!;
      assert.deepEqual((await api<{ tracing: unknown }>("GET", `/v1/tenants/acme/endpoints/${other}`)).body.tracing, { propagate: false });
    });
  });
});

describe("tracing through the OTEL_* variables, in a real process", () => {
  it(
    "exports its spans over OTLP/HTTP to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT with OTEL_SERVICE_NAME, and the last ones on SIGTERM",
    { timeout: 90_000 },
    async () => {
      const dataDir = tempDir();
      const apiKey = `tsk_test_${randomBytes(8).toString("hex")}`;
      try {
        await withReceiver(
          () => ({ status: 200, body: "{}", headers: { "content-type": "application/json" } }),
          async (collector) => {
            const s = await spawnServer(dataDir, apiKey, {
              OTEL_TRACES_EXPORTER: "otlp",
              OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${collector.url}/v1/traces`,
              OTEL_EXPORTER_OTLP_HEADERS: "x-collector-key=k1",
              OTEL_SERVICE_NAME: "tocsin-test",
            });
            try {
              assert.ok(
                s.output.some((l) => l.includes("tracing on")),
                "says tracing is on",
              );
              assert.equal((await s.api("POST", "/v1/tenants", { id: "acme" })).status, 201);
              assert.equal((await s.api("POST", "/v1/tenants/acme/events", { type: "a.b", payload: { secret: "payload-marker-7f3a" } })).status, 202);
            } finally {
              s.child.kill("SIGTERM");
              const timer = setTimeout(() => s.child.kill("SIGKILL"), 30_000);
              await s.exited;
              clearTimeout(timer);
            }
            const [req] = await collector.waitFor(1, 10_000);
            assert.equal(req!.path, "/v1/traces");
            assert.equal(req!.headers["x-collector-key"], "k1");
            const body = JSON.parse(req!.body) as {
              resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: { name: string }[] }[] }[];
            };
            const rs = body.resourceSpans[0]!;
            assert.equal(rs.resource.attributes.find((a) => a.key === "service.name")?.value.stringValue, "tocsin-test");
            assert.ok(rs.scopeSpans.flatMap((x) => x.spans).some((sp) => sp.name === "tocsin.ingest"));
            assert.ok(!req!.body.includes("payload-marker-7f3a"), "no payload in the export");
          },
        );
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  );
});
