import {
  type Attributes,
  type Context,
  type Link,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  createTraceState,
  isSpanContextValid,
  trace,
} from "@opentelemetry/api";
import type { Sampler, SpanExporter } from "@opentelemetry/sdk-trace";
import type { Logger } from "pino";
import { ConfigError } from "../config-error.ts";

/**
 * OpenTelemetry tracing: a `tocsin.ingest` span for each ingest request and a `tocsin.attempt`
 * span for each delivery attempt, exported over OTLP/HTTP. Off unless the standard `OTEL_*`
 * variables switch it on (see docs/operating.md, "Tracing"); off, nothing is registered, the SDK
 * is not even loaded, and every hook below returns after one null check.
 *
 * The provider is this module's own: nothing is registered globally, so a library in the process
 * that uses the global API stays untouched.
 */

/** The tracer when tracing is on; null (the default) makes every hook a no-op. */
let tracer: Tracer | null = null;
let shutdown: (() => Promise<void>) | null = null;
/** Servers in this process that started tracing (tests start several); the last to stop ends it. */
let users = 0;
/** Set by installTracingForTests: initTracing and stopTracing then leave the provider alone. */
let testOwned = false;

export interface TracingSetup {
  /** Where spans go: the OTLP/HTTP exporter, or a test's in-memory one. */
  exporter: SpanExporter;
  /** Export each span as it ends (tests) instead of in batches. */
  simple?: boolean;
}

const truthy = (v: string | undefined) => v !== undefined && v.trim().toLowerCase() === "true";

/**
 * What the OTEL_* variables ask for: null when tracing stays off (OTEL_SDK_DISABLED=true, or
 * OTEL_TRACES_EXPORTER unset, empty or `none`). Only `otlp` is an exporter Tocsin ships; any other
 * name is a configuration error.
 */
export function tracingRequested(env: NodeJS.ProcessEnv): { serviceName: string; sampler: string; samplerArg: string | undefined } | null {
  if (truthy(env.OTEL_SDK_DISABLED)) return null;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? "")
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== "");
  if (exporters.length === 0 || exporters.includes("none")) return null;
  const unknown = exporters.filter((e) => e !== "otlp");
  if (unknown.length > 0) throw new Error(`OTEL_TRACES_EXPORTER: ${unknown.join(", ")} is not an exporter Tocsin has; use otlp or none`);
  const p = protocol(env);
  if (p !== "" && p !== "http/json" && p !== "http/protobuf") {
    throw new Error(`OTEL_EXPORTER_OTLP_PROTOCOL: ${p} is not supported; Tocsin exports OTLP over HTTP as JSON (http/json)`);
  }
  return {
    serviceName: env.OTEL_SERVICE_NAME?.trim() || "tocsin",
    sampler: (env.OTEL_TRACES_SAMPLER ?? "parentbased_always_on").trim().toLowerCase(),
    samplerArg: env.OTEL_TRACES_SAMPLER_ARG,
  };
}

/**
 * Starts tracing when the OTEL_* variables ask for it; returns whether it is on. Loads the SDK only
 * then. Called once per process by main.ts; a second call while on changes nothing.
 */
export async function initTracing(env: NodeJS.ProcessEnv, logger: Logger, version: string, setup?: TracingSetup): Promise<boolean> {
  if (testOwned) return false;
  if (tracer !== null) {
    users++;
    return true;
  }
  let want;
  try {
    want = tracingRequested(env);
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  if (want === null) return false;
  const sdk = await import("@opentelemetry/sdk-trace");
  const { resourceFromAttributes } = await import("@opentelemetry/resources");
  const { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } = await import("@opentelemetry/semantic-conventions");
  let exporter = setup?.exporter;
  if (exporter === undefined) {
    // Reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, _HEADERS, _TIMEOUT and _COMPRESSION itself.
    const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-http");
    exporter = new OTLPTraceExporter();
    if (protocol(env) === "http/protobuf")
      logger.warn("OTEL_EXPORTER_OTLP_PROTOCOL is http/protobuf: Tocsin sends OTLP/HTTP as JSON (http/json), which OTLP/HTTP receivers take too");
  }
  const processor = setup?.simple ? new sdk.SimpleSpanProcessor({ exporter }) : new sdk.BatchSpanProcessor({ exporter });
  const provider = new sdk.TracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: want.serviceName, [ATTR_SERVICE_VERSION]: version }),
    sampler: samplerOf(sdk, want.sampler, want.samplerArg),
    spanProcessors: [processor],
  });
  tracer = provider.getTracer("tocsin", version);
  shutdown = () => provider.shutdown();
  users = 1;
  logger.info({ service: want.serviceName, sampler: want.sampler }, "tracing on: spans are exported over OTLP/HTTP");
  return true;
}

/** OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL; "" when neither is set. */
function protocol(env: NodeJS.ProcessEnv): string {
  return (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? "").trim();
}

type Sdk = typeof import("@opentelemetry/sdk-trace");

