import type { FastifySchemaValidationError } from "fastify";
import type { ErrorCode, FieldError } from "../core/errors.ts";
import { TENANT_ID_PATTERN } from "../services/tenants.ts";

// Every error the API answers is an RFC 9457 problem document, sent as application/problem+json.

/** The reason phrase of each status the API answers: a problem document's title, and the status line of an answer written straight to the socket. */
export const TITLES: Record<number, string> = {
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

/** What a pattern of an identifier means, said in words instead of the regular expression. */
const PATTERN_MESSAGES: Record<string, string> = {
  [TENANT_ID_PATTERN]: 'must be 1 to 128 of A-Z a-z 0-9 . _ : -, and not "." or ".."',
};

/**
 * A schema validation's failures as a problem document's `errors`: a JSON pointer into the body,
 * or `query.name` / `path.name`, with a message in words.
 */
export function fieldErrors(validation: FastifySchemaValidationError[], validationContext: string | undefined): FieldError[] {
  return validation.map((v) => {
    const params = v.params as Record<string, unknown>;
    const extra = (params.additionalProperty ?? params.missingProperty) as string | undefined;
    const pointer = `${v.instancePath}${extra ? `/${extra}` : ""}`;
    const where = validationContext === "querystring" ? "query" : validationContext === "params" ? "path" : "body";
    const path = where === "body" ? pointer : `${where}.${pointer.slice(1).replaceAll("/", ".")}`;
    const message = params.additionalProperty
      ? "is not a known field"
      : (v.keyword === "pattern" && PATTERN_MESSAGES[params.pattern as string]) || (v.message ?? "is invalid");
    return { path, message };
  });
}
