import { rootCertificates } from "node:tls";
import { type Dispatcher, Pool } from "undici";
import type { ErrorClass, SendResult } from "../core/types.ts";
import type { DestinationPolicy } from "../core/addresses.ts";
import { type OnBlocked, createGuardedLookup } from "./guarded-lookup.ts";
import { type OAuth2Client, type SharedTokens, createTokenCache, sendWithToken } from "./oauth2.ts";
import { type ProxyTarget, createProxyAgent, createTargetCheck, hideProxySecrets, proxyTargets } from "./proxies.ts";
import type { Transport } from "./transport.ts";

export type { Transport } from "./transport.ts";

export interface SenderOptions {
  /** Where requests may go; checked on the literal host and on every address a name resolves to. */
  policy: DestinationPolicy;
  /** Resolve names with these DNS servers instead of the system resolver (TOCSIN_DNS_SERVERS). */
  dnsServers?: readonly string[];
  /**
   * Send every request through this HTTP(S) proxy with CONNECT (TOCSIN_EGRESS_PROXY), e.g.
   * Smokescreen. The proxy resolves names, so it enforces the destination rules for them; literal
   * addresses are still checked here.
   */
  egressProxy?: string | null;
  /**
   * Proxies endpoints pick by name (TOCSIN_PROXIES, an endpoint's `proxy`). Unlike
   * TOCSIN_EGRESS_PROXY, the target is still resolved and checked here before the proxy is asked
   * to connect to it.
   */
  proxies?: readonly { name: string; url: string }[];
  /**
   * Connections per endpoint (its pools are its own): the per-endpoint concurrency cap, so the
   * requests a claim starts never wait for a connection, and no endpoint holds another's.
   */
  connectionsPerEndpoint: number;
  /** Pools kept open; past this many, pools with nothing in flight are closed. Default 10,000. */
  maxPools?: number;
  /** Told of each name refused because it resolves only to refused addresses, with those addresses (for the operator's log). */
  onBlocked?: OnBlocked;
  /** Response bytes kept for the attempt log; reading stops there. */
  maxResponseBytes: number;
  /** Where OAuth2 tokens are shared with the other processes on the database (oauth2.ts storeSharedTokens); omitted: each process fetches its own. */
  sharedTokens?: SharedTokens;
  now: () => number;
}

export interface OutgoingRequest {
  url: string;
  method: "POST" | "PUT" | "GET";
  headers: Record<string, string>;
  body: string | null;
  transport: Transport;
  /** auth.type oauth2: the sender fetches (or reuses) the endpoint's token and sends it as a bearer token. */
  oauth2?: OAuth2Client | null;
}

export interface Sender {
  send(req: OutgoingRequest): Promise<SendResult>;
  close(): Promise<void>;
}

export interface PooledSender extends Sender {
  /** Connection pools open now. */
  openPools(): number;
}

// Idle keep-alive sockets are gone after a few seconds (undici's keepAliveTimeout), so an idle
// pool keeps nothing worth having for long; with a pool per endpoint, closing them bounds memory.
const POOL_IDLE_MS = 60_000;
const SWEEP_MS = 15_000;
const MAX_POOLS = 10_000;

interface PoolEntry {
  pool: Dispatcher;
  lastUsed: number;
  /** Requests in flight through it: a pool is closed only when none are. */
  active: number;
}

/**
 * Sends attempts through keep-alive undici Pools, one per endpoint, origin and transport settings
 * (with a proxy, one ProxyAgent per endpoint and transport), each with the endpoint's concurrency
 * cap in connections: an endpoint that hangs holds its own connections and never another
 * endpoint's, whoever's it is and whatever host it shares. Failures become data, never throws.
 */
