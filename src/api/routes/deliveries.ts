import type { FastifyInstance } from "fastify";
import type { Static } from "typebox";
import { getDelivery, listDeliveries, retryDelivery } from "../../services/deliveries.ts";
import type { ServiceDeps } from "../../services/deps.ts";
import { presentAttempt, presentDelivery } from "../present.ts";
import { DeliveryOut, DeliveryQuery, DeliveryWithAttempts, Problem, listOf } from "../schemas.ts";
import { TenantItemParams, TenantParams, errorResponses, pageOf } from "./common.ts";

export function registerDeliveryRoutes(app: FastifyInstance, d: ServiceDeps): void {
  const tags = ["deliveries"];
  app.get(
    "/v1/tenants/:tenant/deliveries",
    {
      config: { scope: "read" },
      schema: {
        tags,
        summary: "List deliveries, newest first, filtered by endpoint, event or status",
        params: TenantParams,
        querystring: DeliveryQuery,
        response: { 200: listOf(DeliveryOut), ...errorResponses },
      },
    },
    async (req) => {
      const q = req.query as Static<typeof DeliveryQuery>;
      const page = await listDeliveries(
        d,
        (req.params as Static<typeof TenantParams>).tenant,
        { endpointId: q.endpointId, eventId: q.eventId, status: q.status as never },
        pageOf(q),
      );
      return { data: page.data.map(presentDelivery), nextCursor: page.nextCursor };
    },
  );
  app.get(
    "/v1/tenants/:tenant/deliveries/:id",
    { config: { scope: "read" }, schema: { tags, summary: "Get a delivery with every attempt", params: TenantItemParams, response: { 200: DeliveryWithAttempts, ...errorResponses } } },
    async (req) => {
      const { tenant, id } = req.params as Static<typeof TenantItemParams>;
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
        summary: "Retry a failed delivery now (one more attempt)",
        params: TenantItemParams,
        response: { 202: DeliveryOut, 409: Problem, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { tenant, id } = req.params as Static<typeof TenantItemParams>;
      return reply.code(202).send(presentDelivery(await retryDelivery(d, tenant, id)));
    },
  );
}
