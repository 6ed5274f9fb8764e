import { Type } from "typebox";
import type { ServiceDeps } from "../../services/deps.ts";
import { type EventInput, getEvent, ingestEvents, listEvents } from "../../services/events.ts";
import { startIngestSpan, traceContextOfSpan, tracedIngest } from "../../observability/tracing.ts";
import { presentDelivery, presentEvent } from "../present.ts";
import { EventIn, EventQuery, EventWithDeliveries, IngestBatch, IngestOne, Problem, EventList } from "../schemas.ts";
import { type Api, TenantItemParams, TenantParams, errorResponses, pageOf } from "./common.ts";

/**
 * The body is parsed keeping the source text of numbers and escaped strings, which payloads need
 * (see core/json.ts). Every other field is read as its plain value, so that `"caf\u00e9"` is the
 * fingerprint "café" and an escaped lone surrogate is refused for what it is.
 */
function plainOutsidePayload(body: unknown): unknown {
  const plain = (event: unknown) => {
    if (typeof event !== "object" || event === null || Array.isArray(event) || JSON.isRawJSON(event)) return event;
    // Only wrapped values are objects among the fields of an event read this way: strings and numbers
    // without escapes are plain already, so the common event allocates nothing here.
    const e = event as Record<string, unknown>;
    for (const k in e) {
      const v = e[k];
      if (k !== "payload" && typeof v === "object" && v !== null) e[k] = JSON.parse(JSON.stringify(v)) as unknown;
    }
    return e;
  };
  return Array.isArray(body) ? body.map(plain) : plain(body);
}

export function registerEventRoutes(app: Api, d: ServiceDeps): void {
  const tags = ["events"];
  const body = {
    oneOf: [EventIn, Type.Array(EventIn, { minItems: 1, maxItems: d.config.maxBatchEvents })],
    "x-one-or-many": EventIn,
    "x-max-items": d.config.maxBatchEvents,
  };
  app.post(
    "/v1/tenants/:tenant/events",
    {
      config: { rawNumbers: true, scope: "events:write" },
      schema: {
        tags,
        summary: "Post an event, or an array of events as one batch",
        description:
          "Answers 202 only after the events and their deliveries are committed. A repeated idempotencyKey within 24 h answers 200 with the original event.",
        params: TenantParams,
        body,
        response: { 200: IngestOne, 202: Type.Union([IngestOne, IngestBatch]), 413: Problem, ...errorResponses },
      },
      preValidation: async (req) => {
        if (req.body !== undefined) req.body = plainOutsidePayload(req.body) as typeof req.body;
      },
    },
    async (req, reply) => {
      const { tenant } = req.params;
      const batch = Array.isArray(req.body);
      const inputs = (batch ? req.body : [req.body]) as EventInput[];
      // Null with tracing off; its context (a child of the request's traceparent) is stored with the events.
      const span = startIngestSpan(tenant, req.headers);
      const results =
        span === null
          ? await ingestEvents(d, tenant, inputs, batch)
          : await tracedIngest(span, inputs, () => ingestEvents(d, tenant, inputs, batch, traceContextOfSpan(span)));
      if (batch) return reply.code(202).send({ events: results.map((r) => ({ id: r.id, deliveries: r.deliveries })) });
      const r = results[0];
      if (r === undefined) throw new Error("ingest returned no result for the one event it was given");
      return reply.code(r.duplicate ? 200 : 202).send({ id: r.id, deliveries: r.deliveries });
    },
  );
  app.get(
    "/v1/tenants/:tenant/events",
    {
      config: { scope: "read" },
      schema: {
        tags,
        summary: "List a tenant's events, newest first",
        params: TenantParams,
        querystring: EventQuery,
        response: { 200: EventList, ...errorResponses },
      },
    },
    async (req) => {
      const q = req.query;
      const page = await listEvents(d, req.params.tenant, pageOf(q), { type: q.type });
      return { data: page.data.map(presentEvent), nextCursor: page.nextCursor };
    },
  );
  app.get(
    "/v1/tenants/:tenant/events/:id",
    {
      config: { scope: "read" },
      schema: { tags, summary: "Get an event with its deliveries", params: TenantItemParams, response: { 200: EventWithDeliveries, ...errorResponses } },
    },
    async (req) => {
      const { tenant, id } = req.params;
      const { event, deliveries } = await getEvent(d, tenant, id);
      return { ...presentEvent(event), deliveries: deliveries.map(presentDelivery) };
    },
  );
}
