// Whether this process can write to its database, as writes have found it: the state behind
// 503s, /readyz and the tocsin_database_writable metric, and the one log line per change.

/** Why writes fail: no room (SQLITE_FULL, ENOSPC, SQLSTATE 53100), the disk or file failing, a lock held past the busy timeout, or no answer at all. */
export type StorageFault = "disk_full" | "io_error" | "busy" | "unreachable";

export interface StorageState {
  writable: boolean;
  /** The last fault seen while not writable. */
  fault: StorageFault | null;
  /** Its message, e.g. "database or disk is full". */
  detail: string | null;
  /** When writes started failing (ms since the epoch). */
  since: number | null;
  /** Failed writes since then. */
  failures: number;
}

/** What an operator reads for each fault: the rest of "the database …". */
export const FAULT_TEXT: Record<StorageFault, string> = {
  disk_full: "cannot be written: the disk (or its size limit) is full",
  io_error: "cannot be written: the disk reports an I/O error",
  busy: "cannot be written: another process holds its lock past the busy timeout",
  unreachable: "does not answer",
};

/**
 * The state, changed by `failed` (a write was refused by the database) and `recovered` (a check
 * found room again). `onChange` runs once per change of `writable`, never once per failure.
 */
export class StorageHealth {
  private current: StorageState = { writable: true, fault: null, detail: null, since: null, failures: 0 };
  private readonly now: () => number;
  private readonly onChange: (s: StorageState, previous: StorageState) => void;

  constructor(now: () => number, onChange: (s: StorageState, previous: StorageState) => void) {
    this.now = now;
    this.onChange = onChange;
  }

  get state(): StorageState {
    return this.current;
  }

  failed(fault: StorageFault, detail: string): void {
    const was = this.current;
    this.current = { writable: false, fault, detail, since: was.since ?? this.now(), failures: was.failures + 1 };
    if (was.writable) this.onChange(this.current, was);
  }

  recovered(): void {
    const was = this.current;
    if (was.writable) return;
    this.current = { writable: true, fault: null, detail: null, since: null, failures: 0 };
    this.onChange(this.current, was);
  }
}
