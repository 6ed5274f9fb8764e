import type { IncomingMessage, ServerResponse } from "node:http";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from "fastify";
import { Type } from "typebox";
import type { Page } from "../../store/store.ts";
import { Problem } from "../schemas.ts";

/** The server as routes see it: request parts and replies typed from the route's TypeBox schemas. */
export type Api = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

export function pageOf(q: { limit?: number; cursor?: string }): Page {
  return { limit: q.limit ?? 50, cursor: q.cursor ?? null };
}

/** Error responses every /v1 route may give. */
export const errorResponses = {
  400: Problem,
  401: Problem,
  403: Problem,
  404: Problem,
};

export const TenantParams = Type.Object({ tenant: Type.String({ maxLength: 128 }) });
export const TenantItemParams = Type.Object({ tenant: Type.String({ maxLength: 128 }), id: Type.String({ maxLength: 100 }) });
