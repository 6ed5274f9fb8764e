import type { FastifyRequest } from "fastify";
import { Type } from "typebox";
import { type Audience, destinationWarnings } from "../../services/endpoint-settings-destination.ts";
import type { ServiceDeps } from "../../services/deps.ts";
import {
  createEndpoint,
  deleteEndpoint,
  getEndpoint,
  getEndpointSecret,
  getPublicKey,
  listEndpoints,
  previewEndpoint,
  rotateSecret,
  testEndpoint,
  updateEndpoint,
  validateEndpoint,
  withHealth,
} from "../../services/endpoints.ts";
import { presentEndpoint } from "../present.ts";
import { refuseProxyUnlessAdmin } from "./proxies.ts";
import {
  EndpointCreate,
  EndpointOut,
  EndpointPatch,
  EndpointSecretOut,
  EndpointUpdated,
  ListQuery,
  PreviewIn,
  PreviewOut,
  Problem,
  PublicKeyOut,
  SecretRotateIn,
  SecretRotateOut,
  TestCallIn,
  TestCallOut,
  ValidateOut,
  EndpointList,
} from "../schemas.ts";
import { type Api, TenantItemParams, TenantParams, errorResponses, pageOf } from "./common.ts";

/** Operators (admin keys) are told the addresses a name resolves to; tenant keys and portal users are not. */
const audienceOf = (req: FastifyRequest): Audience => (req.principal?.kind === "admin" ? "operator" : "tenant");

export function registerEndpointRoutes(app: Api, d: ServiceDeps): void {
  const tags = ["endpoints"];
  app.post(
    "/v1/tenants/:tenant/endpoints",
    {
      config: { scope: "endpoints:write" },
      schema: {
        tags,
        summary: "Create an endpoint (a webhook integration); a signing secret is generated unless given",
        description:
          "Every setting is optional except url and eventTypes: method, headers, auth, tls, timeouts, minSeverity, signing, validation. Secrets (secret, auth.password, auth.token, tls.clientKey) are encrypted at rest and never returned. With validation.mode other than none the endpoint starts as pending_validation and deliveries wait until it passes. The answer's warnings also say when the URL's host name resolves only to refused addresses (private, loopback, reserved) or does not resolve; admin keys are told the addresses. The name is given 2 s to resolve; a slower resolver adds no warning.",
        params: TenantParams,
        body: EndpointCreate,
        response: { 201: EndpointOut, 409: Problem, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { tenant } = req.params;
      refuseProxyUnlessAdmin(req, req.body);
      const doc = presentEndpoint(await withHealth(d, tenant, await createEndpoint(d, tenant, req.body)), d.now());
      return reply.code(201).send({ ...doc, warnings: [...doc.warnings, ...(await destinationWarnings(d, doc.url, audienceOf(req)))] });
    },
  );
  app.get(
    "/v1/tenants/:tenant/endpoints",
    {
      config: { scope: "read" },
      schema: { tags, summary: "List a tenant's endpoints", params: TenantParams, querystring: ListQuery, response: { 200: EndpointList, ...errorResponses } },
    },
    async (req) => {
      const { tenant } = req.params;
      const page = await listEndpoints(d, tenant, pageOf(req.query));
      await withHealth(d, tenant, page.data);
      return { data: page.data.map((e) => presentEndpoint(e, d.now())), nextCursor: page.nextCursor };
    },
  );
  app.get(
    "/v1/tenants/:tenant/endpoints/:id",
    { config: { scope: "read" }, schema: { tags, summary: "Get an endpoint", params: TenantItemParams, response: { 200: EndpointOut, ...errorResponses } } },
    async (req) => {
      const { tenant, id } = req.params;
      return presentEndpoint(await withHealth(d, tenant, await getEndpoint(d, tenant, id)), d.now());
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
          "Moving the endpoint to another origin (scheme, host or port) clears its auth, client certificate and key, and headers unless the same request sets them again; the answer's `cleared` lists what was cleared. A new path on the same origin keeps everything. As on create, the answer's warnings say when the URL's host name resolves only to refused addresses or does not resolve.",
        body: EndpointPatch,
        response: { 200: EndpointUpdated, ...errorResponses },
      },
    },
    async (req) => {
      const { tenant, id } = req.params;
      refuseProxyUnlessAdmin(req, req.body);
      const { endpoint, cleared } = await updateEndpoint(d, tenant, id, req.body);
      const presented = presentEndpoint(await withHealth(d, tenant, endpoint), d.now());
      const doc = { ...presented, warnings: [...presented.warnings, ...(await destinationWarnings(d, presented.url, audienceOf(req)))] };
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
      const { tenant, id } = req.params;
      await deleteEndpoint(d, tenant, id);
      return reply.code(204).send(null);
    },
  );
  app.get(
    "/v1/tenants/:tenant/endpoints/:id/secret",
    {
      // Revealing the secret lets its holder forge webhooks: a writer's right, not a reader's.
      config: { scope: "endpoints:write" },
      schema: {
        tags,
        summary: "Reveal the endpoint's signing secret; under signing.scheme ed25519, its public key (the private key is never shown)",
        params: TenantItemParams,
        response: { 200: EndpointSecretOut, ...errorResponses },
      },
    },
    async (req) => {
      const { tenant, id } = req.params;
      return getEndpointSecret(d, tenant, id);
    },
  );
  app.get(
    "/v1/tenants/:tenant/endpoints/:id/public-key",
    {
      // A public key lets its holder verify, not sign: a reader's right.
      config: { scope: "read" },
      schema: {
        tags,
        summary: "The public key receivers verify signing.scheme ed25519 (Standard Webhooks v1a) deliveries with, and the previous one during a rotation",
        description: "409 when the endpoint signs with another scheme (those have a shared secret, no public key).",
        params: TenantItemParams,
        response: { 200: PublicKeyOut, 409: Problem, ...errorResponses },
      },
    },
    async (req) => {
      const { tenant, id } = req.params;
      const { previousExpiresAt, ...k } = await getPublicKey(d, tenant, id);
      return previousExpiresAt === undefined ? k : { ...k, previousExpiresAt: new Date(previousExpiresAt).toISOString() };
    },
  );
  app.post(
    "/v1/tenants/:tenant/endpoints/:id/secret/rotate",
    {
      config: { optionalBody: true, scope: "endpoints:write" },
      schema: {
        tags,
        summary: "Issue a new signing secret; where the scheme allows several signatures, the previous secret keeps signing for 24 h",
        description:
          "Under signing.scheme ed25519 a new key pair is made (a given secret is refused with a 400 naming /secret) and the answer carries its public key instead of a secret; the previous key keeps signing (a second v1a signature) for 24 h.",
        params: TenantItemParams,
        body: SecretRotateIn,
        response: { 200: SecretRotateOut, ...errorResponses },
      },
    },
    async (req) => {
      const { tenant, id } = req.params;
      const r = await rotateSecret(d, tenant, id, req.body);
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
      const { tenant, id } = req.params;
      return testEndpoint(d, tenant, id, req.body);
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
      const { tenant, id } = req.params;
      return previewEndpoint(d, tenant, id, req.body);
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
      const { tenant, id } = req.params;
      const { endpoint, result } = await validateEndpoint(d, tenant, id);
      return { endpoint: presentEndpoint(await withHealth(d, tenant, endpoint), d.now()), result };
    },
  );
}
