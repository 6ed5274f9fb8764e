import type { ServiceDeps } from "../../services/deps.ts";
import { notReadyReason } from "../../services/readiness.ts";
import { problem } from "../problem.ts";
import type { Api } from "./common.ts";

export function registerHealthRoutes(app: Api, d: ServiceDeps): void {
  app.get("/healthz", { config: { public: true }, schema: { tags: ["health"], summary: "The process is up", security: [] } }, async () => ({ status: "ok" }));
  app.get(
    "/readyz",
    { config: { public: true }, schema: { tags: ["health"], summary: "The database answers and takes writes", security: [] } },
    async (_req, reply) => {
      const reason = await notReadyReason(d.storage, d.store);
      if (reason === null) return { status: "ready" };
      return reply
        .code(503)
        .type("application/problem+json")
        .send(problem(503, "unavailable", reason));
    },
  );
}
