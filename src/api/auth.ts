import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Principal, Scope } from "../core/api-keys.ts";
import { ApiError, notFound } from "../core/errors.ts";
import { authenticate } from "../services/api-keys.ts";
import type { ServiceDeps } from "../services/deps.ts";

declare module "fastify" {
  interface FastifyContextConfig {
    /**
     * The scope a tenant key needs for this /v1 route. Absent: admin keys only, so a route that
     * forgets to declare one fails closed.
     */
    scope?: Scope;
    /** Any valid key may call this /v1 route, whatever its kind and scopes: it tells the caller only about itself. */
    anyKey?: boolean;
  }
  interface FastifyRequest {
    /** Who is calling; set on every authenticated /v1 request. */
    principal: Principal | null;
  }
}

/** Whether a request or route needs a key: everything under /v1 unless marked public. */
const guarded = (url: string, config: { public?: boolean } | undefined) => !config?.public && url.startsWith("/v1");

/**
 * Tenant keys and portal sessions see one tenant: any other tenant, and anything of it, is a 404,
 * answered as for a tenant that does not exist, so keys learn nothing about other tenants.
 * Then admin-only routes are a 403, and so is a route whose scope the key lacks.
 */
export function authorize(p: Principal, scope: Scope | undefined, tenantParam: string | undefined): void {
  if (p.kind === "admin") return;
  if (tenantParam !== undefined && tenantParam !== p.tenantId) throw notFound("tenant", tenantParam);
  if (scope === undefined) throw new ApiError(403, "forbidden", "this route needs an admin key");
  if (!p.scopes.includes(scope)) throw new ApiError(403, "forbidden", `the API key lacks the ${scope} scope this route needs`);
}

/**
 * Authentication and authorization for every /v1 route. Register after @fastify/swagger and before
 * the routes: the onRoute hook records each route's scope in the OpenAPI document.
 */
export function registerAuth(app: FastifyInstance, deps: ServiceDeps, bootstrapKeys: () => string[]): void {
  app.decorateRequest("principal", null);

  const documented = new WeakSet<object>();
  app.addHook("onRoute", (r) => {
    if (!guarded(r.url, r.config)) return;
    // HEAD routes share their GET's schema object: document it once.
    const schema = (r.schema ??= {}) as { security?: unknown; description?: string };
    if (documented.has(schema)) return;
    documented.add(schema);
    const scope = r.config?.scope;
    // Any key: a requirement without roles (the route's own description says so).
    if (r.config?.anyKey) {
      schema.security = [{ bearer: [] }];
      return;
    }
    // OpenAPI 3.1 lets a non-OAuth scheme list the roles an operation needs.
    schema.security = [{ bearer: [scope ?? "admin"] }];
    const note = scope ? `Tenant keys need the \`${scope}\` scope.` : "Admin keys only.";
    schema.description = schema.description ? `${schema.description}\n\n${note}` : note;
  });

  app.addHook("onRequest", async (req: FastifyRequest) => {
    if (!guarded(req.url, req.routeOptions.config)) return;
    const h = req.headers.authorization;
    const m = h ? /^Bearer\s+(\S+)\s*$/i.exec(h) : null;
    if (!m) throw new ApiError(401, "unauthorized", "send the API key as Authorization: Bearer <key>");
    req.principal = await authenticate(deps, m[1], bootstrapKeys());
    // An unknown path is a 404 for every valid key.
    if (req.is404 || req.routeOptions.config.anyKey) return;
    authorize(req.principal, req.routeOptions.config.scope, (req.params as Record<string, string | undefined>).tenant);
  });
}
