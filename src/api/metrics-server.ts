import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, LogController } from "fastify";
import type { Logger } from "pino";
import type { Metrics } from "../observability/metrics.ts";
import { registerMetricsRoute } from "./routes/metrics.ts";
import { namedSchemas } from "./schemas/component.ts";
import { problem } from "./problem.ts";

export interface MetricsServerOptions {
  metrics: Metrics;
  /** TOCSIN_METRICS_TOKEN: when set, GET /metrics needs it as a bearer token. */
  token: string | null;
  logger: Logger;
  /** Why this worker cannot do its work now (the database does not answer or take writes); null: it can. GET /readyz. */
  notReady?: () => Promise<string | null>;
}

/**
 * The listener a `tocsin worker` opens on TOCSIN_METRICS_PORT, since it has no API port: GET
 * /metrics, GET /healthz (the process is up) and GET /readyz (it can claim and record: the
 * database answers and takes writes), nothing else.
 */
export async function createMetricsServer(o: MetricsServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: o.logger as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { ignoreTrailingSlash: true },
  });
  app.removeAllContentTypeParsers();
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return reply
        .code(err.statusCode)
        .type("application/problem+json")
        .send(problem(err.statusCode, "invalid_request", err.message));
    }
    req.log.error({ err }, "metrics request failed");
    return reply
      .code(500)
      .type("application/problem+json")
      .send(problem(500, "internal", "Internal server error"));
  });
  app.setNotFoundHandler((req, reply) =>
    reply
      .code(404)
      .type("application/problem+json")
      .send(problem(404, "not_found", `no route for ${req.method} ${req.url.split("?")[0]}; a worker serves GET /metrics and GET /healthz`)),
  );
  // The route's error responses refer to the named Problem schema.
  for (const schema of namedSchemas()) app.addSchema(schema);
  registerMetricsRoute(app.withTypeProvider<TypeBoxTypeProvider>(), o.metrics, o.token);
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_req, reply) => {
    const reason = o.notReady ? await o.notReady() : null;
    if (reason === null) return { status: "ready" };
    return reply
      .code(503)
      .type("application/problem+json")
      .send(problem(503, "unavailable", reason));
  });
  return app;
}
