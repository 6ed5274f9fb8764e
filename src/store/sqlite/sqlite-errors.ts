import { StoreUnavailableError } from "../store.ts";
import type { StorageFault } from "../../core/storage-health.ts";

// node:sqlite errors carry SQLite's extended result code as `errcode`; its low byte is the primary
// code (https://sqlite.org/rescode.html).
const FAULTS: Record<number, StorageFault> = {
  5: "busy", // SQLITE_BUSY: the lock outlasted the busy timeout
  6: "busy", // SQLITE_LOCKED
  10: "io_error", // SQLITE_IOERR, e.g. a write the file system refused
  13: "disk_full", // SQLITE_FULL: no room on the disk, or max_page_count reached
};

/** `e` as a StoreUnavailableError when SQLite could not write for lack of room, I/O or a lock; otherwise `e` itself. */
export function storageError(e: unknown): unknown {
  const code = (e as { errcode?: unknown } | null)?.errcode;
  if (typeof code !== "number") return e;
  // ENOSPC during a write can surface as an I/O error whose message says so.
  let fault = FAULTS[code & 0xff];
  if (fault === "io_error" && /full|no space/i.test(String((e as Error).message))) fault = "disk_full";
  if (!fault) return e;
  return new StoreUnavailableError(`the database cannot be written: ${(e as Error).message}`, { cause: e, fault });
}
