import type { Cidr } from "./core/addresses.ts";
import { parseMasterKey } from "./core/secret-box.ts";
import { DEFAULT_SCHEDULE_MS, parseDurationList } from "./core/retry-policy.ts";
import { coerceError } from "./core/errors.ts";
import { ConfigError } from "./config-error.ts";
import { FRAME_ANCESTORS, parseFrameAncestors, parsePublicUrl } from "./config-console.ts";
import { type NamedProxy, parseAllowedCidrs, parseDnsServers, parseEgressProxy, parseProxies } from "./config-network.ts";
import { parseTrustProxy } from "./config-trust-proxy.ts";
import { bool, duration, int } from "./config-values.ts";

export { ConfigError, parseFrameAncestors, parsePublicUrl };

/** Everything Tocsin reads from its environment and flags, parsed once and frozen. */
export interface Config {
  /** Folder holding the SQLite database, the lock, and generated keys. TOCSIN_DATA_DIR. */
  dataDir: string;
  /** PostgreSQL connection URL; when unset, the embedded SQLite database in dataDir. TOCSIN_DATABASE_URL. */
  databaseUrl: string | null;
  /** Connections per process to PostgreSQL. TOCSIN_DATABASE_POOL_SIZE (default 10). */
  databasePoolSize: number;
  /** Events, deliveries and attempts older than this are purged. TOCSIN_RETENTION (default 30d). */
  retentionMs: number;
  /** How often a worker runs the retention purge. TOCSIN_RETENTION_INTERVAL (default 1h). */
  retentionIntervalMs: number;
  /** Listen address. TOCSIN_HOST (default 127.0.0.1). */
  host: string;
  /** Listen port; 0 picks a free one. TOCSIN_PORT (default 3000). */
  port: number;
  /** Admin API key; when unset one is generated into `<dataDir>/admin-key`. TOCSIN_API_KEY. */
  apiKey: string | null;
  /** 32-byte key encrypting secrets at rest; when unset on SQLite, generated into `<dataDir>/master-key`. TOCSIN_MASTER_KEY. */
  masterKey: string | null;
  /**
   * Older master keys that may still have made some ciphertexts (decrypt only), during a
   * master-key rotation. TOCSIN_PREVIOUS_MASTER_KEYS, comma-separated.
   */
  previousMasterKeys: string[];
  /** Allow deliveries to loopback, private and other non-global addresses. TOCSIN_ALLOW_PRIVATE_NETWORKS. */
  allowPrivateNetworks: boolean;
  /** CIDR blocks receivers may be in although they are not global (on-premise). TOCSIN_ALLOWED_CIDRS. */
  allowedCidrs: Cidr[];
  /** Resolve receivers' names with these DNS servers instead of the system resolver. TOCSIN_DNS_SERVERS. */
  dnsServers: string[];
  /** API requests a minute per key before 429 (0: no limit). TOCSIN_RATE_LIMIT (default 6000). */
  rateLimitPerMinute: number;
  /**
   * Failed authentications a minute per client address before they are answered 429 (0: no
   * limit); requests with a valid key are never refused by it. TOCSIN_AUTH_FAILURE_LIMIT (default 30).
   */
  authFailuresPerMinute: number;
  /**
   * Proxies whose X-Forwarded-For is believed when telling client addresses apart: addresses or
   * CIDR blocks (or `loopback`, `linklocal`, `uniquelocal`), or a number of hops. Off (false): the
   * TCP peer is the client. TOCSIN_TRUST_PROXY.
   */
  trustProxy: false | string[] | number;
  /** Time a client has to send a whole API request, headers and body. TOCSIN_API_REQUEST_TIMEOUT (default 30s). */
  apiRequestTimeoutMs: number;
  /** Time a client has to send an API request's headers. TOCSIN_API_HEADERS_TIMEOUT (default 10s). */
  apiHeadersTimeoutMs: number;
  /** Send deliveries, test calls and validation requests through this HTTP(S) proxy (CONNECT). TOCSIN_EGRESS_PROXY. */
  egressProxy: string | null;
  /**
   * Proxies the operator names for endpoints to pick (an endpoint's `proxy`), URLs with their
   * credentials: never logged or shown. TOCSIN_PROXIES.
   */
  proxies: NamedProxy[];
  /** Largest event payload in bytes. TOCSIN_MAX_PAYLOAD_BYTES (default 262144). */
  maxPayloadBytes: number;
  /** Largest request body in bytes (a batch of events). TOCSIN_MAX_BODY_BYTES (default 10 MiB). */
  maxBodyBytes: number;
  /** Largest number of events in one batch. TOCSIN_MAX_BATCH_EVENTS (default 1000). */
  maxBatchEvents: number;
  /** Retry delays after each failed attempt. TOCSIN_RETRY_SCHEDULE (default 5s,5m,30m,2h,5h,10h,10h). */
  retryScheduleMs: number[];
  /** Jitter factor applied to each retry delay. TOCSIN_RETRY_JITTER (default 0.1). */
  retryJitter: number;
  /** Upper bound on a receiver's Retry-After. TOCSIN_RETRY_AFTER_MAX (default 1h). */
  retryAfterMaxMs: number;
  /** Retry budget by age (see RetryPolicy.budgetMs); null: the schedule's shortest span. TOCSIN_RETRY_BUDGET. */
  retryBudgetMs: number | null;
  /** Deliveries in flight per process. TOCSIN_CONCURRENCY (default 128). */
  concurrency: number;
  /** Deliveries in flight per endpoint, across all workers. TOCSIN_ENDPOINT_CONCURRENCY (default 16). */
  endpointConcurrency: number;
  /**
   * Child processes that run endpoints' transforms (JSONata), off the event loop, each with a
   * 100 ms time limit and a 64 MiB heap; one tenant holds at most all but one of them at once.
   * TOCSIN_TRANSFORM_PROCESSES (default 2).
   */
  transformProcesses: number;
  /**
   * Requests in flight per tenant in each worker process (a batch is one), at most
   * TOCSIN_CONCURRENCY: the slots one tenant's slow endpoints cannot take from the others.
   * TOCSIN_TENANT_CONCURRENCY (default half of TOCSIN_CONCURRENCY, rounded up).
   */
  tenantConcurrency: number;
  /**
   * The longest TCP+TLS connect timeout an endpoint may set (`timeouts.connectMs`, default 20 s or
   * this bound if lower). TOCSIN_CONNECT_TIMEOUT (default 30s).
   */
  connectTimeoutMs: number;
  /**
   * The longest response timeout an endpoint may set (`timeouts.requestMs`, default 15 s or this
   * bound if lower). TOCSIN_REQUEST_TIMEOUT (default 60s).
   */
  requestTimeoutMs: number;
  /** How long a claimed delivery belongs to a worker before others may take it. TOCSIN_LEASE (default 2m). */
  leaseMs: number;
  /** Fallback polling interval for due deliveries. TOCSIN_POLL_INTERVAL (default 500ms). */
  pollIntervalMs: number;
  /** SQLite `synchronous`: NORMAL survives a process crash, FULL also survives power loss. TOCSIN_SQLITE_SYNCHRONOUS. */
  sqliteSynchronous: "NORMAL" | "FULL";
  /** The embedded database's size limit in bytes; beyond it writes are refused (503) as on a full disk. TOCSIN_SQLITE_MAX_BYTES (default none). */
  sqliteMaxBytes: number | null;
  /** pino log level. TOCSIN_LOG_LEVEL (default info). */
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** Consecutive failed attempts that open an endpoint's circuit (0: never on this rule). TOCSIN_CIRCUIT_FAILURES (default 10). */
  circuitFailures: number;
  /** Failed share, in percent, of the last `circuitSample` attempts that opens the circuit (0: never on this rule). TOCSIN_CIRCUIT_FAILURE_RATE (default 50). */
  circuitFailureRatePct: number;
  /** How many recent attempts the failure rate is taken over (all within `circuitWindowMs`). TOCSIN_CIRCUIT_SAMPLE (default 20). */
  circuitSample: number;
  /** Attempts older than this do not count towards the failure rate or the success rate. TOCSIN_CIRCUIT_WINDOW (default 5m). */
  circuitWindowMs: number;
  /** First cool-down of an open circuit, doubled after each failed probe. TOCSIN_CIRCUIT_COOLDOWN (default 30s). */
  circuitCooldownMs: number;
  /** Longest cool-down. TOCSIN_CIRCUIT_MAX_COOLDOWN (default 1h). */
  circuitMaxCooldownMs: number;
  /** An endpoint failing without a success for this long is disabled (0: never). TOCSIN_DISABLE_AFTER (default 5d). */
  disableAfterMs: number;
  /** The operator's tenant, which also receives every operational event (tocsin.*). TOCSIN_OPS_TENANT. */
  opsTenant: string | null;
  /** Bearer token GET /metrics requires; unset, /metrics is open. TOCSIN_METRICS_TOKEN. */
  metricsToken: string | null;
  /** Endpoints whose metrics carry an `endpoint` label (opt-in). TOCSIN_METRICS_ENDPOINTS, comma-separated ids. */
  metricsEndpoints: string[];
  /** Also label the N endpoints with the most pending deliveries, at each scrape. TOCSIN_METRICS_TOP_ENDPOINTS (default 0, at most 100). */
  metricsTopEndpoints: number;
  /** A `tocsin worker` serves GET /metrics and /healthz on this port (none when unset). TOCSIN_METRICS_PORT. */
  metricsPort: number | null;
  /** Serve the web console at / on the API port (`serve` and `api`). TOCSIN_CONSOLE (default true). */
  consoleEnabled: boolean;
  /** Folder holding the built console (index.html, assets/); null: the package's web/dist. TOCSIN_CONSOLE_DIR. */
  consoleDir: string | null;
  /**
   * Origins that may embed the customer portal (/portal) in a frame, as CSP frame-ancestors
   * sources; [] is 'none'. The operator console is never framed. TOCSIN_CONSOLE_FRAME_ANCESTORS.
   */
  consoleFrameAncestors: string[];
  /**
   * The origin people reach this server at (`https://hooks.example.com`), when a proxy in front
   * terminates TLS or renames the host: portal session links start with it. null: the request's
   * own scheme and Host header. TOCSIN_PUBLIC_URL.
   */
  publicUrl: string | null;
  /**
   * Diagnostic, off by default: time every SQL statement this process runs and, when it stops,
   * write each statement's count and total time as JSON to this file. Costs a clock read per
   * statement while on. TOCSIN_PROFILE_STATEMENTS.
   */
  profileStatementsFile: string | null;
}

