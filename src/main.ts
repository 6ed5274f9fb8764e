import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { type Logger, pino } from "pino";
import { createMetricsServer } from "./api/metrics-server.ts";
import { createServer } from "./api/server.ts";
import { type Config, ConfigError } from "./config.ts";
import { destinationPolicy, healthPolicy } from "./config-policies.ts";
import { type SecretBox, type SwappableSecretBox, createSecretBox, parseMasterKey, swappable } from "./core/secret-box.ts";
import { type DataDir, generateApiKey, generateMasterKey, openDataDir, readOrCreateKeyFile } from "./data-dir.ts";
import { type ReplayRunner, startReplayRunner } from "./delivery/replayer.ts";
import { startReleaser } from "./delivery/releaser.ts";
import { startRetention } from "./delivery/retention.ts";
import { storeSharedTokens } from "./delivery/oauth2.ts";
import { type Sender, createSender } from "./delivery/sender.ts";
import { type Worker, createWorker } from "./delivery/worker.ts";
import { useTransformProcesses } from "./delivery/transform.ts";
import type { ServiceDeps } from "./services/deps.ts";
import { notReadyReason } from "./services/readiness.ts";
import { resumePendingValidations } from "./services/endpoints.ts";
import { unaddressableTenants } from "./services/tenants.ts";
import { instrumentStore } from "./observability/instrument-store.ts";
import { watchStorage } from "./observability/storage-watch.ts";
import { createMetrics } from "./observability/metrics.ts";
import { initTracing, stopTracing } from "./observability/tracing.ts";
import { type StatementRecorder, createStatementRecorder } from "./observability/statement-profile.ts";
import { MASTER_KEY_CHECK, type ReencryptResult, rotateFileMasterKey } from "./services/master-key.ts";
import { openStore } from "./open-store.ts";
import type { Store } from "./store/store.ts";
import { coerceError } from "./core/errors.ts";
import { retryBudgetMs } from "./core/retry-policy.ts";

export const VERSION: string = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version;

/** `serve`: API and workers in one process; `api` and `worker` run separately on PostgreSQL. */
export type Role = "serve" | "api" | "worker";

export interface RunningApp {
  /** The API's base URL; null for a worker. */
  url: string | null;
  store: Store;
  worker: Worker | null;
  server: FastifyInstance | null;
  logger: Logger;
  /** Drains: stops accepting, finishes or hands back in-flight deliveries, closes the database. */
  stop(): Promise<void>;
}

