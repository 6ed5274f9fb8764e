import { readFile, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import { problem } from "./problem.ts";

/** The console as `npm run build:web` writes it, found from this file rather than the working directory. */
export const BUILT_CONSOLE_DIR = fileURLToPath(new URL("../../web/dist/", import.meta.url));

export interface ConsoleOptions {
  /** The built console: index.html, assets/ and the files Vite copies from web/public. */
  dir: string;
  /** CSP frame-ancestors sources for the portal pages; [] is 'none'. */
  frameAncestors: readonly string[];
  logger: Logger;
}

/** Answers a request no route matched with the console's index.html, when it should; false otherwise. */
export type ConsoleFallback = (req: FastifyRequest, reply: FastifyReply) => Promise<boolean>;

/**
 * Paths that belong to the API and the operators' probes: the single-page fallback never answers
 * them, so an unknown /v1 path keeps its JSON 404 and a missing asset is a 404, not a page. Matched
 * on the decoded path, and `/v1` as a prefix.
 */
const RESERVED = /^\/(?:v1|(?:healthz|readyz|metrics|openapi\.json|assets)(?:\/|$))/;

/** A file at the top of the built folder (favicon.svg, robots.txt): one plain segment, no dotfiles. */
const TOP_LEVEL_FILE = /^\/([A-Za-z0-9_-][A-Za-z0-9._-]*\.[A-Za-z0-9]+)$/;

/** Vite names every file under assets/ by a hash of its content, so it may be cached for good. */
const ASSET_MAX_AGE_S = 365 * 86_400;

/**
 * Nothing but the console's own files: no inline script or style element, no plugins, the API on
 * the same origin. `data:` images and fonts are what Vite inlines for small files.
 */
function contentSecurityPolicy(frameAncestors: readonly string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    `frame-ancestors ${frameAncestors.length ? frameAncestors.join(" ") : "'none'"}`,
  ].join("; ");
}

const isPortal = (path: string) => path === "/portal" || path.startsWith("/portal/");

/** The request's path, percent-decoded as the router decodes it (`/v%31/x` is under /v1 too). */
function pathOf(req: FastifyRequest): string {
  const q = req.url.indexOf("?");
  const raw = q === -1 ? req.url : req.url.slice(0, q);
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** Whether the Accept header names text/html (a browser navigating), not merely `*` / `*`. */
function acceptsHtml(req: FastifyRequest): boolean {
  const accept = req.headers.accept;
  if (!accept) return false;
  return accept.split(",").some((part) => {
    const [type, ...params] = part.split(";").map((x) => x.trim().toLowerCase());
    return type === "text/html" && !params.some((p) => /^q=0(?:\.0*)?$/.test(p));
  });
}

/**
 * Serves the web console from `dir` on the API's port: hashed assets under /assets/ (cached for a
 * year), index.html at / and, for browser navigations to any other path outside the API, as the
 * single-page fallback (never cached, so a new build is picked up at once). Nothing here is under
 * /v1, so none of it needs an API key: the app signs in by itself. Returns the fallback, which the
 * server's not-found handler asks first.
 *
 * The portal (/portal) may be framed by `frameAncestors` only; every other page, where operators
 * type admin keys, refuses to be framed. The portal token travels in the URL fragment, which
 * browsers never send; no-referrer keeps the rest of the URL to ourselves too.
 */
export async function registerConsole(app: FastifyInstance, o: ConsoleOptions): Promise<ConsoleFallback> {
  const dir = resolve(o.dir);
  const index = join(dir, "index.html");
  const strict = contentSecurityPolicy([]);
  const portal = contentSecurityPolicy(o.frameAncestors);
  const selfOnly = o.frameAncestors.length === 1 && o.frameAncestors[0] === "'self'";

  const common = (reply: FastifyReply) => reply.header("x-content-type-options", "nosniff").header("referrer-policy", "no-referrer");
  const pageHeaders = (reply: FastifyReply, path: string) => {
    common(reply).header("cache-control", "no-cache");
    if (!isPortal(path) || o.frameAncestors.length === 0) {
      reply.header("content-security-policy", strict).header("x-frame-options", "DENY");
    } else {
      // X-Frame-Options cannot name other origins; browsers that know frame-ancestors ignore it anyway.
      reply.header("content-security-policy", portal);
      if (selfOnly) reply.header("x-frame-options", "SAMEORIGIN");
    }
  };

  const sendIndex = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const path = pathOf(req);
    let html: Buffer;
    try {
      html = await readFile(index);
    } catch (e) {
      if (!["ENOENT", "ENOTDIR", "EISDIR"].includes((e as NodeJS.ErrnoException).code ?? "")) throw e;
      return notBuilt(req, reply, path);
    }
    pageHeaders(reply, path);
    return reply.code(200).type("text/html; charset=utf-8").send(html);
  };

  const notBuilt = (req: FastifyRequest, reply: FastifyReply, path: string): FastifyReply => {
    // The folder is in the server's log (below), not in a page anyone may load.
    const detail = "The web console is not built. Run `npm run build:web` (npm start and npm test run it), then reload.";
    pageHeaders(reply, path);
    reply.code(503).header("retry-after", "60");
    if (!acceptsHtml(req) && /json/i.test(String(req.headers.accept ?? ""))) {
      return reply.type("application/problem+json").send(problem(503, "unavailable", detail));
    }
    const escaped = detail.replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
    return reply
      .type("text/html; charset=utf-8")
      .send(
        `<!doctype html>\n<html lang="en"><meta charset="utf-8"><title>Tocsin: console not built</title>\n<h1>Service Unavailable</h1>\n<p>${escaped}</p>\n</html>\n`,
      );
  };

  try {
    await stat(index);
  } catch {
    o.logger.warn({ dir }, `the web console is not built (no ${index}): / answers 503 until \`npm run build:web\` has run`);
  }

  // The console's files need no key. @fastify/static takes no route config, so its routes are
  // declared public by a hook of their own plugin scope (every route must say who may call it).
  await app.register(async (scope) => {
    scope.addHook("onRoute", (r) => {
      r.config = { ...r.config, public: true };
    });
    await scope.register(fastifyStatic, {
      // reply.sendFile comes from the registration below, outside this scope.
      decorateReply: false,
      root: join(dir, "assets"),
      prefix: "/assets/",
      // The folder may not exist yet: the console can be built while the server runs.
      suppressWarning: true,
      index: false,
      dotfiles: "ignore",
      maxAge: ASSET_MAX_AGE_S * 1000,
      immutable: true,
      setHeaders: (res) => void common(res),
    });
  });

  // reply.sendFile for the top-level files the fallback serves; no routes of its own.
  await app.register(fastifyStatic, { root: dir, serve: false });

  app.get("/", { config: { public: true }, schema: { hide: true } }, sendIndex);

  return async (req, reply) => {
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    const path = pathOf(req);
    if (RESERVED.test(path)) return false;
    const file = TOP_LEVEL_FILE.exec(path)?.[1];
    if (file !== undefined && file !== "index.html") {
      const found = await stat(join(dir, file)).catch(() => null);
      if (found?.isFile()) {
        pageHeaders(reply, path);
        reply.code(200).sendFile(file, dir, { cacheControl: false, dotfiles: "ignore" });
        return true;
      }
    }
    // The answer depends on Accept: the page for a browser, the JSON 404 for anything else.
    reply.header("vary", "accept");
    if (!acceptsHtml(req) && path !== "/index.html") return false;
    await sendIndex(req, reply);
    return true;
  };
}
