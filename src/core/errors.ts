export type ErrorCode =
  | "validation_failed"
  | "invalid_json"
  | "invalid_request"
  | "unsupported_media_type"
  | "payload_too_large"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "method_not_allowed"
  | "rate_limited"
  | "unavailable"
  | "internal";

export interface FieldError {
  /** JSON Pointer into the request part that failed, e.g. `/url` or `/0/type`. */
  path: string;
  message: string;
}

/** An expected API error; the error handler renders it as an RFC 9457 problem document. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly errors: FieldError[] | undefined;
  /** Sent as Retry-After (seconds) with a 429 or 503. */
  readonly retryAfterSec: number | undefined;
  constructor(status: number, code: ErrorCode, message: string, errors?: FieldError[], retryAfterSec?: number) {
    super(message);
    this.status = status;
    this.code = code;
    this.errors = errors;
    this.retryAfterSec = retryAfterSec;
  }
}

export function invalid(path: string, message: string): ApiError {
  return new ApiError(400, "validation_failed", `${path || "body"}: ${message}`, [{ path, message }]);
}

export function notFound(what: string, id: string): ApiError {
  return new ApiError(404, "not_found", `${what} ${JSON.stringify(id)} does not exist`);
}

/**
 * Whatever a `catch` caught, as an Error: an Error as is; an error-like object (JSONata, for one,
 * throws plain objects with a `message`) by its message; anything else by its text.
 */
export function coerceError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (typeof value === "object" && value !== null && typeof (value as { message?: unknown }).message === "string")
    return new Error((value as { message: string }).message);
  return new Error(typeof value === "string" ? value : String(JSON.stringify(value)));
}