export function createLogger(config: Readonly<Config>): Logger {
  return pino({ level: config.logLevel, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}

interface Opened {
  store: Store;
  secretBox: SecretBox;
  apiKey: string | null;
  dir: DataDir | null;
  /** Per-statement timing (TOCSIN_PROFILE_STATEMENTS), written out when the process stops. */
  statements: StatementRecorder | null;
}

/** Opens the configured backend with the keys it needs; SQLite takes the data folder's lock. */
async function openBackend(config: Readonly<Config>, role: Role, logger: Logger): Promise<Opened> {
  const statements = config.profileStatementsFile ? createStatementRecorder() : null;
  const observe = statements?.observe;
  if (config.databaseUrl) {
    if (!config.masterKey) {
      throw new ConfigError("TOCSIN_MASTER_KEY is required with PostgreSQL: every process must decrypt the same secrets (openssl rand -base64 32)");
    }
    if (role !== "worker" && !config.apiKey) {
      throw new ConfigError("TOCSIN_API_KEY is required with PostgreSQL: every API process must accept the same key");
    }
    const secretBox = createSecretBox(parseMasterKey(config.masterKey), config.previousMasterKeys.map(parseMasterKey));
    const store = await openStore(config, null, { schema: "check", poolSize: config.databasePoolSize, logger, observe });
    return { store, secretBox, apiKey: config.apiKey, dir: null, statements };
  }
  if (role !== "serve") {
    throw new ConfigError(`'tocsin ${role}' needs PostgreSQL (TOCSIN_DATABASE_URL); on the embedded SQLite database run 'tocsin serve'`);
  }
  const dir = openDataDir(config.dataDir);
  try {
    const apiKey = config.apiKey ?? readOrCreateKeyFile(join(config.dataDir, "admin-key"), generateApiKey).key;
    const masterKeyText = config.masterKey ?? readOrCreateKeyFile(join(config.dataDir, "master-key"), generateMasterKey).key;
    // Swappable: a key kept in the data folder can be rotated by this process while it serves.
    const secretBox = swappable(createSecretBox(parseMasterKey(masterKeyText), previousMasterKeys(config).map(parseMasterKey)));
    const store = await openStore(config, dir, { schema: "check", poolSize: config.databasePoolSize, logger, observe });
    return { store, secretBox, apiKey, dir, statements };
  } catch (e) {
    dir.release();
    throw e;
  }
}

/** Older master keys: TOCSIN_PREVIOUS_MASTER_KEYS, or on SQLite the one a rotation left in data/master-key.previous. */
export function previousMasterKeys(config: Readonly<Config>): string[] {
  const file = join(config.dataDir, "master-key.previous");
  if (config.databaseUrl || config.masterKey || !existsSync(file)) return config.previousMasterKeys;
  return [...config.previousMasterKeys, readFileSync(file, "utf8").trim()];
}

async function checkMasterKey(store: Store, secretBox: SecretBox, config: Readonly<Config>, logger: Logger): Promise<void> {
  const check = await store.getMeta(MASTER_KEY_CHECK);
  if (check === null) await store.setMeta(MASTER_KEY_CHECK, secretBox.checkValue());
  else if (check !== secretBox.checkValue()) {
    // Mid-rotation: the database still answers to a previous key, which this process can read.
    if (previousMasterKeys(config).some((k) => createSecretBox(parseMasterKey(k)).checkValue() === check)) {
      logger.warn("some secrets are still under a previous master key: run 'tocsin keys rotate-master' to re-encrypt them");
      return;
    }
    throw new ConfigError(
      "The master key does not match the one this database was created with: set TOCSIN_MASTER_KEY (or data/master-key) back to the original key.",
    );
  }
}

/** Starts a process in `role`. */
export async function start(config: Readonly<Config>, role: Role, logger: Logger = createLogger(config), now: () => number = Date.now): Promise<RunningApp> {
  const { store: backendStore, secretBox, apiKey, dir, statements } = await openBackend(config, role, logger);
  if (statements)
    logger.info(
      { file: config.profileStatementsFile },
      "TOCSIN_PROFILE_STATEMENTS is on: every SQL statement is timed; the totals are written to the file when the process stops",
    );
  // Workers and services use the instrumented store, which counts ingests and attempt outcomes.
  const metrics = createMetrics({ config, store: backendStore, now, logger });
  // ...and say, once per change, when the database cannot be written (readiness, 503s, metrics).
  const storage = watchStorage(instrumentStore(backendStore, metrics), { logger, registry: metrics.registry, now });
  const store = storage.store;
  let sender: Sender | null = null;
  let worker: Worker | null = null;
  let server: FastifyInstance | null = null;
  let metricsServer: FastifyInstance | null = null;
  let unsubscribe: (() => Promise<void>) | null = null;
  let stopRetention: (() => Promise<void>) | null = null;
  let stopReleaser: (() => Promise<void>) | null = null;
  let replays: ReplayRunner | null = null;
  // Endpoints' transforms run in child processes, started on first use and ended with this process.
  const releaseTransforms = useTransformProcesses(config.transformProcesses);
  let tracing = false;
  const cleanup = async () => {
    await stopRetention?.();
    await stopReleaser?.();
    await replays?.stop();
    await unsubscribe?.();
    await sender?.close();
    await releaseTransforms();
    storage.stop();
    await store.close();
    dir?.release();
    // Exports the spans still buffered.
    if (tracing) await stopTracing();
    if (statements) {
      try {
        statements.writeTo(config.profileStatementsFile!);
        logger.info({ file: config.profileStatementsFile }, "statement profile written");
      } catch (e) {
        logger.warn({ err: coerceError(e).message, file: config.profileStatementsFile }, "could not write the statement profile (TOCSIN_PROFILE_STATEMENTS)");
      }
    }
  };
  try {
    // Off unless the OTEL_* variables ask for it (docs/operating.md, "Tracing").
    tracing = await initTracing(process.env, logger, VERSION);
    await checkMasterKey(store, secretBox, config, logger);
    if (dir) {
      // This process holds the data folder's lock, so every leased delivery belongs to a process that is gone.
      const released = await store.releaseExpiredLeases(Number.MAX_SAFE_INTEGER);
      if (released) logger.info({ count: released }, "resuming deliveries that were in flight when the last process stopped");
    }
    // Workers deliver through it; the API sends test calls and validation requests through it.
    sender = createSender({
      policy: destinationPolicy(config),
      dnsServers: config.dnsServers,
      egressProxy: config.egressProxy,
      proxies: config.proxies,
      // The per-endpoint cap: a claim never starts more requests than an endpoint's pool holds.
      connectionsPerEndpoint: config.endpointConcurrency,
      maxResponseBytes: 16 * 1024,
      // Tenants see only that the name resolves to a private or reserved address; the operator sees which.
      onBlocked: (host, addresses) => logger.warn({ host, addresses }, "refused a connection: the host name resolves only to non-global addresses"),
      // OAuth2 tokens, encrypted, in the meta table: the processes on one database fetch each token once.
      sharedTokens: storeSharedTokens(store, secretBox, logger),
      now,
    });
    const userAgent = `Tocsin/${VERSION}`;
    if (role !== "api") {
      worker = createWorker({
        store,
        sender,
        secretBox,
        logger,
        policy: {
          scheduleMs: config.retryScheduleMs,
          jitter: config.retryJitter,
          retryAfterMinMs: 1000,
          retryAfterMaxMs: config.retryAfterMaxMs,
          budgetMs: config.retryBudgetMs ?? retryBudgetMs(config.retryScheduleMs, config.retryJitter),
        },
        concurrency: config.concurrency,
        endpointConcurrency: config.endpointConcurrency,
        tenantConcurrency: config.tenantConcurrency,
        leaseMs: config.leaseMs,
        pollIntervalMs: config.pollIntervalMs,
        userAgent,
        maxBodyBytes: config.maxPayloadBytes * 4,
        now,
        completion: { health: healthPolicy(config), opsTenant: config.opsTenant },
      });
      unsubscribe = await store.subscribeDue(worker.wake);
      stopRetention = startRetention({ store, logger, retentionMs: config.retentionMs, intervalMs: config.retentionIntervalMs, now });
      replays = startReplayRunner({ store, logger, now, wake: worker.wake });
      stopReleaser = startReleaser({ store, logger, now, wake: worker.wake });
    }
    let url: string | null = null;
    if (role !== "worker") {
      const deps: ServiceDeps = {
        store,
        secretBox,
        config,
        now,
        wake: worker?.wake ?? (() => {}),
        sender,
        logger,
        userAgent,
        nudgeReplays: replays?.nudge,
        storage: storage.health,
      };
      if (dir && !config.masterKey && "swap" in secretBox) {
        // The key lives in the data folder: this process can rotate it online (one rotation at a time).
        const box = secretBox as SwappableSecretBox;
        let running: Promise<ReencryptResult> | null = null;
        deps.rotateMasterKey = () => {
          running ??= rotateFileMasterKey(config.dataDir, store, box, generateMasterKey).finally(() => {
            running = null;
          });
          return running;
        };
        if (existsSync(join(config.dataDir, "master-key.previous"))) {
          logger.info("resuming a master-key rotation that did not finish");
          deps.rotateMasterKey().then(
            (r) => logger.info({ ...r, keyId: box.keyId }, "master-key rotation finished"),
            (e: unknown) => logger.error({ err: e }, "could not finish the master-key rotation; run 'tocsin keys rotate-master' again"),
          );
        }
      }
      server = await createServer({ deps, logger, apiKeys: () => [apiKey!], version: VERSION, metrics });
      for (const id of await unaddressableTenants(deps)) {
        logger.warn(
          { tenant: id },
          `tenant ${JSON.stringify(id)} cannot be reached through the API: URLs fold "." and ".." away. Its data stays; export what you need from the database, then remove it there.`,
        );
      }
      const resumed = await resumePendingValidations(deps);
      if (resumed) logger.info({ count: resumed }, "resuming endpoint validations that had not finished");
      await server.listen({ host: config.host, port: config.port });
      const addr = server.server.address();
      const port = typeof addr === "object" && addr ? addr.port : config.port;
      const host = config.host.includes(":") ? `[${config.host}]` : config.host;
      url = `http://${host === "0.0.0.0" || host === "[::]" ? "127.0.0.1" : host}:${port}`;
    }
    let metricsUrl: string | null = null;
    if (role === "worker" && config.metricsPort !== null) {
      // A worker has no API port: it serves /metrics and /healthz on a port of their own.
      metricsServer = await createMetricsServer({ metrics, token: config.metricsToken, logger, notReady: () => notReadyReason(storage.health, store) });
      metricsUrl = await metricsServer.listen({ host: config.host, port: config.metricsPort });
    }
    worker?.start();

    if (config.allowPrivateNetworks && worker) logger.warn("TOCSIN_ALLOW_PRIVATE_NETWORKS is on: webhooks may reach loopback and private addresses");
    const backend = config.databaseUrl ? "postgres" : "sqlite";
    if (url) {
      const keyFile = join(config.dataDir, "admin-key");
      logger.info(
        { url, role, backend, ...(dir ? { dataDir: config.dataDir } : {}), auth: config.apiKey ? "TOCSIN_API_KEY" : keyFile },
        config.apiKey
          ? `Tocsin ${VERSION} listening on ${url}; authenticate with Authorization: Bearer <TOCSIN_API_KEY>`
          : `Tocsin ${VERSION} listening on ${url}; authenticate with Authorization: Bearer <the key in ${keyFile}>`,
      );
    } else {
      logger.info({ role, backend, owner: worker?.owner, ...(metricsUrl ? { metrics: `${metricsUrl}/metrics` } : {}) }, `Tocsin ${VERSION} worker started`);
    }

    let stopping: Promise<void> | null = null;
    return {
      url,
      store,
      worker,
      server,
      logger,
      stop() {
        stopping ??= (async () => {
          logger.info("stopping: no new requests or claims; finishing in-flight deliveries");
          await server?.close();
          await metricsServer?.close();
          await worker?.stop(config.requestTimeoutMs + config.connectTimeoutMs);
          await cleanup();
          logger.info("stopped");
        })();
        return stopping;
      },
    };
  } catch (e) {
    await server?.close();
    await metricsServer?.close();
    await cleanup();
    throw e;
  }
}

/** `tocsin serve`. */
export function serve(config: Readonly<Config>, logger?: Logger, now?: () => number): Promise<RunningApp> {
  return start(config, "serve", logger, now);
}
