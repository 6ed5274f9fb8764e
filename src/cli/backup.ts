import { randomBytes } from "node:crypto";
import { closeSync, existsSync, fsyncSync, linkSync, openSync, realpathSync, renameSync, rmSync, statSync, unlinkSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { backup, DatabaseSync } from "node:sqlite";
import { parseArgs } from "node:util";
import { loadConfig } from "../config.ts";
import { coerceError } from "../core/errors.ts";

/**
 * `tocsin backup FILE`: an online copy of the embedded SQLite database, taken while `tocsin serve`
 * runs. The server locks `tocsin.lock`, not the database, and the database is in WAL mode, so a
 * second reader is welcome. The copy goes to a temporary file beside FILE and takes FILE's name
 * only once it is complete and checked.
 */

type Env = Record<string, string | undefined>;
type Out = { out: (s: string) => void; err: (s: string) => void };

export const BACKUP_HELP = `Usage: tocsin backup [--data-dir DIR] [--force] [--json] FILE

Copies the embedded SQLite database (<data-dir>/tocsin.db) to FILE, consistent as of the moment it
starts, while 'tocsin serve' keeps running. The copy is written beside FILE under a temporary name
and renamed when complete, so FILE is never a partial copy. Progress goes to stderr.

  --data-dir DIR   The data folder (default TOCSIN_DATA_DIR, else ./data)
  --force          Replace FILE if it exists (otherwise the command refuses)
  --json           Print the result as JSON

The master key is NOT in the backup: without it the endpoint secrets in the copy cannot be read.
Keep the key (<data-dir>/master-key, or TOCSIN_MASTER_KEY) safe and apart from the backups.
Restore: stop the service, put FILE in place as <data-dir>/tocsin.db, delete tocsin.db-wal and
tocsin.db-shm there if any, put the master key back, start. See docs/operating.md.

With PostgreSQL (TOCSIN_DATABASE_URL) use pg_dump instead; this command exits 2.`;

/** Pages copied per step (4 MiB with 4 KiB pages): big enough to be quick, small enough for progress. */
const PAGES_PER_STEP = 1024;
/** At most one progress line this often. */
const PROGRESS_EVERY_MS = 1000;

/** Files of the data folder a backup must never be written over, even with --force. */
const DATA_DIR_FILES = ["tocsin.db", "tocsin.db-wal", "tocsin.db-shm", "tocsin.db-journal", "tocsin.lock", "master-key", "master-key.previous", "admin-key"];

export interface BackupProgress {
  copiedPages: number;
  totalPages: number;
}

export interface BackupCopy {
  /** Absolute path of the finished backup. */
  file: string;
  bytes: number;
  pages: number;
  /** The last migration applied to the copied database. */
  schema: string | null;
  /** When the copy's snapshot was taken. */
  snapshotAt: Date;
}

export class BackupTargetExistsError extends Error {}

/**
 * Copies the SQLite database at `dbPath` to `target` through a temporary file beside it.
 *
 * node:sqlite's backup() steps through the database in batches, and a write by any other
 * connection between two steps makes SQLite start the copy over: against a busy server it would
 * never finish. Holding a read transaction on the source connection for the whole copy pins one
 * WAL snapshot, so no step sees a change. Writers are not blocked (WAL); only checkpoints cannot
 * go past the snapshot until the copy ends.
 */
export async function backupDatabase(
  dbPath: string,
  target: string,
  opts: { force?: boolean; pagesPerStep?: number; onProgress?: (p: BackupProgress) => void; onTemp?: (path: string | null) => void } = {},
): Promise<BackupCopy> {
  const file = resolve(target);
  if (existsSync(file) && !opts.force) throw new BackupTargetExistsError(`${file} already exists; pass --force to replace it`);
  const temp = join(dirname(file), `${basename(file)}.partial-${randomBytes(4).toString("hex")}`);
  // Created empty and private first: SQLite keeps the mode of a file it is given, and the copy
  // holds encrypted secrets and hashed API keys.
  closeSync(openSync(temp, "wx", 0o600));
  opts.onTemp?.(temp);
  try {
    const source = new DatabaseSync(dbPath, { readOnly: true, timeout: 10_000 });
    let pages: number;
    let schema: string | null;
    let snapshotAt: Date;
    try {
      source.exec("BEGIN");
      // The first read starts the transaction and fixes the snapshot.
      const hasMigrations = source.prepare("SELECT 1 AS one FROM sqlite_schema WHERE type = 'table' AND name = 'kysely_migration'").get();
      snapshotAt = new Date();
      if (!hasMigrations) throw new Error(`${dbPath} is not a Tocsin database (it has no migrations table)`);
      const last = source.prepare("SELECT name FROM kysely_migration ORDER BY name DESC LIMIT 1").get() as { name: string } | undefined;
      schema = last?.name ?? null;
      pages = await backup(source, temp, {
        rate: opts.pagesPerStep ?? PAGES_PER_STEP,
        progress: ({ totalPages, remainingPages }) => opts.onProgress?.({ copiedPages: totalPages - remainingPages, totalPages }),
      });
      source.exec("COMMIT");
    } finally {
      source.close();
    }
    checkCopy(temp);
    publish(temp, file, opts.force === true);
    opts.onTemp?.(null);
    return { file, bytes: statSync(file).size, pages, schema, snapshotAt };
  } catch (e) {
    removeTemp(temp);
    opts.onTemp?.(null);
    throw e;
  }
}

/** Opens the copy, runs SQLite's quick check, and flushes it to disk. */
function checkCopy(temp: string): void {
  const copy = new DatabaseSync(temp);
  try {
    const rows = copy.prepare("PRAGMA quick_check").all() as { quick_check: string }[];
    const problems = rows.map((r) => r.quick_check).filter((r) => r !== "ok");
    if (problems.length) throw new Error(`the copy failed SQLite's quick check: ${problems.slice(0, 3).join("; ")}`);
  } finally {
    // Closing the only connection folds any WAL back into the file and deletes it.
    copy.close();
  }
  const fd = openSync(temp, "r+");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Gives the finished copy its name. Without --force a hard link publishes it only if the name is
 * still free (a file may have appeared during the copy); on file systems without hard links, a
 * check and a rename.
 */
function publish(temp: string, file: string, force: boolean): void {
  if (force) {
    renameSync(temp, file);
  } else {
    try {
      linkSync(temp, file);
      unlinkSync(temp);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EEXIST") throw new BackupTargetExistsError(`${file} appeared while the backup ran; pass --force to replace it`, { cause: e });
      if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS") throw e;
      if (existsSync(file)) throw new BackupTargetExistsError(`${file} appeared while the backup ran; pass --force to replace it`);
      renameSync(temp, file);
    }
  }
  // The rename is durable once the directory is flushed; not every platform lets a directory be opened for that.
  try {
    const fd = openSync(dirname(file), "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // best effort: the data itself is already flushed
  }
}

/** The temporary copy and any journal SQLite made for it. */
function removeTemp(temp: string): void {
  for (const suffix of ["", "-journal", "-wal", "-shm"]) rmSync(temp + suffix, { force: true });
}

function realDir(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

const MIB = 1024 * 1024;
const humanSize = (bytes: number) => (bytes >= MIB ? `${(bytes / MIB).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`);

function parseBackupArgs(args: string[], usage: (message: string) => Error) {
  try {
    return parseArgs({
      args,
      options: { "data-dir": { type: "string" }, force: { type: "boolean" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw usage(coerceError(e).message);
  }
}

/** `tocsin backup`; `usage` makes the error main() reports as a usage error (exit 2). */
export async function runBackup(args: string[], env: Env, io: Out, usage: (message: string) => Error): Promise<number> {
  const parsed = parseBackupArgs(args, usage);
  const v = parsed.values;
  if (v.help) {
    io.out(BACKUP_HELP);
    return 0;
  }
  const [target] = parsed.positionals;
  if (target === undefined) throw usage("missing FILE: where to write the backup");
  if (parsed.positionals.length > 1) throw usage(`one FILE only, not ${parsed.positionals.length}`);
  const config = loadConfig(env, { dataDir: v["data-dir"] });
  if (config.databaseUrl) {
    throw usage(
      "TOCSIN_DATABASE_URL is set: this command copies the embedded SQLite database only. Back up PostgreSQL with " +
        "pg_dump -Fc (and keep TOCSIN_MASTER_KEY apart from the dump); see docs/operating.md#backup-and-restore",
    );
  }
  const dataDir = resolve(config.dataDir);
  const dbPath = join(dataDir, "tocsin.db");
  if (!existsSync(dbPath)) {
    throw new Error(`there is no database at ${dbPath}: point --data-dir (or TOCSIN_DATA_DIR) at the folder 'tocsin serve' uses`);
  }
  const file = resolve(target);
  if (existsSync(file) && statSync(file).isDirectory()) throw usage(`${file} is a directory; name the backup file, e.g. ${join(file, "tocsin-backup.db")}`);
  if (!existsSync(dirname(file))) throw new Error(`the folder ${dirname(file)} does not exist`);
  if (realDir(dirname(file)) === realDir(dataDir) && DATA_DIR_FILES.includes(basename(file))) {
    throw usage(`${file} is one of the data folder's own files; write the backup elsewhere`);
  }

  // Ctrl-C or SIGTERM during the copy: remove the temporary file rather than leave it behind.
  let temp: string | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (temp) removeTemp(temp);
    io.err(`tocsin: backup interrupted by ${signal}; ${file} was not written`);
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const started = Date.now();
  // A copy that takes one step (up to PAGES_PER_STEP pages) reports nothing; a longer one reports
  // after its first step and then at most every PROGRESS_EVERY_MS.
  let lastReport = 0;
  let copy: BackupCopy;
  try {
    copy = await backupDatabase(dbPath, file, {
      force: v.force,
      onTemp: (t) => {
        temp = t;
      },
      onProgress: ({ copiedPages, totalPages }) => {
        const now = Date.now();
        if (lastReport && now - lastReport < PROGRESS_EVERY_MS) return;
        lastReport = now;
        io.err(`copied ${copiedPages} of ${totalPages} pages (${Math.floor((copiedPages / totalPages) * 100)}%)`);
      },
    });
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  }
  if (lastReport) io.err(`copied ${copy.pages} of ${copy.pages} pages (100%)`);

  const keyFile = join(dataDir, "master-key");
  const previousFile = join(dataDir, "master-key.previous");
  // Without TOCSIN_MASTER_KEY here and without the file, the server must be getting its key from
  // TOCSIN_MASTER_KEY in its own environment.
  const keySource = config.masterKey ? "TOCSIN_MASTER_KEY" : existsSync(keyFile) ? keyFile : `TOCSIN_MASTER_KEY of the server (there is no ${keyFile})`;
  // Mid-rotation, some secrets in the copy are still under the old key.
  const previous = config.masterKey
    ? config.previousMasterKeys.length
      ? "TOCSIN_PREVIOUS_MASTER_KEYS"
      : null
    : existsSync(previousFile)
      ? previousFile
      : null;
  const result = {
    file: copy.file,
    bytes: copy.bytes,
    pages: copy.pages,
    database: dbPath,
    schema: copy.schema,
    snapshotAt: copy.snapshotAt.toISOString(),
    durationMs: Date.now() - started,
    masterKey: { included: false, source: keySource, ...(previous ? { previousKeys: previous } : {}) },
  };
  if (v.json) io.out(JSON.stringify(result, null, 2));
  else {
    io.out(
      [
        `backup written: ${copy.file}`,
        `size:           ${copy.bytes} bytes (${humanSize(copy.bytes)})`,
        `database:       ${dbPath}, schema ${copy.schema ?? "empty"}, as of ${result.snapshotAt}`,
      ].join("\n"),
    );
  }
  io.err(
    [
      "warning: the master key is NOT in this backup.",
      `  The key: ${keySource}`,
      "  The endpoint secrets in the backup (signing secrets, passwords, tokens, client keys) are",
      "  encrypted with it: without the key they cannot be read, and a server restored from the backup",
      "  refuses to start. Keep a copy of the key, stored apart from the backups: a backup together with",
      "  its key gives away every endpoint's secrets.",
      ...(previous
        ? [
            `  A master-key rotation has not finished: some secrets may still need the previous key`,
            `  (${previous}). Keep it with the key too, or let the rotation finish and back up again.`,
          ]
        : []),
    ].join("\n"),
  );
  return 0;
}