/** The OTEL_TRACES_SAMPLER names of the specification; the ratio samplers take OTEL_TRACES_SAMPLER_ARG (default 1). */
function samplerOf(sdk: Sdk, name: string, arg: string | undefined): Sampler {
  const ratio = () => {
    if (arg === undefined || arg.trim() === "") return 1;
    const r = Number(arg);
    if (!Number.isFinite(r) || r < 0 || r > 1) throw new Error(`OTEL_TRACES_SAMPLER_ARG: ${arg} is not a ratio from 0 to 1`);
    return r;
  };
  switch (name) {
    case "always_on":
      return new sdk.AlwaysOnSampler();
    case "always_off":
      return new sdk.AlwaysOffSampler();
    case "traceidratio":
      return new sdk.TraceIdRatioBasedSampler(ratio());
    case "parentbased_always_on":
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOnSampler() });
    case "parentbased_always_off":
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOffSampler() });
    case "parentbased_traceidratio":
      return new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(ratio()) });
    default:
      throw new Error(
        `OTEL_TRACES_SAMPLER: ${name} is not one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio`,
      );
  }
}

/** Exports what is left and stops tracing (the process is stopping). */
export async function stopTracing(): Promise<void> {
  if (testOwned || shutdown === null || --users > 0) return;
  const s = shutdown;
  tracer = null;
  shutdown = null;
  await s();
}

/** Whether spans are being made. */
export function tracingOn(): boolean {
  return tracer !== null;
}

/**
 * Test only: tracing on with `exporter` (an InMemorySpanExporter), each span exported as it ends,
 * whatever the environment says; initTracing and stopTracing leave it alone until
 * uninstallTracingForTests. The server code never calls it.
 */
export async function installTracingForTests(exporter: TracingSetup["exporter"], logger: Logger): Promise<void> {
  await initTracing({ OTEL_TRACES_EXPORTER: "otlp" }, logger, "test", { exporter, simple: true });
  testOwned = true;
}

/** Test only: undoes installTracingForTests. */
export async function uninstallTracingForTests(): Promise<void> {
  testOwned = false;
  await stopTracing();
}

// ---------------------------------------------------------------------------------------------
// W3C Trace Context

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * A `traceparent` header's span context, or null when it is missing or malformed (a malformed one
 * is ignored, never passed on): lower-case hex, version ff refused, version 00 exactly 55
 * characters, trace and span ids not all zeros. `tracestate` is kept only with a valid parent,
 * its invalid members dropped.
 */
export function parseTraceparent(traceparent: unknown, tracestate?: unknown): SpanContext | null {
  if (typeof traceparent !== "string") return null;
  const m = TRACEPARENT.exec(traceparent.trim());
  if (m === null) return null;
  const [, version, traceId, spanId, flags, rest] = m;
  if (version === "ff" || (version === "00" && rest !== undefined)) return null;
  const sc: SpanContext = { traceId: traceId!, spanId: spanId!, traceFlags: parseInt(flags!, 16) & 1, isRemote: true };
  if (!isSpanContextValid(sc)) return null;
  const state = Array.isArray(tracestate) ? tracestate.join(",") : tracestate;
  if (typeof state === "string" && state.trim() !== "" && state.length <= 512) {
    const ts = createTraceState(state);
    if (ts.serialize() !== "") sc.traceState = ts;
  }
  return sc;
}

/** The `traceparent` header for a span context (version 00). */
export function traceparentOf(sc: SpanContext): string {
  return `00-${sc.traceId}-${sc.spanId}-0${sc.traceFlags & 1}`;
}

/** How an event keeps its ingest span's context: traceparent, then a newline and tracestate when there is one. */
export function storedTraceContext(sc: SpanContext): string {
  const state = sc.traceState?.serialize() ?? "";
  return state === "" ? traceparentOf(sc) : `${traceparentOf(sc)}\n${state}`;
}

function parseStored(stored: string | null | undefined): SpanContext | null {
  if (stored === null || stored === undefined) return null;
  const nl = stored.indexOf("\n");
  return nl < 0 ? parseTraceparent(stored) : parseTraceparent(stored.slice(0, nl), stored.slice(nl + 1));
}

// ---------------------------------------------------------------------------------------------
// Spans

/**
 * The `tocsin.ingest` span of one `POST …/events`, a child of the request's `traceparent` when it
 * has a valid one; null when tracing is off. Attributes name the tenant and, once known, the event
 * types and counts: never a payload, key or idempotency key.
 */
export function startIngestSpan(tenantId: string, headers: Record<string, string | string[] | undefined>): Span | null {
  if (tracer === null) return null;
  const remote = parseTraceparent(headers.traceparent, headers.tracestate);
  const parent: Context = remote === null ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, remote);
  return tracer.startSpan("tocsin.ingest", { kind: SpanKind.SERVER, attributes: { "tocsin.tenant.id": tenantId } }, parent);
}

/**
 * Ends an ingest span with what was stored: the event type (the distinct types of a batch, at most
 * 20), the counts of events, duplicates and deliveries, or the error's class. Returns `results`.
 */
