import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { FastifyError, FastifyInstance, FastifyReply } from "fastify";
import { ApiError } from "../core/errors.ts";
import { FAULT_TEXT } from "../core/storage-health.ts";
import { StoreUnavailableError } from "../store/store.ts";
import type { ConsoleFallback } from "./console.ts";
import { fieldErrors, problem, TITLES } from "./problem.ts";

// How each failure becomes a problem document: the error handler for what routes, hooks, parsers
// and validation throw, the not-found handler, and the answers given before Fastify's handlers run.

/** Errors the router raises before any route runs (a malformed %-escape in the path); Fastify's `frameworkErrors` option. */
export function frameworkErrors(err: FastifyError, _req: unknown, res: unknown): void {
  const reply = res as FastifyReply;
  void reply
    .code(400)
    .type("application/problem+json")
    .send(problem(400, "invalid_request", `the request cannot be routed: ${err.message}`));
}

/** Requests Node's HTTP parser refuses (bad bytes, unknown methods, oversized headers); Fastify's `clientErrorHandler` option. */
export function clientErrorHandler(err: Error, socket: Socket) {
  const e = err as NodeJS.ErrnoException & { code?: string };
  if (!socket.writable || e.code === "ECONNRESET") return socket.destroy();
  // Headers or body not received within TOCSIN_API_HEADERS_TIMEOUT / TOCSIN_API_REQUEST_TIMEOUT.
  const timedOut = e.code === "ERR_HTTP_REQUEST_TIMEOUT";
  const status = timedOut ? 408 : e.code === "HPE_HEADER_OVERFLOW" ? 431 : 400;
  const detail = timedOut ? "the request was not received in time; the connection is closed" : `the HTTP request is malformed (${e.code ?? "parse error"})`;
  const body = JSON.stringify(problem(status, "invalid_request", detail));
  socket.end(
    `HTTP/1.1 ${status} ${TITLES[status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** An Expect header other than 100-continue: Node would answer a bare 417. */
export function refuseUnsupportedExpectations(app: FastifyInstance): void {
  app.server.on("checkExpectation", (req: IncomingMessage, res: ServerResponse) => {
    const body = JSON.stringify(problem(417, "invalid_request", `Expect: ${String(req.headers.expect)} is not supported; only 100-continue is`));
    res.writeHead(417, { "content-type": "application/problem+json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
}

/** Every error a request raises, answered as a problem document; `maxBodyBytes` is named in a 413's detail. */
export function registerErrorHandler(app: FastifyInstance, maxBodyBytes: number): void {
  app.setErrorHandler((err: FastifyError | ApiError, req, reply) => {
    const send = (status: number, body: ReturnType<typeof problem>) => reply.code(status).type("application/problem+json").send(body);
    if (err instanceof ApiError) {
      if (err.retryAfterSec !== undefined) reply.header("retry-after", String(err.retryAfterSec));
      return send(err.status, problem(err.status, err.code, err.message, err.errors));
    }
    if (err instanceof StoreUnavailableError) {
      // Logged once per change of state, not here per request (observability/storage-watch.ts).
      reply.header("retry-after", err.fault === "disk_full" ? "30" : "5");
      return send(503, problem(503, "unavailable", `The database ${FAULT_TEXT[err.fault]}; nothing was stored. Retry later.`));
    }
    const fe = err as FastifyError & { validationContext?: string };
    // No route matched, and the body could not even be parsed (unknown media type, too large):
    // the path decides the answer, as for any other unmatched request.
    if (req.is404 && fe.code?.startsWith("FST_ERR_CTP_")) return send(404, problem(404, "not_found", `no route for ${req.method} ${req.url.split("?")[0]}`));
    if (fe.validation) {
      const errors = fieldErrors(fe.validation, fe.validationContext);
      const first = errors[0];
      const summary = first ? `${first.path || "body"}: ${first.message}` : fe.message;
      return send(400, problem(400, "validation_failed", summary, errors));
    }
    if (fe.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      return send(413, problem(413, "payload_too_large", `the request body exceeds ${maxBodyBytes} bytes`));
    }
    // A console asset path that would leave the assets folder (`/assets/../x`): as absent as any other.
    if (fe.code === "FST_STATIC_FORBIDDEN_PATH") {
      return send(404, problem(404, "not_found", `no route for ${req.method} ${req.url.split("?")[0]}`));
    }
    if (fe.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
      return send(415, problem(415, "unsupported_media_type", "send JSON with Content-Type: application/json"));
    }
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
      return send(fe.statusCode, problem(fe.statusCode, fe.statusCode === 400 ? "invalid_json" : "validation_failed", fe.message));
    }
    req.log.error({ err }, "request failed");
    return send(500, problem(500, "internal", "Internal server error"));
  });
}

/**
 * A 404 problem document for a request no route matched. The web console's single-page fallback
 * (`consoleFallback()`, null while the console is off or not yet registered) answers browser
 * navigations outside the API first.
 */
export function registerNotFoundHandler(app: FastifyInstance, consoleFallback: () => ConsoleFallback | null): void {
  app.setNotFoundHandler(async (req, reply) => {
    const fallback = consoleFallback();
    if (fallback && (await fallback(req, reply))) return reply;
    return reply
      .code(404)
      .type("application/problem+json")
      .send(problem(404, "not_found", `no route for ${req.method} ${req.url.split("?")[0]}`));
  });
}
