import type { ServerOptions as ServerOptionsHttp1 } from "node:http";
import rateLimit from "@fastify/rate-limit";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import type { Logger } from "pino";
import { ApiError } from "../core/errors.ts";
import type { Metrics } from "../observability/metrics.ts";
import type { ServiceDeps } from "../services/deps.ts";
import { accessOf, registerAuth } from "./auth.ts";
import { registerBodyParsers } from "./body-parsers.ts";
import { BUILT_CONSOLE_DIR, type ConsoleFallback, registerConsole } from "./console.ts";
import { clientErrorHandler, frameworkErrors, refuseUnsupportedExpectations, registerErrorHandler, registerNotFoundHandler } from "./error-handler.ts";
import { registerOpenApi } from "./openapi.ts";
import { registerAlertmanagerRoutes } from "./routes/alertmanager.ts";
import { registerAlertRoutes } from "./routes/alerts.ts";
import { registerDeliveryRoutes } from "./routes/deliveries.ts";
import { registerEndpointRoutes } from "./routes/endpoints.ts";
import { registerEventTypeRoutes } from "./routes/event-types.ts";
import { registerEventRoutes } from "./routes/events.ts";
import { registerHealthRoutes } from "./routes/health.ts";
import { registerKeyRoutes } from "./routes/keys.ts";
import { registerMasterKeyRoutes } from "./routes/master-key.ts";
import { registerProxyRoutes } from "./routes/proxies.ts";
import { registerMetricsRoute } from "./routes/metrics.ts";
import { registerReplayRoutes } from "./routes/replays.ts";
import { registerSessionRoute } from "./routes/session.ts";
import { registerSilenceRoutes } from "./routes/silences.ts";
import { registerTenantRoutes } from "./routes/tenants.ts";
import { namedSchemas } from "./schemas/component.ts";

