import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { type Logger, pino } from "pino";
import { createServer } from "./api/server.ts";
import type { Config } from "./config.ts";
import { createSecretBox, parseMasterKey } from "./core/secret-box.ts";
import { generateApiKey, generateMasterKey, openDataDir, readOrCreateKeyFile } from "./data-dir.ts";
import { createSender } from "./delivery/sender.ts";
import { type Worker, createWorker } from "./delivery/worker.ts";
import type { ServiceDeps } from "./services/deps.ts";
import { createSqliteStore } from "./store/sqlite/sqlite-store.ts";
import type { Store } from "./store/store.ts";

export const VERSION: string = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version;

export interface RunningApp {
  url: string;
  store: Store;
  worker: Worker;
  server: FastifyInstance;
  logger: Logger;
  /** Drains: stops accepting, finishes or hands back in-flight deliveries, closes the database. */
  stop(): Promise<void>;
}

export function createLogger(config: Readonly<Config>): Logger {
  return pino({ level: config.logLevel, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}

/** `tocsin serve`: API and delivery worker in one process on the embedded SQLite database. */
export async function serve(config: Readonly<Config>, logger: Logger = createLogger(config), now: () => number = Date.now): Promise<RunningApp> {
  const dir = openDataDir(config.dataDir);
  let store: Store | null = null;
  try {
    const apiKey = config.apiKey ?? readOrCreateKeyFile(join(config.dataDir, "admin-key"), generateApiKey).key;
    const masterKeyText = config.masterKey ?? readOrCreateKeyFile(join(config.dataDir, "master-key"), generateMasterKey).key;
    const secretBox = createSecretBox(parseMasterKey(masterKeyText));

    store = await createSqliteStore({ path: dir.dbPath, synchronous: config.sqliteSynchronous });
    const check = await store.getMeta("master_key_check");
    if (check === null) await store.setMeta("master_key_check", secretBox.checkValue());
    else if (check !== secretBox.checkValue()) {
      throw new Error(
        "The master key does not match the one this database was created with: set TOCSIN_MASTER_KEY (or data/master-key) back to the original key.",
      );
    }
    // This process holds the data folder's lock, so every leased delivery belongs to a process that is gone.
    const released = await store.releaseExpiredLeases(Number.MAX_SAFE_INTEGER);
    if (released) logger.info({ count: released }, "resuming deliveries that were in flight when the last process stopped");

    const sender = createSender({
      connectTimeoutMs: config.connectTimeoutMs,
      requestTimeoutMs: config.requestTimeoutMs,
      allowPrivateNetworks: config.allowPrivateNetworks,
      connectionsPerOrigin: Math.max(config.endpointConcurrency, 8),
      maxResponseBytes: 16 * 1024,
      now,
    });
    const worker = createWorker({
      store,
      sender,
      secretBox,
      logger,
      policy: { scheduleMs: config.retryScheduleMs, jitter: config.retryJitter, retryAfterMinMs: 1000, retryAfterMaxMs: config.retryAfterMaxMs },
      concurrency: config.concurrency,
      endpointConcurrency: config.endpointConcurrency,
      leaseMs: config.leaseMs,
      pollIntervalMs: config.pollIntervalMs,
      userAgent: `Tocsin/${VERSION}`,
      now,
    });
    const deps: ServiceDeps = { store, secretBox, config, now, wake: worker.wake };
    const server = await createServer({ deps, logger, apiKeys: () => [apiKey], version: VERSION });
    await server.listen({ host: config.host, port: config.port });
    const addr = server.server.address();
    const port = typeof addr === "object" && addr ? addr.port : config.port;
    const host = config.host.includes(":") ? `[${config.host}]` : config.host;
    const url = `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`;
    worker.start();

    if (config.allowPrivateNetworks) logger.warn("TOCSIN_ALLOW_PRIVATE_NETWORKS is on: webhooks may reach loopback and private addresses");
    logger.info(
      {
        url,
        dataDir: config.dataDir,
        auth: config.apiKey ? "TOCSIN_API_KEY" : join(config.dataDir, "admin-key"),
      },
      config.apiKey
        ? `Tocsin ${VERSION} listening on ${url}; authenticate with Authorization: Bearer <TOCSIN_API_KEY>`
        : `Tocsin ${VERSION} listening on ${url}; authenticate with Authorization: Bearer <the key in ${join(config.dataDir, "admin-key")}>`,
    );

    const s = store;
    let stopping: Promise<void> | null = null;
    return {
      url,
      store: s,
      worker,
      server,
      logger,
      stop() {
        stopping ??= (async () => {
          logger.info("stopping: no new requests or claims; finishing in-flight deliveries");
          await server.close();
          await worker.stop(config.requestTimeoutMs + config.connectTimeoutMs);
          await sender.close();
          await s.close();
          dir.release();
          logger.info("stopped");
        })();
        return stopping;
      },
    };
  } catch (e) {
    await store?.close();
    dir.release();
    throw e;
  }
}
