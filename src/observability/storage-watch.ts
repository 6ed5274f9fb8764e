import type { Logger } from "pino";
import { Counter, Gauge, type Registry } from "prom-client";
import { coerceError } from "../core/errors.ts";
import { FAULT_TEXT, StorageHealth } from "../core/storage-health.ts";
import { type Store, StoreUnavailableError } from "../store/store.ts";

// Whether the database can be written, told truthfully: every store call that fails for lack of
// room, I/O, a lock or an answer marks the process's StorageHealth; while it is marked, a check
// once a second (Store.blockedWrites: room on the disk and under the size limit, or the server
// answering) clears it. The change is logged once each way and shown in the metrics; /readyz and
// the 503s read the same state.

const CHECK_INTERVAL_MS = 1000;

export interface StorageWatch {
  health: StorageHealth;
  /** `store` with every method's StoreUnavailableError recorded before it is rethrown. */
  store: Store;
  stop(): void;
}

export function watchStorage(store: Store, o: { logger: Logger; registry: Registry; now: () => number }): StorageWatch {
  const failures = new Counter({
    name: "tocsin_database_write_failures_total",
    help: "Database operations refused for lack of room (disk_full), an I/O error, a lock held past the busy timeout (busy), or no answer (unreachable)",
    labelNames: ["reason"],
    registers: [o.registry],
  });
  const health = new StorageHealth(o.now, (s, was) => {
    if (!s.writable) {
      o.logger.error({ fault: s.fault, err: s.detail }, `the database ${FAULT_TEXT[s.fault!]}; writes are refused with 503 until it recovers`);
    } else {
      const seconds = was.since === null ? 0 : Math.round((o.now() - was.since) / 1000);
      o.logger.info({ failures: was.failures, seconds }, `the database is writable again after ${was.failures} refused operations (${seconds} s)`);
    }
  });
  new Gauge({
    name: "tocsin_database_writable",
    help: "1 while the database takes writes; 0 from a write refused for lack of room, I/O, a lock or an answer until a check finds it can again",
    registers: [o.registry],
    collect() {
      this.set(health.state.writable ? 1 : 0);
    },
  });
  const note = (e: unknown) => {
    if (!(e instanceof StoreUnavailableError)) return;
    failures.inc({ reason: e.fault });
    health.failed(e.fault, coerceError(e.cause ?? e).message);
  };

  const watched: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(store)) {
    if (typeof member !== "function") {
      watched[name] = member;
      continue;
    }
    const method = member as (...args: unknown[]) => unknown;
    watched[name] = (...args: unknown[]) => {
      const result = method.apply(store, args);
      return result instanceof Promise
        ? result.catch((e: unknown) => {
            note(e);
            throw e;
          })
        : result;
    };
  }

  let checking = false;
  const timer = setInterval(() => {
    if (health.state.writable || checking) return;
    checking = true;
    store
      .blockedWrites()
      .then((blocked) => {
        if (blocked === null) health.recovered();
      })
      .catch(() => undefined)
      .finally(() => (checking = false));
  }, CHECK_INTERVAL_MS);
  timer.unref();

  return { health, store: watched as unknown as Store, stop: () => clearInterval(timer) };
}
