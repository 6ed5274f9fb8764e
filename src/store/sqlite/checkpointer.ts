// The embedded database's WAL checkpoints, on a thread of their own.
//
// A checkpoint copies committed WAL frames into the database file and fsyncs it. SQLite's automatic
// checkpoint runs inside whichever COMMIT crosses the threshold, and node:sqlite is synchronous, so
// that fsync used to stall the event loop (ingest, claims, sends) for its whole duration. Here a
// second connection on a worker thread checkpoints every CHECKPOINT_INTERVAL_MS instead, in
// PASSIVE mode: it never waits for, or blocks, the writer. Durability does not depend on it: a
// commit is durable once in the WAL.

import { Worker } from "node:worker_threads";

const CHECKPOINT_INTERVAL_MS = 1_000;

// The thread's code, as plain JavaScript evaluated in the worker: a worker started from this .ts
// file would load Node's TypeScript stripper into its isolate too, about 11 MiB of RSS for nothing.
const THREAD_SOURCE = `
const { DatabaseSync } = require("node:sqlite");
const { workerData } = require("node:worker_threads");
const db = new DatabaseSync(workerData.path, { timeout: 1000 });
const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
setInterval(() => {
  try {
    checkpoint.get();
  } catch (e) {
    // SQLITE_BUSY and the like: the next tick tries again. Anything persistent ends the thread,
    // and the owner falls back to automatic checkpoints.
    if (!/busy|locked/i.test(e.message)) throw e;
  }
}, workerData.intervalMs);
`;

export interface Checkpointer {
  /** Stops the thread; the caller's connection checkpoints once more when it closes. */
  stop(): Promise<void>;
}

/**
 * Starts checkpointing `path` from a worker thread. `onFailure` is called once if the thread
 * cannot run; the caller then turns SQLite's automatic checkpoints back on.
 */
export function startCheckpointer(path: string, onFailure: (e: Error) => void): Checkpointer {
  const worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { path, intervalMs: CHECKPOINT_INTERVAL_MS } });
  let stopping = false;
  let failed = false;
  const fail = (e: Error) => {
    if (stopping || failed) return;
    failed = true;
    onFailure(e);
  };
  worker.on("error", fail);
  worker.on("exit", (code) => fail(new Error(`the checkpoint thread exited with code ${code}`)));
  // The thread must not keep the process alive on its own.
  worker.unref();
  return {
    async stop() {
      stopping = true;
      await worker.terminate();
    },
  };
}
