import { fingerprintProblem } from "../core/alerts.ts";
import { ApiError, invalid, notFound } from "../core/errors.ts";
import { newId } from "../core/ids.ts";
import type { AlertState, Delivery, EventRecord, Severity } from "../core/types.ts";
import type { IngestResult, NewEvent, Page, PageResult } from "../store/store.ts";
import type { ServiceDeps } from "./deps.ts";

export const IDEMPOTENCY_WINDOW_MS = 24 * 3600_000;

export interface EventInput {
  type: string;
  severity?: Severity;
  /** Dedupe key of the alert this event updates (LeakIX's event_fingerprint, Netography's cachekey). */
  fingerprint?: string;
  /** The alert's phase; given without a fingerprint it is a 400. Omitted with a fingerprint: start. */
  state?: AlertState;
  /** Parsed with number source text kept (see core/json.ts), so stringify restores the exact text. */
  payload: unknown;
  idempotencyKey?: string;
}

/**
 * Durable ingest: validates sizes, then commits the events and their deliveries in one
 * transaction before answering. `pathPrefix` locates an event in a batch for error messages.
 */
export async function ingestEvents(
  d: ServiceDeps,
  tenantId: string,
  inputs: EventInput[],
  batch: boolean,
  /** The ingest span's W3C trace context, stored with each event for its attempts' spans (observability/tracing.ts). */
  traceContext: string | null = null,
): Promise<IngestResult[]> {
  const events: NewEvent[] = inputs.map((e, i) => {
    const payload = JSON.stringify(e.payload);
    const bytes = Buffer.byteLength(payload);
    if (bytes > d.config.maxPayloadBytes) {
      const path = batch ? `/${i}/payload` : "/payload";
      throw new ApiError(413, "payload_too_large", `${path}: payload is ${bytes} bytes; the limit is ${d.config.maxPayloadBytes}`, [
        { path, message: `must be at most ${d.config.maxPayloadBytes} bytes` },
      ]);
    }
    const problem = e.fingerprint === undefined ? null : fingerprintProblem(e.fingerprint);
    if (problem) throw invalid(batch ? `/${i}/fingerprint` : "/fingerprint", problem);
    if (e.state !== undefined && e.fingerprint === undefined) {
      const path = batch ? `/${i}/state` : "/state";
      throw invalid(path, "needs a fingerprint: the state belongs to the alert the fingerprint names");
    }
    return {
      id: newId("evt", d.now()),
      type: e.type,
      severity: e.severity ?? null,
      payload,
      idempotencyKey: e.idempotencyKey ?? null,
      fingerprint: e.fingerprint ?? null,
      state: e.fingerprint === undefined ? null : (e.state ?? "start"),
      traceContext,
    };
  });
  const results = await d.store.ingest(tenantId, events, d.now(), IDEMPOTENCY_WINDOW_MS);
  if (results === null) throw notFound("tenant", tenantId);
  if (results.some((r) => !r.duplicate && r.deliveries > 0)) d.wake();
  return results;
}

export async function getEvent(d: ServiceDeps, tenantId: string, id: string): Promise<{ event: EventRecord; deliveries: Delivery[] }> {
  const event = await d.store.getEvent(tenantId, id);
  if (!event) throw notFound("event", id);
  const deliveries: Delivery[] = [];
  let cursor: string | null = null;
  // Bounded by the tenant's endpoint count, which is capped.
  do {
    const page: PageResult<Delivery> = await d.store.listDeliveries(tenantId, { eventId: id }, { limit: 500, cursor });
    deliveries.push(...page.data);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return { event, deliveries };
}

export async function listEvents(d: ServiceDeps, tenantId: string, page: Page, filter: { type?: string }): Promise<PageResult<EventRecord>> {
  if (!(await d.store.getTenant(tenantId))) throw notFound("tenant", tenantId);
  return d.store.listEvents(tenantId, page, filter);
}
