import swagger from "@fastify/swagger";
import type { FastifyInstance } from "fastify";

/**
 * The OpenAPI 3.1 document of the routes registered after this one (all but those with
 * `schema.hide`), built by `app.swagger()` and served at GET /openapi.json.
 */
export async function registerOpenApi(app: FastifyInstance, version: string): Promise<void> {
  // Routes that take no body as `{}` (config.optionalBody): their request body is not required.
  const optionalBodyRoutes = new Set<string>();
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Tocsin API",
        version,
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
    // A named schema (schemas/component.ts) is listed under its own name: its $id.
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === "string" ? json.$id : `def-${i}`) },
    transformObject: (doc) => ("openapiObject" in doc ? optionalBodies(sharedProblems(doc.openapiObject), optionalBodyRoutes) : doc.swaggerObject),
  });
  app.addHook("onRoute", (r) => {
    if (!(r.config as { optionalBody?: boolean } | undefined)?.optionalBody) return;
    const path = r.url.replace(/:(\w+)/g, "{$1}");
    for (const m of [r.method].flat()) optionalBodyRoutes.add(`${m.toLowerCase()} ${path}`);
  });
}

interface OpenApiLike {
  paths?: Record<
    string,
    Record<string, { requestBody?: { required?: boolean; content?: Record<string, unknown> }; responses?: Record<string, unknown>; security?: unknown[] }>
  >;
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

/** Errors every operation may answer: failed (500), unavailable (503). */
const ALWAYS = ["500", "503"];
/** ...every operation that needs a key: too many requests or failed authentications (429). */
const WITH_KEY = ["429"];
/** ...and every operation whose method may carry a body (read, or refused unless empty): too large (413), not JSON (415). */
const WITH_BODY = ["413", "415"];
const BODY_METHODS = new Set(["post", "put", "patch", "delete"]);

const PROBLEM_RESPONSE = {
  description: "An RFC 9457 problem document (application/problem+json): `code` says what failed, `errors` which fields",
  content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
};

/**
 * Every 4xx and 5xx response of every operation becomes a reference to the one shared Problem
 * response (errors are sent as application/problem+json by error-handler.ts), and each operation
 * lists the errors any route may give besides its own. PATCH bodies are JSON merge patches
 * (RFC 7396): they are declared as application/merge-patch+json, and as application/json, which
 * the API accepts as well.
 */
export function sharedProblems<T extends object>(doc: T): T {
  const d = doc as OpenApiLike & { components?: { responses?: Record<string, unknown> } };
  d.components = { ...d.components, responses: { ...d.components?.responses, Problem: PROBLEM_RESPONSE } };
  for (const item of Object.values(d.paths ?? {})) {
    for (const [method, op] of Object.entries(item)) {
      if (!op?.responses) continue;
      const keyed = (op.security?.length ?? 0) > 0;
      const codes = new Set([
        ...Object.keys(op.responses),
        ...ALWAYS,
        ...(keyed ? WITH_KEY : []),
        ...(op.requestBody || BODY_METHODS.has(method) ? WITH_BODY : []),
      ]);
      const responses: Record<string, unknown> = {};
      for (const code of [...codes].sort()) {
        responses[code] = /^[45]/.test(code) ? { $ref: "#/components/responses/Problem" } : op.responses[code];
      }
      op.responses = responses as typeof op.responses;
      const json = op.requestBody?.content?.["application/json"];
      if (method === "patch" && op.requestBody && json) op.requestBody.content = { "application/merge-patch+json": json, "application/json": json };
    }
  }
  return doc;
}
