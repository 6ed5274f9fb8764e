import type { ServiceDeps } from "../../services/deps.ts";
import { getReplay, listReplays, startReplay } from "../../services/replays.ts";
import { presentReplay } from "../present.ts";
import { ListQuery, ReplayIn, ReplayOut, ReplayList } from "../schemas.ts";
import { type Api, TenantItemParams, errorResponses, pageOf } from "./common.ts";

/** Replaying an endpoint's deliveries of a time range, as a job with progress. */
export function registerReplayRoutes(app: Api, d: ServiceDeps): void {
  const tags = ["replays"];
  app.post(
    "/v1/tenants/:tenant/endpoints/:id/replay",
    {
      // Resending to the tenant's own endpoint is endpoint management, like a manual retry.
      config: { scope: "endpoints:write" },
      schema: {
        tags,
        summary: "Replay the endpoint's failed deliveries (status failed) or all its events (status all) of a time range",
        description:
          "Starts a replay job (202, with Location) that re-queues failed deliveries, or for status all sends every event of [since, until) that the endpoint subscribes to now, except those already pending. The same request again within 24 hours returns the same job (200).",
        params: TenantItemParams,
        body: ReplayIn,
        response: { 200: ReplayOut, 202: ReplayOut, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { tenant, id } = req.params;
      const { replay, created } = await startReplay(d, tenant, id, req.body);
      const doc = presentReplay(replay);
      if (!created) return reply.code(200).send(doc);
      return reply
        .code(202)
        .header("location", `/v1/tenants/${encodeURIComponent(tenant)}/replays/${replay.id}`)
        .send(doc);
    },
  );
  app.get(
    "/v1/tenants/:tenant/endpoints/:id/replays",
    {
      config: { scope: "read" },
      schema: {
        tags,
        summary: "List the endpoint's replays, newest first",
        params: TenantItemParams,
        querystring: ListQuery,
        response: { 200: ReplayList, ...errorResponses },
      },
    },
    async (req) => {
      const { tenant, id } = req.params;
      const page = await listReplays(d, tenant, id, pageOf(req.query));
      return { data: page.data.map(presentReplay), nextCursor: page.nextCursor };
    },
  );
  app.get(
    "/v1/tenants/:tenant/replays/:id",
    {
      config: { scope: "read" },
      schema: { tags, summary: "Get a replay job and its progress", params: TenantItemParams, response: { 200: ReplayOut, ...errorResponses } },
    },
    async (req) => {
      const { tenant, id } = req.params;
      return presentReplay(await getReplay(d, tenant, id));
    },
  );
}