export const DEFAULTS: Config = {
  dataDir: "./data",
  databaseUrl: null,
  databasePoolSize: 10,
  retentionMs: 30 * 86_400_000,
  retentionIntervalMs: 3_600_000,
  host: "127.0.0.1",
  port: 3000,
  apiKey: null,
  masterKey: null,
  previousMasterKeys: [],
  allowPrivateNetworks: false,
  allowedCidrs: [],
  dnsServers: [],
  egressProxy: null,
  proxies: [],
  rateLimitPerMinute: 6000,
  authFailuresPerMinute: 30,
  trustProxy: false,
  apiRequestTimeoutMs: 30_000,
  apiHeadersTimeoutMs: 10_000,
  maxPayloadBytes: 256 * 1024,
  maxBodyBytes: 10 * 1024 * 1024,
  maxBatchEvents: 1000,
  retryScheduleMs: [...DEFAULT_SCHEDULE_MS],
  retryJitter: 0.1,
  retryAfterMaxMs: 3_600_000,
  retryBudgetMs: null,
  concurrency: 128,
  endpointConcurrency: 16,
  transformProcesses: 2,
  tenantConcurrency: 64,
  connectTimeoutMs: 30_000,
  requestTimeoutMs: 60_000,
  leaseMs: 120_000,
  pollIntervalMs: 500,
  sqliteSynchronous: "NORMAL",
  sqliteMaxBytes: null,
  logLevel: "info",
  circuitFailures: 10,
  circuitFailureRatePct: 50,
  circuitSample: 20,
  circuitWindowMs: 300_000,
  circuitCooldownMs: 30_000,
  circuitMaxCooldownMs: 3_600_000,
  disableAfterMs: 5 * 86_400_000,
  opsTenant: null,
  metricsToken: null,
  metricsEndpoints: [],
  metricsTopEndpoints: 0,
  metricsPort: null,
  consoleEnabled: true,
  consoleDir: null,
  consoleFrameAncestors: [],
  publicUrl: null,
  profileStatementsFile: null,
};

