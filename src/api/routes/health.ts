import type { ServiceDeps } from "../../services/deps.ts";
import { FAULT_TEXT } from "../../core/storage-health.ts";
import { problem } from "../problem.ts";
import type { Api } from "./common.ts";

export function registerHealthRoutes(app: Api, d: ServiceDeps): void {
  app.get("/healthz", { config: { public: true }, schema: { tags: ["health"], summary: "The process is up", security: [] } }, async () => ({ status: "ok" }));
  app.get("/readyz", { config: { public: true }, schema: { tags: ["health"], summary: "The database answers", security: [] } }, async (_req, reply) => {
    // Not ready while writes fail (a full disk answers reads, so a ping alone would say ready).
    const storage = d.storage?.state;
    if (storage && !storage.writable) {
      const since = new Date(storage.since ?? Date.now()).toISOString();
      return reply
        .code(503)
        .type("application/problem+json")
        .send(problem(503, "unavailable", `the database ${FAULT_TEXT[storage.fault ?? "unreachable"]} (since ${since}, ${storage.failures} operations refused): ${storage.detail ?? ""}`));
    }
    try {
      await d.store.ping();
      return { status: "ready" };
    } catch {
      return reply.code(503).type("application/problem+json").send(problem(503, "unavailable", "the database does not answer"));
    }
  });
}
