import { Problem, SessionOut } from "../schemas.ts";
import type { Api } from "./common.ts";

/**
 * GET /v1/session: who the calling key is. The console asks it after signing in, a portal link's
 * token in particular, to learn its tenant and what it may do; it names nothing but the caller.
 */
export function registerSessionRoute(app: Api): void {
  app.get(
    "/v1/session",
    {
      config: { anyKey: true },
      schema: {
        tags: ["keys"],
        summary: "The calling key: its kind, tenant, scopes and expiry",
        description:
          "Any valid key may ask, whatever its scopes: an admin key (tenantId null, every scope), a tenant key or a portal session token. A revoked or expired key is a 401 here as everywhere.",
        // Nothing to validate and no tenant in the path: only a bad key is an error.
        response: { 200: SessionOut, 401: Problem },
      },
    },
    async (req) => {
      const p = req.principal!;
      return { kind: p.kind, tenantId: p.tenantId, scopes: [...p.scopes], expiresAt: p.expiresAt === null ? null : new Date(p.expiresAt).toISOString() };
    },
  );
}