/** TOCSIN_PROFILE_STATEMENTS: the file the statement profile is written to, or null (off). */
export function parseProfileStatements(value: string | undefined): string | null {
  const v = value?.trim();
  if (!v) return null;
  // A flag's spelling would otherwise become a file named "1" in the working folder.
  if (/^(1|0|true|false|yes|no|on|off)$/i.test(v)) {
    throw new ConfigError(
      `TOCSIN_PROFILE_STATEMENTS names the JSON file to write the statement profile to, such as /tmp/tocsin-statements.json (unset: off); got "${v}"`,
    );
  }
  return v;
}

/** Parses `TOCSIN_*` variables, then applies `overrides` (from CLI flags), validates and freezes. */
export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Partial<Config> = {}): Readonly<Config> {
  const c: Config = {
    ...DEFAULTS,
    retryScheduleMs: [...DEFAULTS.retryScheduleMs],
    allowedCidrs: [],
    dnsServers: [],
    previousMasterKeys: [],
    metricsEndpoints: [],
    consoleFrameAncestors: [],
  };
  const set = <K extends keyof Config>(k: K, v: Config[K] | undefined) => {
    if (v !== undefined) c[k] = v;
  };
  set("dataDir", env.TOCSIN_DATA_DIR || undefined);
  set("host", env.TOCSIN_HOST || undefined);
  set("databaseUrl", env.TOCSIN_DATABASE_URL || undefined);
  set("databasePoolSize", int(env, "TOCSIN_DATABASE_POOL_SIZE", 1, 1000));
  set("retentionMs", duration(env, "TOCSIN_RETENTION", 3_600_000));
  // Timers overflow past 2^31 - 1 ms (24.8 days).
  set("retentionIntervalMs", duration(env, "TOCSIN_RETENTION_INTERVAL", 1000, 7 * 86_400_000));
  set("port", int(env, "TOCSIN_PORT", 0, 65535));
  set("apiKey", env.TOCSIN_API_KEY || undefined);
  set("masterKey", env.TOCSIN_MASTER_KEY || undefined);
  if (env.TOCSIN_PREVIOUS_MASTER_KEYS) {
    c.previousMasterKeys = env.TOCSIN_PREVIOUS_MASTER_KEYS.split(",")
      .map((k) => k.trim())
      .filter(Boolean);
    for (const k of c.previousMasterKeys) {
      try {
        parseMasterKey(k);
      } catch {
        throw new ConfigError("TOCSIN_PREVIOUS_MASTER_KEYS must hold 32-byte keys (64 hex characters or base64), comma-separated");
      }
    }
  }
  set("allowPrivateNetworks", bool(env, "TOCSIN_ALLOW_PRIVATE_NETWORKS"));
  set("allowedCidrs", parseAllowedCidrs(env.TOCSIN_ALLOWED_CIDRS));
  set("rateLimitPerMinute", int(env, "TOCSIN_RATE_LIMIT", 0, 10_000_000));
  set("authFailuresPerMinute", int(env, "TOCSIN_AUTH_FAILURE_LIMIT", 0, 10_000_000));
  c.trustProxy = parseTrustProxy(env.TOCSIN_TRUST_PROXY);
  set("apiRequestTimeoutMs", duration(env, "TOCSIN_API_REQUEST_TIMEOUT", 100, 3_600_000));
  set("apiHeadersTimeoutMs", duration(env, "TOCSIN_API_HEADERS_TIMEOUT", 100, 3_600_000));
  set("egressProxy", parseEgressProxy(env.TOCSIN_EGRESS_PROXY));
  set("proxies", parseProxies(env.TOCSIN_PROXIES));
  set("dnsServers", parseDnsServers(env.TOCSIN_DNS_SERVERS));
  set("maxPayloadBytes", int(env, "TOCSIN_MAX_PAYLOAD_BYTES", 1024, 64 * 1024 * 1024));
  set("maxBodyBytes", int(env, "TOCSIN_MAX_BODY_BYTES", 1024, 1024 * 1024 * 1024));
  set("maxBatchEvents", int(env, "TOCSIN_MAX_BATCH_EVENTS", 1, 100_000));
  if (env.TOCSIN_RETRY_SCHEDULE?.trim()) {
    try {
      c.retryScheduleMs = parseDurationList(env.TOCSIN_RETRY_SCHEDULE);
    } catch (e) {
      throw new ConfigError(`TOCSIN_RETRY_SCHEDULE: ${coerceError(e).message}`);
    }
  }
  if (env.TOCSIN_RETRY_JITTER?.trim()) {
    const j = Number(env.TOCSIN_RETRY_JITTER);
    if (!(j >= 0 && j <= 1)) throw new ConfigError(`TOCSIN_RETRY_JITTER must be between 0 and 1, got "${env.TOCSIN_RETRY_JITTER}"`);
    c.retryJitter = j;
  }
  set("retryAfterMaxMs", duration(env, "TOCSIN_RETRY_AFTER_MAX", 0, 7 * 86_400_000));
  set("retryBudgetMs", duration(env, "TOCSIN_RETRY_BUDGET", 0, 30 * 86_400_000));
  set("concurrency", int(env, "TOCSIN_CONCURRENCY", 1, 10_000));
  set("endpointConcurrency", int(env, "TOCSIN_ENDPOINT_CONCURRENCY", 1, 1000));
  set("transformProcesses", int(env, "TOCSIN_TRANSFORM_PROCESSES", 1, 64));
  const tenantConcurrency = int(env, "TOCSIN_TENANT_CONCURRENCY", 1, 10_000);
  set("connectTimeoutMs", duration(env, "TOCSIN_CONNECT_TIMEOUT", 10, 3_600_000));
  set("requestTimeoutMs", duration(env, "TOCSIN_REQUEST_TIMEOUT", 10, 3_600_000));
  set("leaseMs", duration(env, "TOCSIN_LEASE", 1000, 7 * 86_400_000));
  set("pollIntervalMs", duration(env, "TOCSIN_POLL_INTERVAL", 10, 3_600_000));
  set("sqliteMaxBytes", int(env, "TOCSIN_SQLITE_MAX_BYTES", 64 * 1024, Number.MAX_SAFE_INTEGER));
  const sync = env.TOCSIN_SQLITE_SYNCHRONOUS?.toUpperCase();
  if (sync) {
    if (sync !== "NORMAL" && sync !== "FULL") throw new ConfigError(`TOCSIN_SQLITE_SYNCHRONOUS must be NORMAL or FULL, got "${sync}"`);
    c.sqliteSynchronous = sync;
  }
  const level = env.TOCSIN_LOG_LEVEL;
  if (level) {
    if (!["fatal", "error", "warn", "info", "debug", "trace", "silent"].includes(level)) {
      throw new ConfigError(`TOCSIN_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got "${level}"`);
    }
    c.logLevel = level as Config["logLevel"];
  }
  set("circuitFailures", int(env, "TOCSIN_CIRCUIT_FAILURES", 0, 100_000));
  set("circuitFailureRatePct", int(env, "TOCSIN_CIRCUIT_FAILURE_RATE", 0, 100));
  set("circuitSample", int(env, "TOCSIN_CIRCUIT_SAMPLE", 2, 100));
  set("circuitWindowMs", duration(env, "TOCSIN_CIRCUIT_WINDOW", 1000, 86_400_000));
  set("circuitCooldownMs", duration(env, "TOCSIN_CIRCUIT_COOLDOWN", 10, 86_400_000));
  set("circuitMaxCooldownMs", duration(env, "TOCSIN_CIRCUIT_MAX_COOLDOWN", 10, 7 * 86_400_000));
  set("disableAfterMs", duration(env, "TOCSIN_DISABLE_AFTER", 0));
  if (env.TOCSIN_OPS_TENANT) {
    if (!/^[A-Za-z0-9._:-]{1,128}$/.test(env.TOCSIN_OPS_TENANT) || /^\.{1,2}$/.test(env.TOCSIN_OPS_TENANT)) {
      throw new ConfigError(
        `TOCSIN_OPS_TENANT must be a tenant id (1-128 letters, digits, '.', '_', ':', '-'; not "." or ".."), got "${env.TOCSIN_OPS_TENANT}"`,
      );
    }
    c.opsTenant = env.TOCSIN_OPS_TENANT;
  }
  set("metricsToken", env.TOCSIN_METRICS_TOKEN || undefined);
  if (env.TOCSIN_METRICS_ENDPOINTS) {
    c.metricsEndpoints = [
      ...new Set(
        env.TOCSIN_METRICS_ENDPOINTS.split(",")
          .map((x) => x.trim())
          .filter(Boolean),
      ),
    ];
    if (c.metricsEndpoints.length > 100)
      throw new ConfigError("TOCSIN_METRICS_ENDPOINTS may name at most 100 endpoints (each adds label values to every endpoint metric)");
  }
  set("metricsTopEndpoints", int(env, "TOCSIN_METRICS_TOP_ENDPOINTS", 0, 100));
  set("metricsPort", int(env, "TOCSIN_METRICS_PORT", 0, 65535));
  set("consoleEnabled", bool(env, "TOCSIN_CONSOLE"));
  set("consoleDir", env.TOCSIN_CONSOLE_DIR || undefined);
  c.consoleFrameAncestors = parseFrameAncestors(env[FRAME_ANCESTORS]);
  c.publicUrl = parsePublicUrl(env.TOCSIN_PUBLIC_URL);
  c.profileStatementsFile = parseProfileStatements(env.TOCSIN_PROFILE_STATEMENTS);
  for (const [k, v] of Object.entries(overrides)) {
    if (v !== undefined) (c as unknown as Record<string, unknown>)[k] = v;
  }
  // Half by default, of the concurrency as finally set: one tenant never takes more than half.
  c.tenantConcurrency = overrides.tenantConcurrency ?? tenantConcurrency ?? Math.ceil(c.concurrency / 2);
  if (c.tenantConcurrency > c.concurrency) {
    throw new ConfigError(
      `TOCSIN_TENANT_CONCURRENCY (${c.tenantConcurrency}) cannot exceed TOCSIN_CONCURRENCY (${c.concurrency}); set them equal to let one tenant use every slot`,
    );
  }
  if (c.leaseMs < c.connectTimeoutMs + c.requestTimeoutMs + 5_000) {
    throw new ConfigError(`TOCSIN_LEASE (${c.leaseMs} ms) must exceed the connect plus request timeouts by at least 5 s, or deliveries could be sent twice`);
  }
  if (c.apiHeadersTimeoutMs > c.apiRequestTimeoutMs) {
    throw new ConfigError(
      `TOCSIN_API_HEADERS_TIMEOUT (${c.apiHeadersTimeoutMs} ms) must not exceed TOCSIN_API_REQUEST_TIMEOUT (${c.apiRequestTimeoutMs} ms): the headers are part of the request`,
    );
  }
  if (c.databaseUrl !== null && !/^postgres(ql)?:\/\//.test(c.databaseUrl)) {
    throw new ConfigError("TOCSIN_DATABASE_URL must be a postgres:// or postgresql:// URL");
  }
  if (c.circuitMaxCooldownMs < c.circuitCooldownMs) {
    throw new ConfigError(`TOCSIN_CIRCUIT_MAX_COOLDOWN (${c.circuitMaxCooldownMs} ms) must be at least TOCSIN_CIRCUIT_COOLDOWN (${c.circuitCooldownMs} ms)`);
  }
  c.retryScheduleMs = Object.freeze(c.retryScheduleMs) as number[];
  c.consoleFrameAncestors = Object.freeze(c.consoleFrameAncestors) as string[];
  return Object.freeze(c);
}
