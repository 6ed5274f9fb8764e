// The Test button and the body preview: an example event through an endpoint's real settings, outside the delivery queue.
import { invalid, notFound } from "../core/errors.ts";
import { compileFilter, filterSubject } from "../core/filter.ts";
import { newId } from "../core/ids.ts";
import type { Endpoint } from "../core/types.ts";
import { type EndpointProfile, type ShapedEvent, buildRequest, compileProfile, redactedHeaders, shapeBody } from "../delivery/request.ts";
import { TransformError } from "../delivery/transform.ts";
import type { OutgoingRequest } from "../delivery/sender.ts";
import type { ServiceDeps } from "./deps.ts";
import { decryptSecrets, getWithSecrets } from "./endpoint-secrets.ts";

export async function profileOf(d: ServiceDeps, tenantId: string, id: string): Promise<{ endpoint: Endpoint; profile: EndpointProfile }> {
  const { endpoint, secrets } = await getWithSecrets(d, tenantId, id);
  return { endpoint, profile: compileProfile(endpoint, decryptSecrets(d, secrets), d.userAgent) };
}

export interface TestCallResult {
  request: { method: string; url: string; headers: Record<string, string>; body: string | null };
  response: { status: number; headers: Record<string, string>; body: string } | null;
  error: { class: string; message: string } | null;
  durationMs: number;
  /** True when the endpoint's filter excludes the event: nothing was sent. */
  filtered?: boolean;
}

/** What Test and Preview say of an event the endpoint's filter excludes. */
export const FILTERED_REASON = "would not be delivered: filter (the endpoint's filter excludes this event)";

/** Whether the endpoint's filter excludes an example event (attributes it lacks are missing). */
function excludedByFilter(endpoint: Endpoint, e: ShapedEvent): boolean {
  const f = endpoint.settings.filter;
  if (f === null || f === undefined) return false;
  return !compileFilter(f)(filterSubject({ type: e.type, severity: null, fingerprint: null, state: null, payload: e.payload }));
}

export async function sendAndReport(d: ServiceDeps, req: OutgoingRequest): Promise<TestCallResult> {
  const r = await d.sender.send(req);
  const transportError = r.statusCode === null;
  return {
    request: { method: req.method, url: req.url, headers: redactedHeaders(req.headers), body: req.body },
    response: transportError ? null : { status: r.statusCode!, headers: r.headers ?? {}, body: r.body ?? "" },
    error: r.errorClass === null ? null : { class: r.errorClass, message: r.errorMessage ?? "" },
    durationMs: r.durationMs,
  };
}

/**
 * The Test button: sends an event type's example (or a small built-in payload) through the
 * endpoint's real settings, now, outside the delivery queue, and reports what happened.
 */
export async function testEndpoint(d: ServiceDeps, tenantId: string, id: string, input: { eventType?: string }): Promise<TestCallResult> {
  const { endpoint, profile } = await profileOf(d, tenantId, id);
  const now = d.now();
  const event = await exampleEvent(d, input, now);
  const body = await shapeExample(d, profile, event, tenantId);
  const req = buildRequest(profile, { id: newId("msg", now), timestampSec: Math.floor(now / 1000), body }, now);
  if (excludedByFilter(endpoint, event)) {
    // Like a delivery of this event: none is made. The request shows what would have gone.
    return {
      request: { method: req.method, url: req.url, headers: redactedHeaders(req.headers), body: req.body },
      response: null,
      error: { class: "filtered", message: FILTERED_REASON },
      durationMs: 0,
      filtered: true,
    };
  }
  return sendAndReport(d, req);
}

/** An example event: the given payload, else the event type's catalog example, else a built-in one. */
async function exampleEvent(d: ServiceDeps, input: { eventType?: string; payload?: unknown }, now: number): Promise<ShapedEvent> {
  const type = input.eventType ?? "tocsin.test";
  if (input.payload !== undefined) return { type, createdAt: now, payload: JSON.stringify(input.payload) };
  if (input.eventType !== undefined) {
    const t = await d.store.getEventType(input.eventType);
    if (!t) throw notFound("event type", input.eventType);
    if (t.example !== null && t.example !== undefined) return { type, createdAt: now, payload: JSON.stringify(t.example) };
  }
  const payload = JSON.stringify({ type, message: "Test delivery from Tocsin: your endpoint is reachable.", timestamp: new Date(now).toISOString() });
  return { type, createdAt: now, payload };
}

async function shapeExample(d: ServiceDeps, profile: EndpointProfile, e: ShapedEvent, tenantId: string): Promise<string> {
  try {
    return await shapeBody(
      profile.shaping,
      { ...e, id: newId("msg", e.createdAt), tenantId, severity: null, fingerprint: null, state: null, startedAt: e.createdAt, updateCount: 0 },
      d.config.maxPayloadBytes * 4,
    );
  } catch (err) {
    if (err instanceof TransformError) throw invalid("/format/transform", err.message);
    throw err;
  }
}

/** The exact body (and content type) the endpoint would receive for an example event; nothing is sent. */
export async function previewEndpoint(
  d: ServiceDeps,
  tenantId: string,
  id: string,
  input: { eventType?: string; payload?: unknown },
): Promise<{ contentType: string; body: string; filtered: boolean; reason: string | null }> {
  const { endpoint, profile } = await profileOf(d, tenantId, id);
  const event = await exampleEvent(d, input, d.now());
  const body = await shapeExample(d, profile, event, tenantId);
  const contentType = profile.headers.find(([k]) => k.toLowerCase() === "content-type")?.[1] ?? "application/json";
  const filtered = excludedByFilter(endpoint, event);
  return { contentType, body, filtered, reason: filtered ? FILTERED_REASON : null };
}
