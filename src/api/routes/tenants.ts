import { Type } from "typebox";
import type { ServiceDeps } from "../../services/deps.ts";
import { createTenant, deleteTenant, getTenant, listTenants, updateTenant } from "../../services/tenants.ts";
import { presentTenant } from "../present.ts";
import { ListQuery, Problem, TenantCreate, TenantOut, TenantPatch, TenantList } from "../schemas.ts";
import { type Api, TenantParams, errorResponses, pageOf } from "./common.ts";

export function registerTenantRoutes(app: Api, d: ServiceDeps): void {
  const tags = ["tenants"];
  app.post(
    "/v1/tenants",
    {
      config: { admin: true },
      schema: { tags, summary: "Create a tenant", body: TenantCreate, response: { 201: TenantOut, 409: Problem, ...errorResponses } },
    },
    async (req, reply) => reply.code(201).send(presentTenant(await createTenant(d, req.body))),
  );
  app.get(
    "/v1/tenants",
    { config: { admin: true }, schema: { tags, summary: "List tenants", querystring: ListQuery, response: { 200: TenantList, ...errorResponses } } },
    async (req) => {
      const page = await listTenants(d, pageOf(req.query));
      return { data: page.data.map(presentTenant), nextCursor: page.nextCursor };
    },
  );
  app.get(
    "/v1/tenants/:tenant",
    { config: { scope: "read" }, schema: { tags, summary: "Get a tenant", params: TenantParams, response: { 200: TenantOut, ...errorResponses } } },
    async (req) => presentTenant(await getTenant(d, req.params.tenant)),
  );
  app.patch(
    "/v1/tenants/:tenant",
    {
      config: { admin: true },
      schema: { tags, summary: "Update a tenant (JSON merge patch)", params: TenantParams, body: TenantPatch, response: { 200: TenantOut, ...errorResponses } },
    },
    async (req) => presentTenant(await updateTenant(d, req.params.tenant, req.body)),
  );
  app.delete(
    "/v1/tenants/:tenant",
    {
      config: { admin: true },
      schema: {
        tags,
        summary: "Delete a tenant, its endpoints, and cancel its unfinished deliveries",
        params: TenantParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      await deleteTenant(d, req.params.tenant);
      return reply.code(204).send(null);
    },
  );
}
