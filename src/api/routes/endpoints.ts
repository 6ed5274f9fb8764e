import type { FastifyInstance } from "fastify";
import { type Static, Type } from "typebox";
import type { ServiceDeps } from "../../services/deps.ts";
import {
  createEndpoint,
  deleteEndpoint,
  getEndpoint,
  getEndpointSecret,
  listEndpoints,
  previewEndpoint,
  rotateSecret,
  testEndpoint,
  updateEndpoint,
  validateEndpoint,
  withHealth,
} from "../../services/endpoints.ts";
import { presentEndpoint } from "../present.ts";
import {
  EndpointCreate,
  EndpointOut,
  EndpointPatch,
  EndpointUpdated,
  ListQuery,
  PreviewIn,
  PreviewOut,
  Problem,
  SecretRotateIn,
  SecretRotateOut,
  TestCallIn,
  TestCallOut,
  ValidateOut,
  listOf,
} from "../schemas.ts";
import { TenantItemParams, TenantParams, errorResponses, pageOf } from "./common.ts";

type Item = Static<typeof TenantItemParams>;

export function registerEndpointRoutes(app: FastifyInstance, d: ServiceDeps): void {
  const tags = ["endpoints"];
  app.post(
    "/v1/tenants/:tenant/endpoints",
    {
      config: { scope: "endpoints:write" },
      schema: {
        tags,
        summary: "Create an endpoint (a webhook integration); a signing secret is generated unless given",
        description:
          "Every setting is optional except url and eventTypes: method, headers, auth, tls, timeouts, minSeverity, signing, validation. Secrets (secret, auth.password, auth.token, tls.clientKey) are encrypted at rest and never returned. With validation.mode other than none the endpoint starts as pending_validation and deliveries wait until it passes.",
        params: TenantParams,
        body: EndpointCreate,
        response: { 201: EndpointOut, 409: Problem, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { tenant } = req.params as Static<typeof TenantParams>;
      return reply.code(201).send(presentEndpoint(await withHealth(d, tenant, await createEndpoint(d, tenant, req.body as Static<typeof EndpointCreate>))));
    },
  );
  app.get(
    "/v1/tenants/:tenant/endpoints",
    { config: { scope: "read" }, schema: { tags, summary: "List a tenant's endpoints", params: TenantParams, querystring: ListQuery, response: { 200: listOf(EndpointOut), ...errorResponses } } },
    async (req) => {
      const { tenant } = req.params as Static<typeof TenantParams>;
      const page = await listEndpoints(d, tenant, pageOf(req.query as Static<typeof ListQuery>));
      await withHealth(d, tenant, page.data);
      return { data: page.data.map((e) => presentEndpoint(e)), nextCursor: page.nextCursor };
    },
  );
  app.get(
    "/v1/tenants/:tenant/endpoints/:id",
    { config: { scope: "read" }, schema: { tags, summary: "Get an endpoint", params: TenantItemParams, response: { 200: EndpointOut, ...errorResponses } } },
    async (req) => {
      const { tenant, id } = req.params as Item;
      return presentEndpoint(await withHealth(d, tenant, await getEndpoint(d, tenant, id)));
    },
  );
  app.patch(
    "/v1/tenants/:tenant/endpoints/:id",
    {
      config: { scope: "endpoints:write" },
      schema: {
        tags,
        summary: "Update an endpoint (JSON merge patch); enabling it resumes its waiting deliveries",
        params: TenantItemParams,
        description:
          "Moving the endpoint to another origin (scheme, host or port) clears its auth, client certificate and key, and headers unless the same request sets them again; the answer's `cleared` lists what was cleared. A new path on the same origin keeps everything.",
        body: EndpointPatch,
        response: { 200: EndpointUpdated, ...errorResponses },
      },
    },
    async (req) => {
      const { tenant, id } = req.params as Item;
      const { endpoint, cleared } = await updateEndpoint(d, tenant, id, req.body as Static<typeof EndpointPatch>);
      const doc = presentEndpoint(await withHealth(d, tenant, endpoint));
      return cleared.length > 0 ? { ...doc, cleared } : doc;
    },
  );
  app.delete(
    "/v1/tenants/:tenant/endpoints/:id",
    {
      config: { scope: "endpoints:write" },
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
      // Revealing the secret lets its holder forge webhooks: a writer's right, not a reader's.
      config: { scope: "endpoints:write" },
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
  app.post(
    "/v1/tenants/:tenant/endpoints/:id/secret/rotate",
    {
      config: { optionalBody: true, scope: "endpoints:write" },
      schema: {
        tags,
        summary: "Issue a new signing secret; where the scheme allows several signatures, the previous secret keeps signing for 24 h",
        params: TenantItemParams,
        body: SecretRotateIn,
        response: { 200: SecretRotateOut, ...errorResponses },
      },
    },
    async (req) => {
      const { tenant, id } = req.params as Item;
      const r = await rotateSecret(d, tenant, id, req.body as Static<typeof SecretRotateIn>);
      return { ...r, previousSecretExpiresAt: r.previousSecretExpiresAt === null ? null : new Date(r.previousSecretExpiresAt).toISOString() };
    },
  );
  app.post(
    "/v1/tenants/:tenant/endpoints/:id/test",
    {
      config: { optionalBody: true, scope: "endpoints:write" },
      schema: {
        tags,
        summary: "Send a test delivery now, through the endpoint's real settings, outside the queue; report the request and the response",
        params: TenantItemParams,
        body: TestCallIn,
        response: { 200: TestCallOut, ...errorResponses },
      },
    },
    async (req) => {
      const { tenant, id } = req.params as Item;
      return testEndpoint(d, tenant, id, req.body as Static<typeof TestCallIn>);
    },
  );
  app.post(
    "/v1/tenants/:tenant/endpoints/:id/preview",
    {
      config: { optionalBody: true, rawNumbers: true, scope: "read" },
      schema: {
        tags,
        summary: "Render an example event through the endpoint's shaping and return the exact body; nothing is sent",
        params: TenantItemParams,
        body: PreviewIn,
        response: { 200: PreviewOut, ...errorResponses },
      },
    },
    async (req) => {
      const { tenant, id } = req.params as Item;
      return previewEndpoint(d, tenant, id, req.body as Static<typeof PreviewIn>);
    },
  );
  app.post(
    "/v1/tenants/:tenant/endpoints/:id/validate",
    {
      config: { optionalBody: true, scope: "endpoints:write" },
      schema: {
        tags,
        summary: "Run the endpoint's validation (token-path or challenge) now and record the result",
        params: TenantItemParams,
        response: { 200: ValidateOut, 409: Problem, ...errorResponses },
      },
    },
    async (req) => {
      const { tenant, id } = req.params as Item;
      const { endpoint, result } = await validateEndpoint(d, tenant, id);
      return { endpoint: presentEndpoint(await withHealth(d, tenant, endpoint)), result };
    },
  );
}
