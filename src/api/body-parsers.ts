import type { FastifyInstance } from "fastify";
import { ApiError, coerceError } from "../core/errors.ts";
import { jsonDepth, parseJsonKeepingSource } from "../core/json.ts";
import { findInvalidUtf8 } from "../core/utf8.ts";

declare module "fastify" {
  interface FastifyContextConfig {
    /** Parse this route's JSON body keeping number source text (event payloads). */
    rawNumbers?: boolean;
    /** An action whose body is optional: no body, or an empty one, means `{}`. */
    optionalBody?: boolean;
  }
}

/** Deeper JSON is refused: nothing legitimate nests this far, and recursion in parsers and serialisers must stay bounded. */
export const MAX_JSON_DEPTH = 100;

/**
 * The only bodies the API reads: JSON, as application/json or application/merge-patch+json. Any
 * other media type is refused (415, from the error handler), as is JSON that is empty where a body
 * is required, malformed, or nested deeper than MAX_JSON_DEPTH (400 invalid_json).
 */
export function registerBodyParsers(app: FastifyInstance): void {
  const defaultJson = app.getDefaultJsonParser("error", "error");
  const parseJson = (
    req: { is404: boolean; routeOptions: { config: { rawNumbers?: boolean; optionalBody?: boolean } } },
    bytes: Buffer,
    done: (err: Error | null, body?: unknown) => void,
  ) => {
    // No route matched: the answer is a 404 whatever the body holds.
    if (req.is404) return done(null, undefined);
    // JSON between systems is UTF-8 (RFC 8259 §8.1). Decoding anything else would replace bytes
    // with U+FFFD, and the event delivered would not be the one acknowledged: refuse it instead.
    const bad = findInvalidUtf8(bytes);
    if (bad) {
      const byte = `0x${bad.byte.toString(16).toUpperCase().padStart(2, "0")}`;
      return done(
        new ApiError(
          400,
          "invalid_json",
          `the request body is not UTF-8: at byte ${bad.offset} (${byte}), ${bad.reason}; JSON must be sent as UTF-8 (RFC 8259)`,
        ),
      );
    }
    const body = bytes.toString("utf8");
    if (body === "") {
      if (req.routeOptions.config.optionalBody) return done(null, {});
      return done(new ApiError(400, "invalid_json", "the request body is empty; send a JSON document"));
    }
    if (jsonDepth(body) > MAX_JSON_DEPTH) {
      return done(new ApiError(400, "invalid_json", `the request body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep`));
    }
    if (req.routeOptions.config.rawNumbers) {
      try {
        return done(null, parseJsonKeepingSource(body));
      } catch (e) {
        return done(new ApiError(400, "invalid_json", `the request body is not valid JSON: ${coerceError(e).message}`));
      }
    }
    void defaultJson(req as never, body, (err, value) => {
      if (err) return done(new ApiError(400, "invalid_json", `the request body is not valid JSON: ${err.message}`));
      done(null, value);
    });
  };
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(["application/json", "application/merge-patch+json"], { parseAs: "buffer" }, parseJson);
}
