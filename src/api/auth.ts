import type { FastifyInstance, FastifyRequest, RouteOptions } from "fastify";
import type { Principal, Scope } from "../core/api-keys.ts";
import { ApiError, notFound } from "../core/errors.ts";
import { authenticate } from "../services/api-keys.ts";
import type { ServiceDeps } from "../services/deps.ts";

declare module "fastify" {
  interface FastifyContextConfig {
    /**
     * Who may call the route. Every route declares exactly one of these four; the server refuses
     * to start otherwise, and a route that somehow declares none is treated as admin-only.
     */
    /** No key: health probes, the OpenAPI document, the console's files, /metrics (its own token). */
    public?: boolean;
    /** Admin keys only. */
    admin?: boolean;
    /** The scope a tenant key or portal session needs; admin keys pass. */
    scope?: Scope;
    /** Any valid key, whatever its kind and scopes: the route tells the caller only about itself. */
    anyKey?: boolean;
  }
  interface FastifyRequest {
    /** Who is calling; set on every request to a route that is not public. */
    principal: Principal | null;
  }
  interface FastifyInstance {
    /** Every route the server has, with the access it declared: what tests and audits enumerate. */
    routeTable(): RouteAccess[];
  }
}

/** A route as registered (`/v1/tenants/:tenant`), and who may call it. */
export interface RouteAccess {
  method: string;
  url: string;
  access: Access;
}

export type Access = { kind: "public" } | { kind: "admin" } | { kind: "any" } | { kind: "scope"; scope: Scope };

type AccessConfig = { public?: boolean; admin?: boolean; scope?: Scope; anyKey?: boolean } | undefined;

/** What a route's own declaration says about its callers; undefined when it declares nothing or more than one thing. */
function declaredAccess(config: AccessConfig): Access | undefined {
  const found: Access[] = [];
  if (config?.public === true) found.push({ kind: "public" });
  if (config?.admin === true) found.push({ kind: "admin" });
  if (config?.anyKey === true) found.push({ kind: "any" });
  if (config?.scope !== undefined) found.push({ kind: "scope", scope: config.scope });
  return found.length === 1 ? found[0] : undefined;
}

/**
 * The access a request gets, decided on the route the router matched (after it decoded the path),
 * never on the URL's text: `/v%31/keys` is the route /v1/keys and needs what that route needs.
 * Undeclared or contradictory: admin keys only, so a mistake fails closed.
 */
export function accessOf(config: AccessConfig): Access {
  return declaredAccess(config) ?? { kind: "admin" };
}

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

export interface AuthOptions {
  /** The bootstrap admin keys, read on every request (the file may change). */
  bootstrapKeys: () => string[];
  /** Failed authentications allowed per client address per minute before they are answered 429; 0 turns the limit off. */
  failuresPerMinute: number;
}

/**
 * Failed authentications per client address, counted in fixed one-minute windows. Valid keys are
 * never refused by it: a request with a valid key is served whatever its address has failed, so
 * somebody guessing cannot lock out the holder of a real key. Bounded in memory: at most
 * MAX_TRACKED addresses, the oldest window dropped first.
 */
export function createFailureLimiter(perMinute: number, now: () => number) {
  const MAX_TRACKED = 10_000;
  const WINDOW_MS = 60_000;
  const windows = new Map<string, { start: number; count: number }>();
  return {
    /** Records a failure; returns the seconds to wait when the address is over its limit, else null. */
    fail(address: string): number | null {
      if (perMinute <= 0) return null;
      const t = now();
      let w = windows.get(address);
      if (!w || t - w.start >= WINDOW_MS) {
        windows.delete(address);
        if (windows.size >= MAX_TRACKED) windows.delete(windows.keys().next().value as string);
        w = { start: t, count: 0 };
        windows.set(address, w);
      }
      w.count++;
      return w.count > perMinute ? Math.max(1, Math.ceil((w.start + WINDOW_MS - t) / 1000)) : null;
    },
  };
}

/**
 * Authentication and authorization for every route. Register after @fastify/swagger and before
 * the routes: the onRoute hook records each route's access in the OpenAPI document, and the
 * server refuses to start when a route does not declare who may call it.
 */
export function registerAuth(app: FastifyInstance, deps: ServiceDeps, o: AuthOptions): void {
  app.decorateRequest("principal", null);

  const routes: RouteOptions[] = [];
  app.decorate("routeTable", () => routes.flatMap((r) => [r.method].flat().map((method) => ({ method, url: r.url, access: accessOf(r.config) }))));
  const documented = new WeakSet<object>();
  app.addHook("onRoute", (r) => {
    routes.push(r);
    const access = declaredAccess(r.config);
    if (!access || access.kind === "public") return;
    // HEAD routes share their GET's schema object: document it once.
    const schema = (r.schema ??= {}) as { security?: unknown; description?: string };
    if (documented.has(schema)) return;
    documented.add(schema);
    // Any key: a requirement without roles (the route's own description says so).
    if (access.kind === "any") {
      schema.security = [{ bearer: [] }];
      return;
    }
    const scope = access.kind === "scope" ? access.scope : undefined;
    // OpenAPI 3.1 lets a non-OAuth scheme list the roles an operation needs.
    schema.security = [{ bearer: [scope ?? "admin"] }];
    const note = scope ? `Tenant keys need the \`${scope}\` scope.` : "Admin keys only.";
    schema.description = schema.description ? `${schema.description}\n\n${note}` : note;
  });
  // Plugins may mark their routes public in their own onRoute hooks, which run after this one:
  // the check waits until every route is in.
  app.addHook("onReady", async () => {
    const undeclared = routes.filter((r) => !declaredAccess(r.config)).map((r) => `${[r.method].flat().join(",")} ${r.url}`);
    if (undeclared.length) throw new Error(`routes that do not declare who may call them (config.public, admin, scope or anyKey): ${undeclared.join("; ")}`);
  });

  const failures = createFailureLimiter(o.failuresPerMinute, deps.now);
  app.addHook("onRequest", async (req: FastifyRequest) => {
    // No route matched: only the not-found handler runs (a JSON 404, or the console's page for a
    // browser), which serves no API data.
    if (req.is404) return;
    const access = accessOf(req.routeOptions.config);
    if (access.kind === "public") return;
    const h = req.headers.authorization;
    const key = h ? /^Bearer\s+(\S+)\s*$/i.exec(h)?.[1] : undefined;
    try {
      if (key === undefined) throw new ApiError(401, "unauthorized", "send the API key as Authorization: Bearer <key>");
      req.principal = await authenticate(deps, key, o.bootstrapKeys());
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401) throw e;
      const wait = failures.fail(req.ip);
      if (wait === null) throw e;
      throw new ApiError(429, "rate_limited", `too many failed authentications from this address; retry in ${wait} s`, undefined, wait);
    }
    if (access.kind === "any") return;
    authorize(req.principal, access.kind === "scope" ? access.scope : undefined, (req.params as Record<string, string | undefined>).tenant);
  });
}
