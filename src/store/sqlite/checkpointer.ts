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
const { parentPort, workerData } = require("node:worker_threads");
const db = new DatabaseSync(workerData.path, { timeout: 1000 });
const passive = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
const truncate = db.prepare("PRAGMA wal_checkpoint(TRUNCATE)");
let stalled = false;
setInterval(() => {
  try {
    passive.get();
    if (stalled) {
      // Back after a stall (a full disk): give the WAL's space back to the disk at once.
      stalled = false;
      try {
        truncate.get();
      } catch {
        // busy: journal_size_limit truncates it at a later reset
      }
      parentPort.postMessage({ stalled: false });
    }
  } catch (e) {
    // SQLITE_BUSY and the like: the next tick tries again. A full disk or an I/O error stalls
    // checkpoints until it clears: said once, retried every tick, never the end of the thread.
    if (/busy|locked/i.test(e.message)) return;
    if (!stalled) parentPort.postMessage({ stalled: true, message: e.message });
    stalled = true;
  }
}, workerData.intervalMs);
`;

export interface Checkpointer {
  /** Stops the thread; the caller's connection checkpoints once more when it closes. */
  stop(): Promise<void>;
}

export interface CheckpointEvents {
  /** The thread cannot run (called once); the caller then turns SQLite's automatic checkpoints back on. */
  onFailure: (e: Error) => void;
  /** Checkpoints fail (a full disk, an I/O error) and are retried every tick; null: they work again. */
  onStall?: (message: string | null) => void;
}

/** Starts checkpointing `path` from a worker thread. */
export function startCheckpointer(path: string, events: CheckpointEvents): Checkpointer {
  const { onFailure, onStall } = events;
  const worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { path, intervalMs: CHECKPOINT_INTERVAL_MS } });
  let stopping = false;
  let failed = false;
  const fail = (e: Error) => {
    if (stopping || failed) return;
    failed = true;
    onFailure(e);
  };
  worker.on("error", fail);
  worker.on("message", (m: { stalled: boolean; message?: string }) => onStall?.(m.stalled ? (m.message ?? "checkpoint failed") : null));
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
