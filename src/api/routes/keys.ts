import { ApiError } from "../../core/errors.ts";
import { Type } from "typebox";
import { createAdminKey, createPortalSession, createTenantKey, listKeys, listTenantKeys, revokeKey } from "../../services/api-keys.ts";
import type { ServiceDeps } from "../../services/deps.ts";
import { presentApiKey } from "../present.ts";
import { AdminKeyCreate, ApiKeyCreated, KeyQuery, PortalSessionCreate, PortalSessionOut, TenantKeyCreate, TenantKeyQuery, ApiKeyList } from "../schemas.ts";
import { type Api, TenantItemParams, TenantParams, errorResponses, pageOf } from "./common.ts";

const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });

/** A DNS name, an IPv4 address or a bracketed IPv6 address, with an optional port: nothing else may start a link. */
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The request's Host, when it can safely start a portal link. A client chooses the header, so
 * `a@evil.example` or `evil.example/x` would make the link point elsewhere: refused.
 */
function requestHost(host: string): string {
  if (!HOST.test(host)) {
    throw new ApiError(
      400,
      "invalid_request",
      "the Host header is not a plain host name and port, so no portal link can be built from it; set TOCSIN_PUBLIC_URL",
    );
  }
  return host;
}

const ROTATION = "Rotate without downtime: create a new key, move clients to it, check the old key's lastUsedAt stops advancing, then revoke the old key.";

/** Key management and portal sessions: admin keys only. */
export function registerKeyRoutes(app: Api, d: ServiceDeps): void {
  const tags = ["keys"];
  app.post(
    "/v1/keys",
    {
      config: { admin: true },
      schema: {
        tags,
        summary: "Create an admin key; the key is in this response only",
        description: `Admin keys act on every route and every tenant. ${ROTATION}`,
        body: AdminKeyCreate,
        response: { 201: ApiKeyCreated, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { key, secret } = await createAdminKey(d, req.body);
      return reply.code(201).send({ ...presentApiKey(key), key: secret });
    },
  );
  app.get(
    "/v1/keys",
    {
      config: { admin: true },
      schema: {
        tags,
        summary: "List every key (admin, tenant and portal sessions), revoked and expired ones included; never the keys themselves",
        querystring: KeyQuery,
        response: { 200: ApiKeyList, ...errorResponses },
      },
    },
    async (req) => {
      const q = req.query;
      const page = await listKeys(d, { kind: q.kind, tenantId: q.tenantId }, pageOf(q));
      return { data: page.data.map(presentApiKey), nextCursor: page.nextCursor };
    },
  );
  app.delete(
    "/v1/keys/:id",
    {
      config: { admin: true },
      schema: {
        tags,
        summary: "Revoke a key of any kind at once; requests with it answer 401",
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      await revokeKey(d, req.params.id, null);
      return reply.code(204).send(null);
    },
  );

  app.post(
    "/v1/tenants/:tenant/keys",
    {
      config: { admin: true },
      schema: {
        tags,
        summary: "Create a key that sees only this tenant, with the given scopes; the key is in this response only",
        description: `Scopes: events:write (post events), endpoints:write (manage endpoints, reveal and rotate secrets, test, validate, retry deliveries), read. ${ROTATION}`,
        params: TenantParams,
        body: TenantKeyCreate,
        response: { 201: ApiKeyCreated, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { tenant } = req.params;
      const { key, secret } = await createTenantKey(d, tenant, req.body);
      return reply.code(201).send({ ...presentApiKey(key), key: secret });
    },
  );
  app.get(
    "/v1/tenants/:tenant/keys",
    {
      config: { admin: true },
      schema: {
        tags,
        summary: "List a tenant's keys and portal sessions; never the keys themselves",
        params: TenantParams,
        querystring: TenantKeyQuery,
        response: { 200: ApiKeyList, ...errorResponses },
      },
    },
    async (req) => {
      const q = req.query;
      const page = await listTenantKeys(d, req.params.tenant, q.kind, pageOf(q));
      return { data: page.data.map(presentApiKey), nextCursor: page.nextCursor };
    },
  );
  app.delete(
    "/v1/tenants/:tenant/keys/:id",
    {
      config: { admin: true },
      schema: {
        tags,
        summary: "Revoke one of the tenant's keys or portal sessions at once",
        params: TenantItemParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { tenant, id } = req.params;
      await revokeKey(d, id, tenant);
      return reply.code(204).send(null);
    },
  );

  app.post(
    "/v1/tenants/:tenant/portal-sessions",
    {
      config: { admin: true, optionalBody: true },
      schema: {
        tags,
        summary: "Open a customer-console session: a short-lived token for this tenant with endpoints:write and read",
        description:
          "The token never carries events:write, so a customer cannot post alerts as the operator. It lasts ttlSeconds (default 3600, at most 86400); DELETE /v1/keys/{id} ends it early. The url is this server's /portal with the token in the fragment, which browsers do not send to servers; it starts with TOCSIN_PUBLIC_URL when that is set, else with the request's own scheme and Host (400 when the Host header is not a plain host name and port).",
        params: TenantParams,
        body: PortalSessionCreate,
        response: { 201: PortalSessionOut, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { tenant } = req.params;
      // Behind a proxy the request's own scheme and Host may not be what customers use.
      const origin = d.config.publicUrl ?? `${req.protocol}://${requestHost(req.host)}`;
      const { key, secret } = await createPortalSession(d, tenant, req.body);
      return reply.code(201).send({
        id: key.id,
        url: `${origin}/portal#token=${secret}`,
        token: secret,
        tenantId: tenant,
        scopes: key.scopes,
        expiresAt: new Date(key.expiresAt!).toISOString(),
      });
    },
  );
}