export function createSender(opts: SenderOptions): PooledSender {
  const pools = new Map<string, PoolEntry>();
  const maxPools = opts.maxPools ?? MAX_POOLS;
  const lookup = opts.egressProxy || (opts.policy.open && !opts.dnsServers?.length) ? null : createGuardedLookup(opts.policy, opts.dnsServers, opts.onBlocked);
  const proxies = proxyTargets(opts.proxies);
  const checkTarget = proxies.size ? createTargetCheck(opts.policy, opts.dnsServers, opts.onBlocked) : null;
  /** Closes the pools with nothing in flight that were last used before `cutoff`. */
  const closeIdle = (cutoff: number) => {
    for (const [k, p] of pools) {
      if (p.active === 0 && p.lastUsed < cutoff) {
        pools.delete(k);
        void p.pool.close();
      }
    }
  };
  const sweep = setInterval(() => closeIdle(opts.now() - POOL_IDLE_MS), SWEEP_MS);
  sweep.unref();

  function poolFor(url: URL, t: Transport, named: ProxyTarget | undefined): PoolEntry {
    const proxy = named ? named.url : opts.egressProxy;
    // Through a proxy one agent serves an endpoint's every origin (a pool per origin inside it); otherwise one pool per origin.
    const k = named
      ? `${t.endpointId} proxy=${t.proxy} ${t.poolKey}`
      : proxy
        ? `${t.endpointId} proxy ${t.poolKey}`
        : `${t.endpointId} ${url.origin} ${t.poolKey}`;
    let p = pools.get(k);
    if (!p) {
      // Many endpoints in use at once: close every idle pool rather than grow without bound.
      if (pools.size >= maxPools) closeIdle(Infinity);
      const tls = url.protocol === "https:" || Boolean(proxy);
      const targetTls = {
        ...(tls && t.cert && t.key ? { cert: t.cert, key: t.key } : {}),
        // `ca` replaces the default roots in Node, so the extra bundle is added to them.
        ...(tls && t.ca ? { ca: [...rootCertificates, t.ca] } : {}),
        ...(tls && t.skipVerify ? { rejectUnauthorized: false } : {}),
      };
      const common = { connections: opts.connectionsPerEndpoint, pipelining: 1, headersTimeout: t.requestTimeoutMs, bodyTimeout: t.requestTimeoutMs };
      // A named proxy has the target checked here before the tunnel is asked for; TOCSIN_EGRESS_PROXY leaves that to the proxy.
      const pool: Dispatcher = proxy
        ? createProxyAgent({
            uri: proxy,
            connections: opts.connectionsPerEndpoint,
            headersTimeout: t.requestTimeoutMs,
            bodyTimeout: t.requestTimeoutMs,
            connectTimeoutMs: t.connectTimeoutMs,
            requestTls: targetTls,
            check: named ? checkTarget : null,
          })
        : new Pool(url.origin, { ...common, connect: { timeout: t.connectTimeoutMs, ...(lookup ? { lookup } : {}), ...targetTls } });
      p = { pool, lastUsed: 0, active: 0 };
      pools.set(k, p);
    }
    p.lastUsed = opts.now();
    return p;
  }

  // OAuth2 tokens per endpoint, fetched through this sender (same guard, pools and timeouts).
  const tokens = createTokenCache((r) => sender.send(r), opts.now, opts.sharedTokens);

  const sender: PooledSender = {
    async send(req) {
      if (req.oauth2) return sendWithToken((r) => sender.send(r), tokens, req, req.oauth2, opts.now);
      const startedAt = opts.now();
      const started = performance.now();
      const fail = (errorClass: ErrorClass, errorMessage: string): SendResult => ({
        startedAt,
        durationMs: Math.round(performance.now() - started),
        statusCode: null,
        headers: null,
        body: null,
        errorClass,
        errorMessage,
      });
      let url: URL;
      try {
        url = new URL(req.url);
      } catch {
        return fail("connect", "invalid URL");
      }
      const refused = opts.policy.refuseLiteral(url.hostname);
      if (refused) return fail("blocked_destination", refused);
      // An endpoint's own proxy; one the configuration no longer names fails rather than going another way.
      const named = req.transport.proxy ? proxies.get(req.transport.proxy) : undefined;
      if (req.transport.proxy && !named) return fail("connect", `proxy ${JSON.stringify(req.transport.proxy)} is not configured (TOCSIN_PROXIES)`);
      const entry = poolFor(url, req.transport, named);
      entry.active++;
      try {
        const res = await entry.pool.request({
          origin: url.origin,
          path: url.pathname + url.search,
          method: req.method,
          headers: req.headers,
          body: req.body,
          headersTimeout: req.transport.requestTimeoutMs,
          bodyTimeout: req.transport.requestTimeoutMs,
        });
        const chunks: Buffer[] = [];
        let size = 0;
        // bodyTimeout bounds the gap between chunks; this bounds the whole attempt, so a receiver
        // trickling its body cannot hold the delivery past connect + request timeouts (the lease).
        const deadline = started + req.transport.connectTimeoutMs + req.transport.requestTimeoutMs;
        for await (const chunk of res.body) {
          if (performance.now() > deadline) {
            res.body.destroy();
            return fail("timeout_request", `the response body was still arriving after ${req.transport.connectTimeoutMs + req.transport.requestTimeoutMs} ms`);
          }
          const buf = chunk as Buffer;
          const room = opts.maxResponseBytes - size;
          if (buf.length >= room) {
            chunks.push(buf.subarray(0, room));
            size += room;
            res.body.destroy();
            break;
          }
          chunks.push(buf);
          size += buf.length;
        }
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) {
          if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(", ") : v;
        }
        return {
          startedAt,
          durationMs: Math.round(performance.now() - started),
          statusCode: res.statusCode,
          headers,
          body: Buffer.concat(chunks, size).toString("utf8"),
          errorClass: res.statusCode >= 200 && res.statusCode < 300 ? null : "http_status",
          errorMessage: res.statusCode >= 200 && res.statusCode < 300 ? null : `HTTP ${res.statusCode}`,
        };
      } catch (e) {
        const [errorClass, message] = classifyError(e);
        return fail(errorClass, hideProxySecrets(message, named));
      } finally {
        entry.active--;
        entry.lastUsed = opts.now();
      }
    },
    openPools: () => pools.size,
    async close() {
      clearInterval(sweep);
      await Promise.all([...pools.values()].map((p) => p.pool.close()));
      pools.clear();
    },
  };
  return sender;
}

/** Maps a network or undici error to the attempt log's error class. */
export function classifyError(e: unknown): [ErrorClass, string] {
  let err = e as { code?: string; message?: string; cause?: unknown } | undefined;
  // undici wraps the socket error; the root cause carries the useful code.
  for (let i = 0; i < 3 && err && !err.code && err.cause; i++) err = err.cause as typeof err;
  const code = err?.code ?? "";
  const message = `${code ? `${code}: ` : ""}${err?.message ?? String(e)}`.slice(0, 500);
  if (code === "ETOCSIN_BLOCKED") return ["blocked_destination", message];
  if (code === "UND_ERR_CONNECT_TIMEOUT" || code === "ETIMEDOUT") return ["timeout_connect", message];
  if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") return ["timeout_request", message];
  if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_NONAME" || code === "EAI_FAIL") return ["dns", message];
  if (/^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_OSSL|HOSTNAME_MISMATCH)/.test(code) || code === "EPROTO") {
    return ["tls", message];
  }
  return ["connect", message];
}
