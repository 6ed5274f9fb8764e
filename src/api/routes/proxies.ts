import type { FastifyRequest } from "fastify";
import { Type } from "typebox";
import { ApiError } from "../../core/errors.ts";
import type { ServiceDeps } from "../../services/deps.ts";
import { type Api, errorResponses } from "./common.ts";

const PROXY_ADMIN_ONLY = "only an admin key may choose the endpoint's egress proxy: it is the operator's routing, not the tenant's";

/**
 * An endpoint's `proxy` is the operator's choice: a tenant key or portal session that sends it (any
 * value, null included) is refused with a 403 naming /proxy, so a tenant cannot route around the
 * operator's proxy. Called by the endpoint routes before anything is saved.
 */
export function refuseProxyUnlessAdmin(req: FastifyRequest, body: { proxy?: unknown }): void {
  if (body.proxy === undefined || req.principal?.kind === "admin") return;
  throw new ApiError(403, "forbidden", `/proxy: ${PROXY_ADMIN_ONLY}`, [{ path: "/proxy", message: PROXY_ADMIN_ONLY }]);
}

export function registerProxyRoutes(app: Api, d: ServiceDeps): void {
  app.get(
    "/v1/proxies",
    {
      config: { admin: true },
      schema: {
        tags: ["endpoints"],
        summary: "The egress proxies an endpoint's proxy may name (TOCSIN_PROXIES), by name only",
        description: "Their URLs and credentials are never shown. Admin keys only, as only they may set an endpoint's proxy.",
        response: { 200: Type.Object({ data: Type.Array(Type.Object({ name: Type.String() })) }), ...errorResponses },
      },
    },
    async () => ({ data: d.config.proxies.map((p) => ({ name: p.name })) }),
  );
}
