import { deliveryStats, getDelivery, listDeliveries, retryDelivery } from "../../services/deliveries.ts";
import type { ServiceDeps } from "../../services/deps.ts";
import { presentAttempt, presentDelivery } from "../present.ts";
import { DeliveryOut, DeliveryQuery, DeliveryStatsOut, DeliveryStatsQuery, DeliveryWithAttempts, Problem, DeliveryList } from "../schemas.ts";
import { type Api, TenantItemParams, TenantParams, errorResponses, pageOf } from "./common.ts";

export function registerDeliveryRoutes(app: Api, d: ServiceDeps): void {
  const tags = ["deliveries"];
  app.get(
    "/v1/tenants/:tenant/deliveries",
    {
      config: { scope: "read" },
      schema: {
        tags,
        summary: "List deliveries, newest first, filtered by endpoint, event, status, event type and creation time",
        params: TenantParams,
        querystring: DeliveryQuery,
        response: { 200: DeliveryList, ...errorResponses },
      },
    },
    async (req) => {
      const q = req.query;
      const page = await listDeliveries(
        d,
        req.params.tenant,
        {
          endpointId: q.endpointId,
          eventId: q.eventId,
          status: q.status as never,
          eventType: q.eventType,
          since: q.since === undefined ? undefined : Date.parse(q.since),
          until: q.until === undefined ? undefined : Date.parse(q.until),
        },
        pageOf(q),
      );
      return { data: page.data.map(presentDelivery), nextCursor: page.nextCursor };
    },
  );
  app.get(
    "/v1/tenants/:tenant/stats/deliveries",
    {
      config: { scope: "read" },
      schema: {
        tags,
        summary: "Deliveries over time by outcome, and attempt latency, for charts (bounded queries)",
        description:
          "Counts the deliveries created in [since, until) by their current outcome, in `buckets` equal slices, and summarizes the durations of their attempts. One call reads at most 100,000 deliveries and 20,000 attempts (the newest); `sampled` says when a bound was reached.",
        params: TenantParams,
        querystring: DeliveryStatsQuery,
        response: { 200: DeliveryStatsOut, ...errorResponses },
      },
    },
    async (req) => {
      const q = req.query;
      const s = await deliveryStats(d, req.params.tenant, {
        since: Date.parse(q.since),
        until: q.until === undefined ? undefined : Date.parse(q.until),
        buckets: q.buckets ?? 24,
        endpointId: q.endpointId,
      });
      const iso = (ms: number) => new Date(ms).toISOString();
      return { ...s, since: iso(s.since), until: iso(s.until), buckets: s.buckets.map((b) => ({ start: iso(b.start), counts: b.counts })) };
    },
  );
  app.get(
    "/v1/tenants/:tenant/deliveries/:id",
    {
      config: { scope: "read" },
      schema: { tags, summary: "Get a delivery with every attempt", params: TenantItemParams, response: { 200: DeliveryWithAttempts, ...errorResponses } },
    },
    async (req) => {
      const { tenant, id } = req.params;
      const { delivery, attempts } = await getDelivery(d, tenant, id);
      return { ...presentDelivery(delivery), attempts: attempts.map(presentAttempt) };
    },
  );
  app.post(
    "/v1/tenants/:tenant/deliveries/:id/retry",
    {
      // Resending to the tenant's own endpoint is endpoint management, not posting a new alert.
      config: { scope: "endpoints:write" },
      schema: {
        tags,
        summary: "Retry a failed delivery, or send a pending one now",
        description:
          "A failed delivery becomes pending, due now, and gets one more attempt; a suppressed one is sent anyway (pending, due now, its reason cleared); a pending one becomes due now. A batch's members go together. 409 for a delivery that is being sent, succeeded or was cancelled, and for a pending one while its endpoint's circuit is open (the detail says until when) or its rate limit holds: it is sent when they allow.",
        params: TenantItemParams,
        response: { 202: DeliveryOut, 409: Problem, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { tenant, id } = req.params;
      return reply.code(202).send(presentDelivery(await retryDelivery(d, tenant, id)));
    },
  );
}
