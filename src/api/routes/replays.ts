import type { ServiceDeps } from "../../services/deps.ts";
import { RETRY_FAILED_COUNT_CAP, getReplay, listReplays, retryFailed, startReplay } from "../../services/replays.ts";
import { presentReplay } from "../present.ts";
import { ListQuery, ReplayIn, ReplayOut, ReplayList } from "../schemas.ts";
import { RetryFailedCount, RetryFailedIn } from "../schemas/endpoint-actions.ts";
import { type Api, TenantItemParams, TenantParams, errorResponses, pageOf } from "./common.ts";

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
          "Starts a replay job (202, with Location) that re-queues failed deliveries, or for status all sends every event of [since, until) that the endpoint subscribes to now, except those already pending. since and until are date-times or durations before the request (1h), resolved by the server; the job shows the resolved range. The same request again within 24 hours returns the same job (200): same status, and since and until as given (1h matches 1h asked later that day; a date-time matches the same time; an omitted until matches an omitted until).",
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
  app.post(
    "/v1/tenants/:tenant/deliveries/retry-failed",
    {
      config: { scope: "endpoints:write" },
      schema: {
        tags,
        summary: "Retry every failed delivery matching the delivery log's filter, as a job",
        description: `With dryRun, counts the matching failed deliveries (200, counted up to ${RETRY_FAILED_COUNT_CAP}). Otherwise starts a replay job (202, with Location; follow it at GET /v1/tenants/{tenant}/replays/{id}) that queues each matching failed delivery again once; a batch is retried whole, as with a manual retry. The same request again within 24 hours answers 202 with the same job and queues nothing more: same endpointId, eventType, and since and until as given (an omitted until matches an omitted until).`,
        params: TenantParams,
        body: RetryFailedIn,
        response: { 200: RetryFailedCount, 202: ReplayOut, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { tenant } = req.params;
      const r = await retryFailed(d, tenant, req.body ?? {});
      if ("matched" in r) return reply.code(200).send(r);
      return reply
        .code(202)
        .header("location", `/v1/tenants/${encodeURIComponent(tenant)}/replays/${r.replay.id}`)
        .send(presentReplay(r.replay));
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
