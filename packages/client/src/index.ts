import type { Client } from "openapi-fetch";
import createClient, { defaultPathSerializer } from "openapi-fetch";
import type { components, paths } from "./schema.ts";

export type { components, operations, paths } from "./schema.ts";
export { DELIVERY_STATUSES, type DeliveryStatus, EVENT_TYPE_PATTERN, OUTCOMES, type Outcome } from "./constants.ts";
export { parseHeader, parseHeaderList } from "./headers.ts";

/** A typed client of Tocsin's REST API: `client.GET("/v1/tenants/{tenant}", { params: … })` and so on. */
export type TocsinClient = Client<paths>;

export interface TocsinClientOptions {
  /** Where Tocsin listens, e.g. `http://127.0.0.1:3000`; the paths start with `/v1`. */
  baseUrl: string;
  /** An admin key, a tenant key (`tsk_…`) or a portal session token (`tsp_…`), sent as a bearer token. */
  apiKey: string;
  /** Replaces `globalThis.fetch`, e.g. to add a timeout or a proxy. */
  fetch?: (request: Request) => Promise<Response>;
}

/**
 * Path parameters are percent-encoded, but `.` and `..` would still be folded away as dot segments
 * by URL parsing (`/v1/tenants/../keys` is `/v1/keys`), so the request would reach another route.
 * The API refuses such ids; the client throws before sending.
 */
export function serializePath(pathname: string, params: Record<string, unknown>): string {
  for (const [name, value] of Object.entries(params ?? {})) {
    if (value === "." || value === "..") throw new TypeError(`path parameter ${name} may not be "${value}": URLs fold it away as a dot segment`);
  }
  return defaultPathSerializer(pathname, params);
}

/** Creates the client; every request carries `Authorization: Bearer <apiKey>`. */
export function createTocsinClient(options: TocsinClientOptions): TocsinClient {
  return createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    pathSerializer: serializePath,
    headers: { authorization: `Bearer ${options.apiKey}` },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

type HttpMethod = "get" | "put" | "post" | "delete" | "patch";

/** The JSON body a route answers with on success, e.g. `ResponseData<"/v1/tenants/{tenant}", "get">`. */
export type ResponseData<P extends keyof paths, M extends HttpMethod & keyof paths[P]> = SuccessBody<paths[P][M]>;

/** The JSON body a route takes, e.g. `RequestBody<"/v1/tenants/{tenant}/endpoints", "post">`. */
export type RequestBody<P extends keyof paths, M extends HttpMethod & keyof paths[P]> = paths[P][M] extends {
  requestBody?: { content: { "application/json": infer B } };
}
  ? B
  : never;

type SuccessBody<Op> = Op extends { responses: infer R }
  ? { [S in keyof R]: S extends 200 | 201 | 202 ? (R[S] extends { content: { "application/json": infer B } } ? B : never) : never }[keyof R]
  : never;

/** An RFC 9457 problem document, as every error of the API is (`Content-Type: application/problem+json`). */
export type Problem = components["schemas"]["Problem"];

export type Tenant = ResponseData<"/v1/tenants/{tenant}", "get">;
export type Endpoint = ResponseData<"/v1/tenants/{tenant}/endpoints/{id}", "get">;
export type EndpointCreate = RequestBody<"/v1/tenants/{tenant}/endpoints", "post">;
export type EndpointPatch = RequestBody<"/v1/tenants/{tenant}/endpoints/{id}", "patch">;
export type EventInput = Exclude<RequestBody<"/v1/tenants/{tenant}/events", "post">, unknown[]>;
export type Event = ResponseData<"/v1/tenants/{tenant}/events/{id}", "get">;
export type Delivery = ResponseData<"/v1/tenants/{tenant}/deliveries/{id}", "get">;
export type TestCall = ResponseData<"/v1/tenants/{tenant}/endpoints/{id}/test", "post">;
export type ReplayJob = ResponseData<"/v1/tenants/{tenant}/replays/{id}", "get">;
export type ApiKey = ResponseData<"/v1/keys", "post">;

/** True when `body` has the members every Tocsin problem document has. */
export function isProblem(body: unknown): body is Problem {
  if (typeof body !== "object" || body === null) return false;
  const p = body as Record<string, unknown>;
  return (
    typeof p.type === "string" && typeof p.title === "string" && typeof p.status === "number" && typeof p.detail === "string" && typeof p.code === "string"
  );
}

/**
 * An answer outside 2xx. `problem` is the RFC 9457 problem document (null if the body was not
 * one, e.g. from a proxy in front of Tocsin); the message is `<status> <title>: <detail>`.
 */
export class TocsinApiError extends Error {
  readonly status: number;
  readonly problem: Problem | null;
  /** The body as received: parsed JSON, else text; undefined when empty. */
  readonly body: unknown;
  readonly response: Response;
  constructor(response: Response, body: unknown) {
    const fields = typeof body === "object" && body !== null ? (body as { title?: unknown; detail?: unknown }) : {};
    const title = typeof fields.title === "string" ? fields.title : response.statusText;
    const detail = typeof fields.detail === "string" ? fields.detail : body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body);
    super(`${response.status} ${title}: ${detail}`);
    this.name = "TocsinApiError";
    this.status = response.status;
    this.problem = isProblem(body) ? body : null;
    this.body = body;
    this.response = response;
  }

  /** The problem's machine-readable `code` (`validation_failed`, `not_found`, `conflict` …), if any. */
  get code(): string | null {
    return this.problem?.code ?? null;
  }
}

type ApiResult = { data?: unknown; error?: unknown; response: Response };
type DataOf<T> = T extends { data: infer D; error?: never } ? D : never;

/**
 * The data of a call, or a thrown `TocsinApiError` for any answer outside 2xx:
 * `const tenant = await unwrap(client.GET("/v1/tenants/{tenant}", { params: { path: { tenant: "acme" } } }))`.
 * Routes that answer 204 give `undefined`. Network failures are thrown as `fetch` throws them.
 */
export async function unwrap<T extends ApiResult>(call: T | Promise<T>): Promise<DataOf<T>> {
  const r = await call;
  if (!r.response.ok) throw new TocsinApiError(r.response, r.error);
  return r.data as DataOf<T>;
}