export function endIngestSpan<R extends { duplicate: boolean; deliveries: number }>(
  span: Span,
  events: readonly { type: string }[],
  results: R[],
  error: unknown,
): R[] {
  const types = [...new Set(events.map((e) => e.type))].slice(0, 20);
  let deliveries = 0;
  let duplicates = 0;
  for (const r of results) {
    if (r.duplicate) duplicates++;
    else deliveries += r.deliveries;
  }
  span.setAttributes({
    "tocsin.event.type": types.length === 1 ? types[0]! : types,
    "tocsin.event.count": events.length,
    "tocsin.event.duplicate_count": duplicates,
    "tocsin.delivery.count": deliveries,
  });
  if (error !== undefined) {
    // An ApiError's HTTP status (a 4xx is the client's error, not the span's), else the error's name.
    const status = (error as { status?: unknown }).status;
    span.setAttribute("error.type", typeof status === "number" ? String(status) : error instanceof Error ? error.name : "unknown");
    if (typeof status !== "number" || status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
  return results;
}

/** Runs an ingest and ends its span with what it stored, or how it failed. */
export async function tracedIngest<R extends { duplicate: boolean; deliveries: number }>(
  span: Span,
  events: readonly { type: string }[],
  ingest: () => Promise<R[]>,
): Promise<R[]> {
  let results: R[];
  try {
    results = await ingest();
  } catch (e) {
    endIngestSpan(span, events, [], e);
    throw e;
  }
  return endIngestSpan(span, events, results, undefined);
}

/** The stored form of an ingest span's context (for each event it stored), or null. */
export function traceContextOfSpan(span: Span | null): string | null {
  return span === null ? null : storedTraceContext(span.spanContext());
}

export interface AttemptSpanInfo {
  tenantId: string;
  endpointId: string;
  deliveryId: string;
  eventId: string;
  batchId: string | null;
  /** The events' stored ingest contexts: one for a delivery, one per member for a batch. */
  traceContexts: readonly (string | null | undefined)[];
  attemptNo: number;
  method: string;
  url: string;
}

/**
 * The `tocsin.attempt` span (kind CLIENT) of one attempt; null when tracing is off. A single
 * delivery's attempt is a child of its event's ingest span (the trace runs from the producer
 * through Tocsin to the receiver); a batch's attempt starts its own trace, linked to each member's
 * ingest span.
 */
export function startAttemptSpan(a: AttemptSpanInfo): Span | null {
  if (tracer === null) return null;
  const attributes: Attributes = {
    "tocsin.tenant.id": a.tenantId,
    "tocsin.endpoint.id": a.endpointId,
    "tocsin.delivery.id": a.deliveryId,
    "tocsin.event.id": a.eventId,
    "tocsin.attempt.number": a.attemptNo,
    "http.request.method": a.method,
    ...urlAttributes(a.url),
  };
  if (a.attemptNo > 1) attributes["http.request.resend_count"] = a.attemptNo - 1;
  let parent: Context = ROOT_CONTEXT;
  let links: Link[] | undefined;
  if (a.batchId === null) {
    const sc = parseStored(a.traceContexts[0]);
    if (sc !== null) parent = trace.setSpanContext(ROOT_CONTEXT, sc);
  } else {
    attributes["tocsin.batch.id"] = a.batchId;
    attributes["tocsin.batch.size"] = a.traceContexts.length;
    links = [];
    for (const stored of a.traceContexts) {
      const sc = parseStored(stored);
      if (sc !== null) links.push({ context: sc });
    }
  }
  return tracer.startSpan("tocsin.attempt", { kind: SpanKind.CLIENT, attributes, ...(links ? { links } : {}) }, parent);
}

/**
 * `server.address`, `server.port` and `url.full` of a receiver URL, with no user info, query or
 * fragment (they may carry credentials).
 */
export function urlAttributes(url: string): Attributes {
  try {
    const u = new URL(url);
    const port = u.port !== "" ? Number(u.port) : u.protocol === "https:" ? 443 : 80;
    return { "server.address": u.hostname, "server.port": port, "url.full": `${u.protocol}//${u.host}${u.pathname}`, "url.scheme": u.protocol.slice(0, -1) };
  } catch {
    return {};
  }
}

/** Ends an attempt's span with what the receiver answered, or the error's class. */
export function endAttemptSpan(span: Span, statusCode: number | null, errorClass: string | null, outcome: string): void {
  if (statusCode !== null) span.setAttribute("http.response.status_code", statusCode);
  span.setAttribute("tocsin.delivery.outcome", outcome);
  if (errorClass !== null) {
    span.setAttribute("tocsin.error.class", errorClass);
    span.setAttribute("error.type", statusCode !== null ? String(statusCode) : errorClass);
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}

/** The `traceparent` (and `tracestate`) to send to a receiver that opted in: the attempt span's context. */
export function propagationHeaders(span: Span, headers: Record<string, string>): void {
  const sc = span.spanContext();
  if (!isSpanContextValid(sc)) return;
  // They replace custom headers of these names, however spelt.
  for (const k of Object.keys(headers)) {
    const lower = k.toLowerCase();
    if (lower === "traceparent" || lower === "tracestate") delete headers[k];
  }
  headers.traceparent = traceparentOf(sc);
  const state = sc.traceState?.serialize() ?? "";
  if (state !== "") headers.tracestate = state;
}
