import type { IncomingMessage, ServerOptions as ServerOptionsHttp1, ServerResponse } from "node:http";
import rateLimit from "@fastify/rate-limit";
import swagger from "@fastify/swagger";
import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, LogController } from "fastify";
import type { Logger } from "pino";
import { FINGERPRINT_PATTERN } from "../core/alerts.ts";
import { ApiError, type ErrorCode, type FieldError } from "../core/errors.ts";
import { jsonDepth, parseJsonKeepingSource } from "../core/json.ts";
import type { Metrics } from "../observability/metrics.ts";
import type { ServiceDeps } from "../services/deps.ts";
import { TENANT_ID_PATTERN } from "../services/tenants.ts";
import { StoreUnavailableError } from "../store/store.ts";
import { accessOf, registerAuth } from "./auth.ts";
import { BUILT_CONSOLE_DIR, type ConsoleFallback, registerConsole } from "./console.ts";
import { registerAlertmanagerRoutes } from "./routes/alertmanager.ts";
import { registerAlertRoutes } from "./routes/alerts.ts";
import { registerDeliveryRoutes } from "./routes/deliveries.ts";
import { registerEndpointRoutes } from "./routes/endpoints.ts";
import { registerEventTypeRoutes } from "./routes/event-types.ts";
import { registerEventRoutes } from "./routes/events.ts";
import { registerHealthRoutes } from "./routes/health.ts";
import { registerKeyRoutes } from "./routes/keys.ts";
import { registerMasterKeyRoutes } from "./routes/master-key.ts";
import { registerMetricsRoute } from "./routes/metrics.ts";
import { registerReplayRoutes } from "./routes/replays.ts";
import { registerSessionRoute } from "./routes/session.ts";
import { registerTenantRoutes } from "./routes/tenants.ts";

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

declare module "fastify" {
  interface FastifyContextConfig {
    /** Parse this route's JSON body keeping number source text (event payloads). */
    rawNumbers?: boolean;
    /** An action whose body is optional: no body, or an empty one, means `{}`. */
    optionalBody?: boolean;
  }
}

/** Deeper JSON is refused: nothing legitimate nests this far, and recursion in parsers and serialisers must stay bounded. */
export const MAX_JSON_DEPTH = 100;

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  409: "Conflict",
  413: "Content Too Large",
  417: "Expectation Failed",
  431: "Request Header Fields Too Large",
  415: "Unsupported Media Type",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