export interface ServerOptions {
  deps: ServiceDeps;
  logger: Logger;
  /**
   * The bootstrap admin keys (TOCSIN_API_KEY or data/admin-key), compared in constant time. Keys
   * created through /v1/keys and /v1/tenants/{tenant}/keys live in the database.
   */
  apiKeys: () => string[];
  version: string;
  /** Served at GET /metrics (behind TOCSIN_METRICS_TOKEN when set); no route without it. */
  metrics?: Metrics;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Trusts the `n` proxies nearest to this server (X-Forwarded-For read from the right). */
const hops = (n: number) => (_address: string, i: number) => i < n;

/** Bodies are validated strictly (wrong types are 400s); query strings and params are coerced. */
function createValidators() {
  const strict = new Ajv({ coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false, strict: false });
  const lenient = new Ajv({ coerceTypes: "array", removeAdditional: false, useDefaults: true, allErrors: false, strict: false });
  addFormats.default(strict);
  addFormats.default(lenient);
  return { strict, lenient };
}

export async function createServer(o: ServerOptions): Promise<FastifyInstance> {
  const c = o.deps.config;
  const app = Fastify({
    loggerInstance: o.logger as unknown as FastifyBaseLogger,
    bodyLimit: c.maxBodyBytes,
    // A client gets this long to send a whole request (headers then body), and the headers alone
    // must come sooner: a connection that trickles bytes is answered 408 and closed instead of
    // being held open. Node checks open requests against these once a second.
    requestTimeout: c.apiRequestTimeoutMs,
    ...({
      http: { headersTimeout: c.apiHeadersTimeoutMs, requestTimeout: c.apiRequestTimeoutMs, connectionsCheckingInterval: 1000 } satisfies ServerOptionsHttp1,
    } as object),
    // Client addresses (failed-authentication limit, logs) come from X-Forwarded-For only behind
    // the proxies TOCSIN_TRUST_PROXY names; off by default, so a client cannot claim another's address.
    trustProxy: typeof c.trustProxy === "number" ? hops(c.trustProxy) : c.trustProxy,
    logController: new LogController({ disableRequestLogging: true }),
    // Path parameters are checked by the route schemas (tenant ids up to 128 characters, event
    // type names up to 200); the router's own limit only has to be above them.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1000 },
    ajv: { customOptions: { strict: false } },
    // Problem documents for what fails before any route runs: a path the router cannot take (a
    // malformed %-escape), a request Node's HTTP parser refuses or that arrives too slowly.
    frameworkErrors,
    clientErrorHandler,
  });
  refuseUnsupportedExpectations(app);

  const { strict, lenient } = createValidators();
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const s = schema as Record<string, unknown>;
    if (httpPart === "body" && s["x-one-or-many"]) {
      // POST .../events takes one event or an array of them: validate each with the item schema
      // so that errors name the exact field, e.g. /3/type.
      const item = strict.compile(s["x-one-or-many"] as object);
      const maxItems = s["x-max-items"] as number;
      return (data: unknown) => {
        if (!Array.isArray(data)) return item(data) ? { value: data } : { error: Object.assign(new Error("invalid"), { validation: item.errors }) };
        if (data.length === 0)
          return { error: new ApiError(400, "validation_failed", "a batch must hold at least one event", [{ path: "", message: "must not be empty" }]) };
        if (data.length > maxItems) {
          return {
            error: new ApiError(400, "validation_failed", `a batch holds at most ${maxItems} events`, [
              { path: "", message: `must have at most ${maxItems} items` },
            ]),
          };
        }
        for (let i = 0; i < data.length; i++) {
          if (!item(data[i])) {
            const errs = (item.errors ?? []).map((e) => ({ ...e, instancePath: `/${i}${e.instancePath}` }));
            return { error: Object.assign(new Error("invalid"), { validation: errs }) };
          }
        }
        return { value: data };
      };
    }
    return (httpPart === "body" ? strict : lenient).compile(schema);
  });

  // The named schemas, once each, where $refs are resolved: the response serialisers (through
  // the app), both validators, and the OpenAPI document's components.schemas.
  for (const schema of namedSchemas()) {
    app.addSchema(schema);
    strict.addSchema(schema);
    lenient.addSchema(schema);
  }

  registerBodyParsers(app);

  await registerOpenApi(app, o.version);

  registerAuth(app, o.deps, { bootstrapKeys: o.apiKeys, failuresPerMinute: c.authFailuresPerMinute });

  // Per API key (the bootstrap key counts as one), after authentication; 0 turns it off.
  const perMinute = o.deps.config.rateLimitPerMinute;
  if (perMinute > 0) {
    await app.register(rateLimit, {
      global: true,
      hook: "preHandler",
      max: perMinute,
      timeWindow: 60_000,
      keyGenerator: (req) => (req.principal ? (req.principal.keyId ?? "bootstrap") : `ip:${req.ip}`),
      // Decided on the matched route, like authentication: public routes and unmatched paths are not counted.
      allowList: (req) => req.is404 || accessOf(req.routeOptions.config).kind === "public",
      errorResponseBuilder: (_req, ctx) =>
        new ApiError(429, "rate_limited", `more than ${ctx.max} requests a minute with this API key; retry in ${Math.ceil(ctx.ttl / 1000)} s`),
    });
  }

  // No id, name or fingerprint holds a control character, and PostgreSQL cannot even compare text
  // with a NUL in it: such a path parameter (`%00`) names nothing and is refused before any lookup.
  app.addHook("preValidation", async (req) => {
    if (req.is404) return;
    for (const [name, value] of Object.entries((req.params ?? {}) as Record<string, unknown>)) {
      if (typeof value === "string" && CONTROL.test(value))
        throw new ApiError(400, "validation_failed", `path.${name}: must not contain control characters`, [
          { path: `path.${name}`, message: "must not contain control characters" },
        ]);
    }
  });

  // Actions such as POST …/test take an optional body: none at all is the same as `{}`.
  app.addHook("preValidation", async (req) => {
    if (req.routeOptions.config.optionalBody && req.body === undefined) req.body = {};
  });

  registerErrorHandler(app, c.maxBodyBytes);

  // The web console's single-page fallback answers browser navigations outside the API first.
  let consoleFallback: ConsoleFallback | null = null;
  registerNotFoundHandler(app, () => consoleFallback);

  // Routes get their request and reply types from their schemas.
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  registerHealthRoutes(api, o.deps);
  if (o.metrics) registerMetricsRoute(api, o.metrics, o.deps.config.metricsToken);
  registerTenantRoutes(api, o.deps);
  registerEndpointRoutes(api, o.deps);
  registerReplayRoutes(api, o.deps);
  registerEventTypeRoutes(api, o.deps);
  registerEventRoutes(api, o.deps);
  registerAlertmanagerRoutes(api, o.deps);
  registerDeliveryRoutes(api, o.deps);
  registerAlertRoutes(api, o.deps);
  registerSilenceRoutes(api, o.deps);
  registerKeyRoutes(api, o.deps);
  registerMasterKeyRoutes(api, o.deps);
  registerProxyRoutes(api, o.deps);
  registerSessionRoute(api);

  app.get("/openapi.json", { config: { public: true }, schema: { hide: true } }, async () => app.swagger());

  if (c.consoleEnabled) {
    consoleFallback = await registerConsole(app, { dir: c.consoleDir ?? BUILT_CONSOLE_DIR, frameAncestors: c.consoleFrameAncestors, logger: o.logger });
  }
  return app;
}
