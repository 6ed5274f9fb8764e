import type { ServiceDeps } from "../../services/deps.ts";
import { createSilence, expireSilence, getSilence, listSilences } from "../../services/silences.ts";
import { presentSilence } from "../present.ts";
import { Problem } from "../schemas.ts";
import { SilenceIn, SilenceList, SilenceOut, SilenceQuery } from "../schemas/silences.ts";
import { type Api, TenantItemParams, TenantParams, errorResponses, pageOf } from "./common.ts";

/** Silences and maintenance windows of a tenant (docs/alerts.md, "Silences"). */
export function registerSilenceRoutes(app: Api, d: ServiceDeps): void {
  const tags = ["silences"];
  app.post(
    "/v1/tenants/:tenant/silences",
    {
      // Muting the tenant's own endpoints is endpoint management; portal sessions have it.
      config: { scope: "endpoints:write" },
      schema: {
        tags,
        summary: "Create a silence or a maintenance window (a recurring silence)",
        description:
          "Nothing is sent for the events the matchers match (the endpoint filter language) to the listed endpoints, or every endpoint of the tenant, while the silence is active: their deliveries are recorded with status suppressed and a reason naming the silence. An alert's end is not sent to an endpoint that never got the alert as open. When the silence ends while an alert it held is still open, the alert's last event is sent.",
        params: TenantParams,
        body: SilenceIn,
        response: { 201: SilenceOut, ...errorResponses },
      },
    },
    async (req, reply) => {
      const s = await createSilence(d, req.params.tenant, req.body, req.principal!);
      return reply
        .code(201)
        .header("location", `/v1/tenants/${encodeURIComponent(req.params.tenant)}/silences/${s.id}`)
        .send(presentSilence(s, d.now()));
    },
  );
  app.get(
    "/v1/tenants/:tenant/silences",
    {
      config: { scope: "read" },
      schema: {
        tags,
        summary: "List the tenant's silences and maintenance windows, newest first; expired ones stay listed",
        params: TenantParams,
        querystring: SilenceQuery,
        response: { 200: SilenceList, ...errorResponses },
      },
    },
    async (req) => {
      const q = req.query;
      const page = await listSilences(d, req.params.tenant, { state: q.state, endpointId: q.endpointId, recurring: q.recurring }, pageOf(q));
      const now = d.now();
      return { data: page.data.map((s) => presentSilence(s, now)), nextCursor: page.nextCursor };
    },
  );
  app.get(
    "/v1/tenants/:tenant/silences/:id",
    {
      config: { scope: "read" },
      schema: { tags, summary: "Get a silence", params: TenantItemParams, response: { 200: SilenceOut, ...errorResponses } },
    },
    async (req) => presentSilence(await getSilence(d, req.params.tenant, req.params.id), d.now()),
  );
  app.post(
    "/v1/tenants/:tenant/silences/:id/expire",
    {
      config: { scope: "endpoints:write", optionalBody: true },
      schema: {
        tags,
        summary: "Expire a silence now",
        description:
          "Ends the silence now (endsAt becomes now, expiredEarly true) and releases what it held at once: an alert still open that an endpoint did not get is sent to it. 409 when it has already expired.",
        params: TenantItemParams,
        response: { 200: SilenceOut, ...errorResponses, 409: Problem },
      },
    },
    async (req) => presentSilence(await expireSilence(d, req.params.tenant, req.params.id), d.now()),
  );
}