export function problem(status: number, code: ErrorCode, detail: string, errors?: FieldError[]) {
  return {
    type: `urn:tocsin:problem:${code}`,
    title: TITLES[status] ?? "Error",
    status,
    detail,
    code,
    ...(errors ? { errors } : {}),
  };
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** What a pattern of an identifier means, said in words instead of the regular expression. */
const PATTERN_MESSAGES: Record<string, string> = {
  [TENANT_ID_PATTERN]: 'must be 1 to 128 of A-Z a-z 0-9 . _ : -, and not "." or ".."',
  [FINGERPRINT_PATTERN]: 'must be printable ASCII without spaces, and not "." or ".."',
};

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
    ...({ http: { headersTimeout: c.apiHeadersTimeoutMs, requestTimeout: c.apiRequestTimeoutMs, connectionsCheckingInterval: 1000 } satisfies ServerOptionsHttp1 } as object),
    // Client addresses (failed-authentication limit, logs) come from X-Forwarded-For only behind
    // the proxies TOCSIN_TRUST_PROXY names; off by default, so a client cannot claim another's address.
    trustProxy: typeof c.trustProxy === "number" ? hops(c.trustProxy) : c.trustProxy,
    logController: new LogController({ disableRequestLogging: true }),
    // Path parameters are checked by the route schemas (tenant ids up to 128 characters, event
    // type names up to 200); the router's own limit only has to be above them.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1000 },
    ajv: { customOptions: { strict: false } },
    // Errors the router raises before any route runs (a malformed %-escape in the path).
    frameworkErrors: (err, _req, res) => {
      const reply = res as unknown as FastifyReply;
      void reply
        .code(400)
        .type("application/problem+json")
        .send(problem(400, "invalid_request", `the request cannot be routed: ${err.message}`));
    },
    // Requests Node's HTTP parser refuses (bad bytes, unknown methods, oversized headers).
    clientErrorHandler: (err, socket) => {
      const e = err as NodeJS.ErrnoException & { code?: string };
      if (!socket.writable || e.code === "ECONNRESET") return socket.destroy();
      // Headers or body not received within TOCSIN_API_HEADERS_TIMEOUT / TOCSIN_API_REQUEST_TIMEOUT.
      const timedOut = e.code === "ERR_HTTP_REQUEST_TIMEOUT";
      const status = timedOut ? 408 : e.code === "HPE_HEADER_OVERFLOW" ? 431 : 400;
      const detail = timedOut ? "the request was not received in time; the connection is closed" : `the HTTP request is malformed (${e.code ?? "parse error"})`;
      const body = JSON.stringify(problem(status, "invalid_request", detail));
      socket.end(
        `HTTP/1.1 ${status} ${TITLES[status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    },
  });
  // An Expect header other than 100-continue: Node would answer a bare 417.
  app.server.on("checkExpectation", (req: IncomingMessage, res: ServerResponse) => {
    const body = JSON.stringify(problem(417, "invalid_request", `Expect: ${String(req.headers.expect)} is not supported; only 100-continue is`));
    res.writeHead(417, { "content-type": "application/problem+json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });

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
        if (data.length === 0) return { error: new ApiError(400, "validation_failed", "a batch must hold at least one event", [{ path: "", message: "must not be empty" }]) };
        if (data.length > maxItems) {
          return { error: new ApiError(400, "validation_failed", `a batch holds at most ${maxItems} events`, [{ path: "", message: `must have at most ${maxItems} items` }]) };
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

  const defaultJson = app.getDefaultJsonParser("error", "error");
  const parseJson = (
    req: { is404: boolean; routeOptions: { config: { rawNumbers?: boolean; optionalBody?: boolean } } },
    body: string,
    done: (err: Error | null, body?: unknown) => void,
  ) => {
    // No route matched: the answer is a 404 whatever the body holds.
    if (req.is404) return done(null, undefined);
    if (body === "") {
      if (req.routeOptions.config.optionalBody) return done(null, {});
      return done(new ApiError(400, "invalid_json", "the request body is empty; send a JSON document"));
    }
    if (jsonDepth(body) > MAX_JSON_DEPTH) {
      return done(new ApiError(400, "invalid_json", `the request body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep`));
    }
    if (req.routeOptions.config.rawNumbers) {
      try {
        return done(null, parseJsonKeepingSource(body));
      } catch (e) {
        return done(new ApiError(400, "invalid_json", `the request body is not valid JSON: ${(e as Error).message}`));
      }
    }
    defaultJson(req as never, body, (err, value) => {
      if (err) return done(new ApiError(400, "invalid_json", `the request body is not valid JSON: ${err.message}`));
      done(null, value);
    });
  };
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(["application/json", "application/merge-patch+json"], { parseAs: "string" }, parseJson);

  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Tocsin API",
        version: o.version,
        description: "Webhook delivery for products that alert their customers. Errors are RFC 9457 problem documents.",
      },
      components: {
        securitySchemes: {
          bearer: {
            type: "http",
            scheme: "bearer",
            description:
              "An admin key, a tenant key or a portal session token. Each operation lists what it needs: `admin` (admin keys only) or the scope a tenant key must hold (`events:write`, `endpoints:write`, `read`).",
          },
        },
      },
      security: [{ bearer: [] }],
    },
    // Errors are sent as application/problem+json (the error handler below); say so in the
    // document, which would otherwise list them under application/json like the successes.
    transformObject: (doc) => ("openapiObject" in doc ? optionalBodies(problemMediaType(doc.openapiObject), optionalBodyRoutes) : doc.swaggerObject),
  });
  // Routes that take no body as `{}` (config.optionalBody): their request body is not required.
  const optionalBodyRoutes = new Set<string>();
  app.addHook("onRoute", (r) => {
    if (!(r.config as { optionalBody?: boolean } | undefined)?.optionalBody) return;
    const path = r.url.replace(/:(\w+)/g, "{$1}");
    for (const m of [r.method].flat()) optionalBodyRoutes.add(`${m.toLowerCase()} ${path}`);
  });

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
      if (typeof value === "string" && CONTROL.test(value)) throw new ApiError(400, "validation_failed", `path.${name}: must not contain control characters`, [{ path: `path.${name}`, message: "must not contain control characters" }]);
    }
  });

  // Actions such as POST …/test take an optional body: none at all is the same as `{}`.
  app.addHook("preValidation", async (req) => {
    if (req.routeOptions.config.optionalBody && req.body === undefined) req.body = {};
  });

  app.setErrorHandler((err: FastifyError | ApiError, req, reply) => {
    const send = (status: number, body: ReturnType<typeof problem>) => reply.code(status).type("application/problem+json").send(body);
    if (err instanceof ApiError) {
      if (err.retryAfterSec !== undefined) reply.header("retry-after", String(err.retryAfterSec));
      return send(err.status, problem(err.status, err.code, err.message, err.errors));
    }
    if (err instanceof StoreUnavailableError) {
      req.log.warn({ err: err.message }, "database unavailable");
      reply.header("retry-after", "5");
      return send(503, problem(503, "unavailable", "The database is unavailable; nothing was stored. Retry shortly."));
    }
    const fe = err as FastifyError & { validationContext?: string };
    // No route matched, and the body could not even be parsed (unknown media type, too large):
    // the path decides the answer, as for any other unmatched request.
    if (req.is404 && fe.code?.startsWith("FST_ERR_CTP_")) return send(404, problem(404, "not_found", `no route for ${req.method} ${req.url.split("?")[0]}`));
    if (fe.validation) {
      const errors = fe.validation.map((v) => {
        const params = v.params as Record<string, unknown>;
        const extra = (params.additionalProperty ?? params.missingProperty) as string | undefined;
        const pointer = `${v.instancePath}${extra ? `/${extra}` : ""}`;
        const where = fe.validationContext === "querystring" ? "query" : fe.validationContext === "params" ? "path" : "body";
        const path = where === "body" ? pointer : `${where}.${pointer.slice(1).replaceAll("/", ".")}`;
        const message = params.additionalProperty ? "is not a known field" : ((v.keyword === "pattern" && PATTERN_MESSAGES[params.pattern as string]) || (v.message ?? "is invalid"));
        return { path, message };
      });
      const first = errors[0];
      return send(400, problem(400, "validation_failed", `${first.path || "body"}: ${first.message}`, errors));
    }
    if (fe.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      return send(413, problem(413, "payload_too_large", `the request body exceeds ${c.maxBodyBytes} bytes`));
    }
    // A console asset path that would leave the assets folder (`/assets/../x`): as absent as any other.
    if (fe.code === "FST_STATIC_FORBIDDEN_PATH") {
      return send(404, problem(404, "not_found", `no route for ${req.method} ${req.url.split("?")[0]}`));
    }
    if (fe.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
      return send(415, problem(415, "unsupported_media_type", "send JSON with Content-Type: application/json"));
    }
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
      return send(fe.statusCode, problem(fe.statusCode, fe.statusCode === 400 ? "invalid_json" : "validation_failed", fe.message));
    }
    req.log.error({ err }, "request failed");
    return send(500, problem(500, "internal", "Internal server error"));
  });

  // The web console's single-page fallback answers browser navigations outside the API first.
  let consoleFallback: ConsoleFallback | null = null;
  app.setNotFoundHandler(async (req, reply) => {
    if (consoleFallback && (await consoleFallback(req, reply))) return reply;
    return reply
      .code(404)
      .type("application/problem+json")
      .send(problem(404, "not_found", `no route for ${req.method} ${req.url.split("?")[0]}`));
  });

  registerHealthRoutes(app, o.deps);
  if (o.metrics) registerMetricsRoute(app, o.metrics, o.deps.config.metricsToken);
  registerTenantRoutes(app, o.deps);
  registerEndpointRoutes(app, o.deps);
  registerReplayRoutes(app, o.deps);
  registerEventTypeRoutes(app, o.deps);
  registerEventRoutes(app, o.deps);
  registerAlertmanagerRoutes(app, o.deps);
  registerDeliveryRoutes(app, o.deps);
  registerAlertRoutes(app, o.deps);
  registerKeyRoutes(app, o.deps);
  registerMasterKeyRoutes(app, o.deps);
  registerSessionRoute(app);

  app.get("/openapi.json", { config: { public: true }, schema: { hide: true } }, async () => app.swagger());

  if (c.consoleEnabled) {
    consoleFallback = await registerConsole(app, { dir: c.consoleDir ?? BUILT_CONSOLE_DIR, frameAncestors: c.consoleFrameAncestors, logger: o.logger });
  }
  return app;
}

interface OpenApiLike {
  paths?: Record<string, Record<string, { requestBody?: { required?: boolean }; responses?: Record<string, { content?: Record<string, unknown> }> }>>;
}

/** Marks the request body of each `method path` in `routes` as not required. */
export function optionalBodies<T extends object>(doc: T, routes: ReadonlySet<string>): T {
  for (const [path, item] of Object.entries((doc as OpenApiLike).paths ?? {})) {
    for (const [method, op] of Object.entries(item)) {
      if (op?.requestBody && routes.has(`${method} ${path}`)) op.requestBody.required = false;
    }
  }
  return doc;
}

/** Moves every 4xx and 5xx response's `application/json` content to `application/problem+json`. */
export function problemMediaType<T extends object>(doc: T): T {
  for (const item of Object.values((doc as OpenApiLike).paths ?? {})) {
    for (const op of Object.values(item)) {
      for (const [code, res] of Object.entries(op?.responses ?? {})) {
        if (!/^[45]/.test(code) || !res.content?.["application/json"]) continue;
        const { "application/json": json, ...rest } = res.content;
        res.content = { "application/problem+json": json, ...rest };
      }
    }
  }
  return doc;
}
