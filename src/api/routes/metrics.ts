import { createHash, timingSafeEqual } from "node:crypto";
import type { Metrics } from "../../observability/metrics.ts";
import { Problem } from "../schemas.ts";
import { problem } from "../problem.ts";
import type { Api } from "./common.ts";

const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest();

/** Whether `authorization` is `Bearer <token>`; digests of equal length make the comparison constant-time. */
export function bearerMatches(authorization: string | undefined, token: string): boolean {
  const m = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
  return timingSafeEqual(sha256(m?.[1] ?? ""), sha256(token)) && m !== null;
}

/**
 * GET /metrics in the Prometheus text format. Outside /v1, so neither API keys nor the API rate
 * limit apply; with `token` set (TOCSIN_METRICS_TOKEN) it needs `Authorization: Bearer <token>`.
 */
export function registerMetricsRoute(app: Api, metrics: Metrics, token: string | null): void {
  app.get(
    "/metrics",
    {
      config: { public: true },
      schema: {
        tags: ["health"],
        summary: "Prometheus metrics",
        description:
          "The process's metrics in the Prometheus text exposition format 0.0.4, names prefixed `tocsin_` (see docs/metrics.md). " +
          (token === null ? "Open: TOCSIN_METRICS_TOKEN is not set." : "Needs `Authorization: Bearer <TOCSIN_METRICS_TOKEN>`; API keys are not accepted."),
        security: token === null ? [] : [{ bearer: ["metrics"] }],
        response: {
          200: { description: "Prometheus text exposition format", content: { "text/plain; version=0.0.4": { schema: { type: "string" } } } },
          ...(token === null ? {} : { 401: Problem }),
        },
      },
    },
    async (req, reply) => {
      if (token !== null && !bearerMatches(req.headers.authorization, token)) {
        return reply
          .code(401)
          .header("www-authenticate", 'Bearer realm="metrics"')
          .type("application/problem+json")
          .send(problem(401, "unauthorized", "send the metrics token as Authorization: Bearer <TOCSIN_METRICS_TOKEN>"));
      }
      const text = await metrics.scrape();
      return reply.type(metrics.contentType).send(text);
    },
  );
}
