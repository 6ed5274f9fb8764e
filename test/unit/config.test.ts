import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Config, ConfigError, DEFAULTS, loadConfig } from "../../src/config.ts";

function throwsConfigError(env: Record<string, string>, variable: string, overrides: Partial<Config> = {}): void {
  assert.throws(
    () => loadConfig(env, overrides),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
      assert.ok(e.message.includes(variable), `message should name ${variable}: ${e.message}`);
      return true;
    },
    JSON.stringify(env),
  );
}

describe("loadConfig", () => {
  it("returns the documented defaults for an empty environment", () => {
    const c = loadConfig({});
    assert.deepEqual(
      { ...c, retryScheduleMs: [...c.retryScheduleMs] },
      {
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
        maxPayloadBytes: 262_144,
        maxBodyBytes: 10 * 1024 * 1024,
        maxBatchEvents: 1000,
        retryScheduleMs: [5000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000],
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
      },
    );
  });

  it("refuses bad circuit, operator-tenant and metrics settings by name", () => {
    assert.throws(() => loadConfig({ TOCSIN_CIRCUIT_FAILURE_RATE: "101" }), /TOCSIN_CIRCUIT_FAILURE_RATE must be between 0 and 100/);
    assert.throws(() => loadConfig({ TOCSIN_CIRCUIT_SAMPLE: "1" }), /TOCSIN_CIRCUIT_SAMPLE/);
    assert.throws(
      () => loadConfig({ TOCSIN_CIRCUIT_COOLDOWN: "1m", TOCSIN_CIRCUIT_MAX_COOLDOWN: "30s" }),
      /TOCSIN_CIRCUIT_MAX_COOLDOWN .* must be at least TOCSIN_CIRCUIT_COOLDOWN/,
    );
    assert.throws(() => loadConfig({ TOCSIN_OPS_TENANT: "has space" }), /TOCSIN_OPS_TENANT/);
    assert.throws(
      () => loadConfig({ TOCSIN_CONCURRENCY: "8", TOCSIN_TENANT_CONCURRENCY: "9" }),
      /TOCSIN_TENANT_CONCURRENCY \(9\) cannot exceed TOCSIN_CONCURRENCY \(8\)/,
    );
    // Unset, it follows the concurrency: half, rounded up.
    assert.equal(loadConfig({ TOCSIN_CONCURRENCY: "9" }).tenantConcurrency, 5);
    assert.equal(loadConfig({}, { concurrency: 10 }).tenantConcurrency, 5);
    assert.throws(() => loadConfig({ TOCSIN_METRICS_TOP_ENDPOINTS: "101" }), /TOCSIN_METRICS_TOP_ENDPOINTS/);
    assert.throws(() => loadConfig({ TOCSIN_METRICS_ENDPOINTS: Array.from({ length: 101 }, (_, i) => `ep_${i}`).join(",") }), /at most 100/);
  });

  it("selects PostgreSQL with a postgres:// TOCSIN_DATABASE_URL and rejects other schemes", () => {
    assert.equal(loadConfig({ TOCSIN_DATABASE_URL: "postgres://u@h:5432/db" }).databaseUrl, "postgres://u@h:5432/db");
    assert.equal(loadConfig({ TOCSIN_DATABASE_URL: "postgresql://h/db" }).databaseUrl, "postgresql://h/db");
    assert.throws(() => loadConfig({ TOCSIN_DATABASE_URL: "mysql://h/db" }), /TOCSIN_DATABASE_URL/);
    assert.equal(loadConfig({ TOCSIN_RETENTION: "7d" }).retentionMs, 7 * 86_400_000);
    assert.throws(() => loadConfig({ TOCSIN_RETENTION: "1m" }), /TOCSIN_RETENTION must be at least/);
  });

  it("ignores variables that are not TOCSIN_* and treats empty values as unset", () => {
    const env: Record<string, string> = { PORT: "1", HOST: "0.0.0.0", TOCSIN_UNKNOWN: "x" };
    for (const name of [
      "TOCSIN_DATA_DIR",
      "TOCSIN_HOST",
      "TOCSIN_PORT",
      "TOCSIN_API_KEY",
      "TOCSIN_MASTER_KEY",
      "TOCSIN_ALLOW_PRIVATE_NETWORKS",
      "TOCSIN_MAX_PAYLOAD_BYTES",
      "TOCSIN_RETRY_SCHEDULE",
      "TOCSIN_RETRY_JITTER",
      "TOCSIN_RETRY_AFTER_MAX",
      "TOCSIN_CONNECT_TIMEOUT",
      "TOCSIN_LEASE",
      "TOCSIN_SQLITE_SYNCHRONOUS",
      "TOCSIN_LOG_LEVEL",
      "TOCSIN_CONSOLE",
      "TOCSIN_CONSOLE_DIR",
      "TOCSIN_CONSOLE_FRAME_ANCESTORS",
      "TOCSIN_PUBLIC_URL",
    ]) {
      env[name] = "";
    }
    assert.deepEqual({ ...loadConfig(env) }, { ...loadConfig({}) });
  });

  it("reads each TOCSIN_* variable into its setting", () => {
    const cases: [string, string, keyof Config, unknown][] = [
      ["TOCSIN_DATA_DIR", "/var/lib/tocsin", "dataDir", "/var/lib/tocsin"],
      ["TOCSIN_HOST", "0.0.0.0", "host", "0.0.0.0"],
      ["TOCSIN_PORT", "8080", "port", 8080],
      ["TOCSIN_PORT", "0", "port", 0],
      ["TOCSIN_PORT", "65535", "port", 65535],
      ["TOCSIN_PORT", " 8081 ", "port", 8081],
      ["TOCSIN_API_KEY", "k_secret", "apiKey", "k_secret"],
      ["TOCSIN_MASTER_KEY", "ab".repeat(32), "masterKey", "ab".repeat(32)],
      ["TOCSIN_MAX_PAYLOAD_BYTES", "1024", "maxPayloadBytes", 1024],
      ["TOCSIN_MAX_BODY_BYTES", "2048", "maxBodyBytes", 2048],
      ["TOCSIN_MAX_BATCH_EVENTS", "50", "maxBatchEvents", 50],
      ["TOCSIN_RETRY_SCHEDULE", "1s, 10s,1m", "retryScheduleMs", [1000, 10_000, 60_000]],
      ["TOCSIN_RETRY_JITTER", "0", "retryJitter", 0],
      ["TOCSIN_RETRY_JITTER", "0.25", "retryJitter", 0.25],
      ["TOCSIN_RETRY_JITTER", "1", "retryJitter", 1],
      ["TOCSIN_RETRY_AFTER_MAX", "15m", "retryAfterMaxMs", 900_000],
      ["TOCSIN_RETRY_AFTER_MAX", "0", "retryAfterMaxMs", 0],
      ["TOCSIN_CONCURRENCY", "4", "concurrency", 4],
      ["TOCSIN_ENDPOINT_CONCURRENCY", "2", "endpointConcurrency", 2],
      ["TOCSIN_TRANSFORM_PROCESSES", "4", "transformProcesses", 4],
      ["TOCSIN_TENANT_CONCURRENCY", "32", "tenantConcurrency", 32],
      ["TOCSIN_CONNECT_TIMEOUT", "3s", "connectTimeoutMs", 3000],
      ["TOCSIN_CONNECT_TIMEOUT", "2500", "connectTimeoutMs", 2500],
      ["TOCSIN_REQUEST_TIMEOUT", "30s", "requestTimeoutMs", 30_000],
      ["TOCSIN_LEASE", "5m", "leaseMs", 300_000],
      ["TOCSIN_POLL_INTERVAL", "100ms", "pollIntervalMs", 100],
      ["TOCSIN_POLL_INTERVAL", "2s", "pollIntervalMs", 2000],
      ["TOCSIN_SQLITE_SYNCHRONOUS", "FULL", "sqliteSynchronous", "FULL"],
      ["TOCSIN_SQLITE_SYNCHRONOUS", "full", "sqliteSynchronous", "FULL"],
      ["TOCSIN_SQLITE_SYNCHRONOUS", "normal", "sqliteSynchronous", "NORMAL"],
      ["TOCSIN_LOG_LEVEL", "debug", "logLevel", "debug"],
      ["TOCSIN_LOG_LEVEL", "silent", "logLevel", "silent"],
      ["TOCSIN_CIRCUIT_FAILURES", "0", "circuitFailures", 0],
      ["TOCSIN_CIRCUIT_FAILURE_RATE", "75", "circuitFailureRatePct", 75],
      ["TOCSIN_CIRCUIT_SAMPLE", "50", "circuitSample", 50],
      ["TOCSIN_CIRCUIT_WINDOW", "1m", "circuitWindowMs", 60_000],
      ["TOCSIN_CIRCUIT_COOLDOWN", "5s", "circuitCooldownMs", 5000],
      ["TOCSIN_CIRCUIT_MAX_COOLDOWN", "2h", "circuitMaxCooldownMs", 7_200_000],
      ["TOCSIN_DISABLE_AFTER", "0", "disableAfterMs", 0],
      ["TOCSIN_DISABLE_AFTER", "3d", "disableAfterMs", 3 * 86_400_000],
      ["TOCSIN_OPS_TENANT", "operator", "opsTenant", "operator"],
      ["TOCSIN_METRICS_TOKEN", "scrape-me", "metricsToken", "scrape-me"],
      ["TOCSIN_METRICS_ENDPOINTS", "ep_a, ep_b,ep_a", "metricsEndpoints", ["ep_a", "ep_b"]],
      ["TOCSIN_METRICS_TOP_ENDPOINTS", "10", "metricsTopEndpoints", 10],
      ["TOCSIN_METRICS_PORT", "9464", "metricsPort", 9464],
      ["TOCSIN_CONSOLE", "false", "consoleEnabled", false],
      ["TOCSIN_CONSOLE", "on", "consoleEnabled", true],
      ["TOCSIN_CONSOLE_DIR", "/srv/tocsin-console", "consoleDir", "/srv/tocsin-console"],
      ["TOCSIN_CONSOLE_FRAME_ANCESTORS", "https://app.example.com", "consoleFrameAncestors", ["https://app.example.com"]],
      ["TOCSIN_PUBLIC_URL", "https://Hooks.Example.com/", "publicUrl", "https://hooks.example.com"],
      ["TOCSIN_PUBLIC_URL", "http://10.0.0.5:8080", "publicUrl", "http://10.0.0.5:8080"],
    ];
    for (const [name, value, key, expected] of cases) {
      const c = loadConfig({ [name]: value });
      assert.deepEqual(Array.isArray(c[key]) ? [...(c[key] as number[])] : c[key], expected, `${name}=${value}`);
    }
  });

  it("takes TOCSIN_PUBLIC_URL as an origin only, refusing paths, queries, credentials and other schemes", () => {
    assert.equal(loadConfig({}).publicUrl, null);
    assert.equal(loadConfig({ TOCSIN_PUBLIC_URL: " https://hooks.example.com:443 " }).publicUrl, "https://hooks.example.com");
    for (const bad of [
      "hooks.example.com",
      "ftp://hooks.example.com",
      "https://hooks.example.com/tocsin",
      "https://hooks.example.com/?a=1",
      "https://u:p@hooks.example.com",
      "https://hooks.example.com/#x",
    ]) {
      throwsConfigError({ TOCSIN_PUBLIC_URL: bad }, "TOCSIN_PUBLIC_URL");
    }
  });

  it("reads the API's client limits: failed authentications, trusted proxies and request timeouts", () => {
    assert.equal(loadConfig({ TOCSIN_AUTH_FAILURE_LIMIT: "0" }).authFailuresPerMinute, 0);
    assert.deepEqual(loadConfig({ TOCSIN_TRUST_PROXY: "loopback, 10.0.0.0/8,::1" }).trustProxy, ["loopback", "10.0.0.0/8", "::1"]);
    assert.equal(loadConfig({ TOCSIN_TRUST_PROXY: "2" }).trustProxy, 2);
    assert.equal(loadConfig({ TOCSIN_TRUST_PROXY: "false" }).trustProxy, false);
    for (const bad of ["0", "evil.example", "10.0.0.0/33", "10.0.0.1/8/1", "::1/129"]) throwsConfigError({ TOCSIN_TRUST_PROXY: bad }, "TOCSIN_TRUST_PROXY");
    const c = loadConfig({ TOCSIN_API_REQUEST_TIMEOUT: "5s", TOCSIN_API_HEADERS_TIMEOUT: "2s" });
    assert.deepEqual([c.apiRequestTimeoutMs, c.apiHeadersTimeoutMs], [5000, 2000]);
    assert.throws(
      () => loadConfig({ TOCSIN_API_REQUEST_TIMEOUT: "5s", TOCSIN_API_HEADERS_TIMEOUT: "6s" }),
      /TOCSIN_API_HEADERS_TIMEOUT .* must not exceed TOCSIN_API_REQUEST_TIMEOUT/,
    );
    for (const id of [".", ".."]) throwsConfigError({ TOCSIN_OPS_TENANT: id }, "TOCSIN_OPS_TENANT");
    assert.equal(loadConfig({ TOCSIN_OPS_TENANT: "..." }).opsTenant, "...");
  });

  it("reads TOCSIN_CONSOLE_FRAME_ANCESTORS as CSP sources, refusing wildcards, schemes and anything that is not an origin", () => {
    const ancestors = (v: string) => [...loadConfig({ TOCSIN_CONSOLE_FRAME_ANCESTORS: v }).consoleFrameAncestors];
    assert.deepEqual(ancestors(""), []);
    assert.deepEqual(ancestors("'none'"), []);
    assert.deepEqual(ancestors("none"), []);
    assert.deepEqual(ancestors("HTTPS://App.Example.com/, https://*.example.org:8443 'self'"), [
      "https://app.example.com",
      "https://*.example.org:8443",
      "'self'",
    ]);
    assert.deepEqual(ancestors("self http://localhost:5173 http://localhost:5173"), ["'self'", "http://localhost:5173"]);
    assert.ok(Object.isFrozen(loadConfig({ TOCSIN_CONSOLE_FRAME_ANCESTORS: "'self'" }).consoleFrameAncestors));
    for (const bad of [
      "*",
      "https:",
      "https://*",
      "app.example.com",
      "ftp://app.example.com",
      "https://app.example.com/path",
      "https://user@app.example.com",
      "https://app.example.com:99999",
      "'none' https://app.example.com",
      "'unsafe-inline'",
      "https://app.example.com;script-src",
      "https://app.example.com\r\nx-injected: 1",
      "https://example.com?q",
    ]) {
      throwsConfigError({ TOCSIN_CONSOLE_FRAME_ANCESTORS: bad }, "TOCSIN_CONSOLE_FRAME_ANCESTORS");
    }
    throwsConfigError(
      { TOCSIN_CONSOLE_FRAME_ANCESTORS: Array.from({ length: 51 }, (_, i) => `https://a${i}.example.com`).join(",") },
      "TOCSIN_CONSOLE_FRAME_ANCESTORS",
    );
  });

  it("reads TOCSIN_ALLOW_PRIVATE_NETWORKS from the usual spellings of true and false", () => {
    for (const v of ["1", "true", "TRUE", "yes", "on", " On "]) {
      assert.equal(loadConfig({ TOCSIN_ALLOW_PRIVATE_NETWORKS: v }).allowPrivateNetworks, true, v);
    }
    for (const v of ["0", "false", "False", "no", "off"]) {
      assert.equal(loadConfig({ TOCSIN_ALLOW_PRIVATE_NETWORKS: v }).allowPrivateNetworks, false, v);
    }
  });

  it("rejects bad values with a ConfigError naming the variable", () => {
    const cases: [string, string][] = [
      ["TOCSIN_PORT", "http"],
      ["TOCSIN_PORT", "-1"],
      ["TOCSIN_PORT", "65536"],
      ["TOCSIN_PORT", "80.5"],
      ["TOCSIN_PORT", "1e3"],
      ["TOCSIN_PORT", " "],
      ["TOCSIN_ALLOW_PRIVATE_NETWORKS", "maybe"],
      ["TOCSIN_ALLOW_PRIVATE_NETWORKS", "2"],
      ["TOCSIN_MAX_PAYLOAD_BYTES", "1023"],
      ["TOCSIN_MAX_PAYLOAD_BYTES", "256kb"],
      ["TOCSIN_MAX_BODY_BYTES", String(1024 * 1024 * 1024 + 1)],
      ["TOCSIN_MAX_BATCH_EVENTS", "0"],
      ["TOCSIN_MAX_BATCH_EVENTS", "100001"],
      ["TOCSIN_RETRY_SCHEDULE", "5s,soon"],
      ["TOCSIN_RETRY_SCHEDULE", "5s,,5m"],
      ["TOCSIN_RETRY_SCHEDULE", "5"],
      ["TOCSIN_RETRY_JITTER", "1.5"],
      ["TOCSIN_RETRY_JITTER", "-0.1"],
      ["TOCSIN_RETRY_JITTER", "lots"],
      ["TOCSIN_RETRY_AFTER_MAX", "an hour"],
      ["TOCSIN_CONCURRENCY", "0"],
      ["TOCSIN_CONCURRENCY", "10001"],
      ["TOCSIN_ENDPOINT_CONCURRENCY", "0"],
      ["TOCSIN_ENDPOINT_CONCURRENCY", "1001"],
      ["TOCSIN_CONNECT_TIMEOUT", "9"],
      ["TOCSIN_CONNECT_TIMEOUT", "9ms"],
      ["TOCSIN_CONNECT_TIMEOUT", "fast"],
      ["TOCSIN_REQUEST_TIMEOUT", "5ms"],
      ["TOCSIN_REQUEST_TIMEOUT", "-5s"],
      ["TOCSIN_LEASE", "999ms"],
      ["TOCSIN_LEASE", "2 minutes"],
      ["TOCSIN_POLL_INTERVAL", "5ms"],
      ["TOCSIN_SQLITE_SYNCHRONOUS", "OFF"],
      ["TOCSIN_SQLITE_SYNCHRONOUS", "EXTRA"],
      ["TOCSIN_LOG_LEVEL", "verbose"],
      ["TOCSIN_LOG_LEVEL", "INFO"],
      ["TOCSIN_CONSOLE", "disabled"],
    ];
    for (const [name, value] of cases) throwsConfigError({ [name]: value }, name);
  });

  it("accepts the smallest allowed values at each bound", () => {
    const c = loadConfig({
      TOCSIN_MAX_PAYLOAD_BYTES: "1024",
      TOCSIN_MAX_BATCH_EVENTS: "1",
      TOCSIN_CONCURRENCY: "1",
      TOCSIN_ENDPOINT_CONCURRENCY: "1",
      TOCSIN_CONNECT_TIMEOUT: "10ms",
      TOCSIN_REQUEST_TIMEOUT: "10",
      TOCSIN_POLL_INTERVAL: "10ms",
      TOCSIN_LEASE: "6s",
    });
    assert.equal(c.connectTimeoutMs, 10);
    assert.equal(c.requestTimeoutMs, 10);
    assert.equal(c.pollIntervalMs, 10);
    assert.equal(c.leaseMs, 6000);
  });

  it("applies overrides after the environment", () => {
    const c = loadConfig({ TOCSIN_PORT: "8080", TOCSIN_HOST: "0.0.0.0", TOCSIN_DATA_DIR: "/env" }, { port: 9090, dataDir: "/flag", host: undefined });
    assert.equal(c.port, 9090);
    assert.equal(c.dataDir, "/flag");
    assert.equal(c.host, "0.0.0.0", "an undefined override leaves the environment's value");
  });

  it("returns a frozen object whose retry schedule is frozen too", () => {
    const c = loadConfig({ TOCSIN_RETRY_SCHEDULE: "1s,2s" });
    assert.ok(Object.isFrozen(c));
    assert.ok(Object.isFrozen(c.retryScheduleMs));
    assert.throws(() => {
      (c as Config).port = 1;
    }, TypeError);
    assert.throws(() => {
      c.retryScheduleMs.push(3000);
    }, TypeError);
    assert.equal(c.port, 3000);
  });

  it("does not share or change DEFAULTS", () => {
    const before = [...DEFAULTS.retryScheduleMs];
    const c = loadConfig({ TOCSIN_RETRY_SCHEDULE: "1s" });
    assert.deepEqual([...c.retryScheduleMs], [1000]);
    assert.deepEqual(DEFAULTS.retryScheduleMs, before);
    assert.notEqual(loadConfig({}).retryScheduleMs, DEFAULTS.retryScheduleMs);
    assert.equal(Object.isFrozen(DEFAULTS.retryScheduleMs), false);
  });

  it("requires the lease to exceed connect plus request timeouts by at least 5 s", () => {
    // Defaults: 30 s + 60 s + 5 s = 95 s.
    assert.equal(loadConfig({ TOCSIN_LEASE: "95s" }).leaseMs, 95_000);
    throwsConfigError({ TOCSIN_LEASE: "94999" }, "TOCSIN_LEASE");
    assert.equal(loadConfig({ TOCSIN_CONNECT_TIMEOUT: "30s", TOCSIN_REQUEST_TIMEOUT: "85s" }).leaseMs, 120_000);
    throwsConfigError({ TOCSIN_CONNECT_TIMEOUT: "30s", TOCSIN_REQUEST_TIMEOUT: "86s" }, "TOCSIN_LEASE");
    throwsConfigError({ TOCSIN_REQUEST_TIMEOUT: "2m" }, "TOCSIN_LEASE");
  });

  it("checks the lease against overridden values too", () => {
    throwsConfigError({}, "TOCSIN_LEASE", { leaseMs: 20_000 });
    throwsConfigError({}, "TOCSIN_LEASE", { requestTimeoutMs: 200_000 });
    assert.equal(loadConfig({ TOCSIN_LEASE: "10s" }, { leaseMs: 100_000 }).leaseMs, 100_000);
  });

  it("reads TOCSIN_ALLOWED_CIDRS and TOCSIN_DNS_SERVERS, refusing malformed entries by name", () => {
    const c = loadConfig({ TOCSIN_ALLOWED_CIDRS: "10.0.0.0/8, fd00::/8", TOCSIN_DNS_SERVERS: "127.0.0.1:5353, 9.9.9.9, [::1]:53" });
    assert.deepEqual(
      c.allowedCidrs.map((x) => `${x.address}/${x.prefix}`),
      ["10.0.0.0/8", "fd00::/8"],
    );
    assert.deepEqual(c.dnsServers, ["127.0.0.1:5353", "9.9.9.9", "[::1]:53"]);
    assert.deepEqual(loadConfig({}).allowedCidrs, []);
    throwsConfigError({ TOCSIN_ALLOWED_CIDRS: "10.0.0.0/99" }, "TOCSIN_ALLOWED_CIDRS");
    throwsConfigError({ TOCSIN_DNS_SERVERS: "dns.google" }, "TOCSIN_DNS_SERVERS");
    assert.equal(loadConfig({ TOCSIN_EGRESS_PROXY: "http://smokescreen.internal:4750" }).egressProxy, "http://smokescreen.internal:4750/");
    throwsConfigError({ TOCSIN_EGRESS_PROXY: "socks5://proxy:1080" }, "TOCSIN_EGRESS_PROXY");
    throwsConfigError({ TOCSIN_EGRESS_PROXY: "not a url" }, "TOCSIN_EGRESS_PROXY");
    throwsConfigError({ TOCSIN_PREVIOUS_MASTER_KEYS: "short" }, "TOCSIN_PREVIOUS_MASTER_KEYS");
    assert.equal(loadConfig({ TOCSIN_PREVIOUS_MASTER_KEYS: `${"ab".repeat(32)}, ${"cd".repeat(32)}` }).previousMasterKeys.length, 2);
  });

  it("reads TOCSIN_PROXIES as name=URL pairs and never repeats a URL or its password in an error", () => {
    const c = loadConfig({ TOCSIN_PROXIES: " eu-static=http://user:p%2Cw@10.0.0.5:3128 , us-static=https://10.0.1.5:3128" });
    assert.deepEqual(c.proxies, [
      { name: "eu-static", url: "http://user:p%2Cw@10.0.0.5:3128/" },
      { name: "us-static", url: "https://10.0.1.5:3128/" },
    ]);
    assert.deepEqual(loadConfig({}).proxies, []);
    assert.deepEqual(loadConfig({ TOCSIN_PROXIES: " " }).proxies, []);
    const refused = (value: string, says: RegExp) =>
      assert.throws(
        () => loadConfig({ TOCSIN_PROXIES: value }),
        (e: unknown) => {
          assert.ok(e instanceof ConfigError, String(e));
          assert.match(e.message, /^TOCSIN_PROXIES: /);
          assert.match(e.message, says);
          assert.doesNotMatch(e.message, /s3cret/, "the password stays out of the message");
          return true;
        },
      );
    refused("socks=socks5://u:s3cret@proxy:1080", /socks must be an http:\/\/ or https:\/\/ proxy URL/);
    refused("eu=http://u:s3cret@proxy:3128/path", /eu's URL must have no path/);
    refused("http://u:s3cret@proxy:3128", /entry 1 must be name=URL/);
    refused("eu=http://a:3128,EU Static=http://u:s3cret@b:3128", /entry 2 must be name=URL/);
    refused("eu=http://u:s3cret@a:3128,eu=http://b:3128", /eu is named twice/);
    refused("eu=not a url s3cret", /eu must be an http/);
  });
});
