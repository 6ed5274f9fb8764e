import type { FastifyInstance } from "fastify";
import { type Static, Type } from "typebox";
import type { ServiceDeps } from "../../services/deps.ts";
import { createEndpoint, deleteEndpoint, getEndpoint, getEndpointSecret, listEndpoints, updateEndpoint } from "../../services/endpoints.ts";
import { presentEndpoint } from "../present.ts";
import { EndpointCreate, EndpointOut, EndpointPatch, ListQuery, Problem, listOf } from "../schemas.ts";
import { TenantItemParams, TenantParams, errorResponses, pageOf } from "./common.ts";

type Item = Static<typeof TenantItemParams>;

export function registerEndpointRoutes(app: FastifyInstance, d: ServiceDeps): void {
  const tags = ["endpoints"];
  app.post(
    "/v1/tenants/:tenant/endpoints",
    {
      schema: {
        tags,
        summary: "Create an endpoint (a webhook integration); a signing secret is generated unless given",
        params: TenantParams,
        body: EndpointCreate,
        response: { 201: EndpointOut, 409: Problem, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { tenant } = req.params as Static<typeof TenantParams>;
      return reply.code(201).send(presentEndpoint(await createEndpoint(d, tenant, req.body as Static<typeof EndpointCreate>)));
    },
  );
  app.get(
    "/v1/tenants/:tenant/endpoints",
    { schema: { tags, summary: "List a tenant's endpoints", params: TenantParams, querystring: ListQuery, response: { 200: listOf(EndpointOut), ...errorResponses } } },
    async (req) => {
      const page = await listEndpoints(d, (req.params as Static<typeof TenantParams>).tenant, pageOf(req.query as Static<typeof ListQuery>));
      return { data: page.data.map(presentEndpoint), nextCursor: page.nextCursor };
    },
  );
  app.get(
    "/v1/tenants/:tenant/endpoints/:id",
    { schema: { tags, summary: "Get an endpoint", params: TenantItemParams, response: { 200: EndpointOut, ...errorResponses } } },
    async (req) => {
      const { tenant, id } = req.params as Item;
      return presentEndpoint(await getEndpoint(d, tenant, id));
    },
  );
  app.patch(
    "/v1/tenants/:tenant/endpoints/:id",
    {
      schema: {
        tags,
        summary: "Update an endpoint (JSON merge patch); enabling it resumes its waiting deliveries",
        params: TenantItemParams,
        body: EndpointPatch,
        response: { 200: EndpointOut, ...errorResponses },
      },
    },
    async (req) => {
      const { tenant, id } = req.params as Item;
      return presentEndpoint(await updateEndpoint(d, tenant, id, req.body as Static<typeof EndpointPatch>));
    },
  );
  app.delete(
    "/v1/tenants/:tenant/endpoints/:id",
    {
      schema: {
        tags,
        summary: "Delete an endpoint; its unfinished deliveries are cancelled",
        params: TenantItemParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { tenant, id } = req.params as Item;
      await deleteEndpoint(d, tenant, id);
      return reply.code(204).send();
    },
  );
  app.get(
    "/v1/tenants/:tenant/endpoints/:id/secret",
    {
      schema: {
        tags,
        summary: "Reveal the endpoint's signing secret",
        params: TenantItemParams,
        response: { 200: Type.Object({ secret: Type.String() }), ...errorResponses },
      },
    },
    async (req) => {
      const { tenant, id } = req.params as Item;
      return { secret: await getEndpointSecret(d, tenant, id) };
    },
  );
}
