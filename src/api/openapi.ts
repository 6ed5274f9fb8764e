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
    // Errors are sent as application/problem+json (error-handler.ts); say so in the document,
    // which would otherwise list them under application/json like the successes.
    transformObject: (doc) => ("openapiObject" in doc ? optionalBodies(problemMediaType(doc.openapiObject), optionalBodyRoutes) : doc.swaggerObject),
  });
  app.addHook("onRoute", (r) => {
    if (!(r.config as { optionalBody?: boolean } | undefined)?.optionalBody) return;
    const path = r.url.replace(/:(\w+)/g, "{$1}");
    for (const m of [r.method].flat()) optionalBodyRoutes.add(`${m.toLowerCase()} ${path}`);
  });
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
