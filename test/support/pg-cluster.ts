import { execFile, execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "./receiver.ts";

/**
 * A throwaway PostgreSQL cluster for tests that stop and start the database: its own data folder,
 * port and socket folder, never the shared server on 5432. As root, initdb and pg_ctl run as the
 * `postgres` user (PostgreSQL refuses to run as root).
 */
export interface PgCluster {
  /** postgres://postgres@127.0.0.1:<port>/postgres (trust auth). */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** pg_ctl start -w: resolves once the server accepts connections. */
  start(): Promise<void>;
  /** pg_ctl stop -m fast -w: disconnects every client, resolves once the server is gone. */
  stop(): Promise<void>;
  restart(): Promise<void>;
  /** Stops the server if it runs (fast, then immediate) and removes the data folder. Never throws. */
  destroy(): Promise<void>;
  /** The server's log so far (for failure messages). */
  log(): string;
}

const COMMAND_TIMEOUT_MS = 30_000;
const PG_CTL_WAIT_S = 20;

/** The bin folder of the highest PostgreSQL version under /usr/lib/postgresql with initdb and pg_ctl; null if none. */
export function findPgBinDir(): string | null {
  const override = process.env.TOCSIN_TEST_PG_BINDIR;
  const candidates: string[] = [];
  if (override) candidates.push(override);
  const root = "/usr/lib/postgresql";
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => /^\d+(\.\d+)?$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => join(root, v, "bin")));
  }
  return candidates.find((d) => existsSync(join(d, "initdb")) && existsSync(join(d, "pg_ctl"))) ?? null;
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

type Runner = (file: string, args: string[]) => string[];

interface RunAs {
  /** Turns a command into the argv that runs it as the cluster's owner. */
  wrap: Runner;
  uid: number;
  gid: number;
}

/** How to run PostgreSQL's tools here: directly, or as `postgres` through runuser or su when this process is root. */
function runAs(): RunAs {
  const uid = process.getuid?.() ?? -1;
  if (uid !== 0) return { wrap: (file, args) => [file, ...args], uid, gid: process.getgid?.() ?? -1 };
  let pgUid: number;
  let pgGid: number;
  try {
    pgUid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8", timeout: 5_000 }).trim());
    pgGid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8", timeout: 5_000 }).trim());
  } catch {
    throw new Error("running as root and there is no 'postgres' user to run initdb/pg_ctl as (PostgreSQL refuses to run as root)");
  }
  const tries: { name: string; wrap: Runner }[] = [
    { name: "runuser", wrap: (file, args) => ["runuser", "-u", "postgres", "--", file, ...args] },
    { name: "su", wrap: (file, args) => ["su", "postgres", "-s", "/bin/sh", "-c", [file, ...args].map(shellQuote).join(" ")] },
  ];
  const errors: string[] = [];
  for (const t of tries) {
    const [cmd, ...rest] = t.wrap("id", ["-u"]);
    try {
      const out = execFileSync(cmd, rest, { encoding: "utf8", timeout: 5_000, stdio: ["ignore", "pipe", "pipe"] }).trim();
      if (Number(out) === pgUid) return { wrap: t.wrap, uid: pgUid, gid: pgGid };
      errors.push(`${t.name}: ran as uid ${out}`);
    } catch (e) {
      errors.push(`${t.name}: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  throw new Error(`running as root and cannot run commands as 'postgres' (${errors.join("; ")})`);
}

function run(argv: string[], timeoutMs = COMMAND_TIMEOUT_MS): Promise<string> {
  const [cmd, ...args] = argv;
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, killSignal: "SIGKILL", encoding: "utf8", env: { ...process.env, LC_ALL: "C" } }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${argv.join(" ")} failed: ${err.message}\n${stdout}${stderr}`.trim()));
      else resolve(stdout + stderr);
    });
  });
}

/** Where a cluster is left running, the exit hook stops it (immediate) so no postmaster outlives the test process. */
const running = new Map<string, () => void>();
let hooked = false;
function onExit() {
  for (const stop of running.values()) {
    try {
      stop();
    } catch {
      // best effort
    }
  }
}

/** initdb into a fresh temp folder and start the server on a free loopback port. Throws if either fails. */
export async function createPgCluster(): Promise<PgCluster> {
  const bin = findPgBinDir();
  if (!bin) throw new Error("no PostgreSQL binaries (initdb, pg_ctl) under /usr/lib/postgresql/<version>/bin");
  const as = runAs();
  const dir = mkdtempSync(join(tmpdir(), "tocsin-pg-"));
  if (process.getuid?.() === 0) chownSync(dir, as.uid, as.gid);
  const data = join(dir, "data");
  const logFile = join(dir, "postgres.log");
  const initdb = join(bin, "initdb");
  const pgCtl = join(bin, "pg_ctl");
  let port = 0;
  let up = false;

  const log = () => {
    try {
      return readFileSync(logFile, "utf8");
    } catch {
      return "";
    }
  };
  const ctl = (...args: string[]) => run(as.wrap(pgCtl, ["-D", data, ...args]));
  const start = async () => {
    // -l keeps the postmaster off our pipes, so pg_ctl returns as soon as the server is ready.
    await ctl("-l", logFile, "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, "-w", "-t", String(PG_CTL_WAIT_S), "start");
    up = true;
  };
  const stop = async () => {
    await ctl("-m", "fast", "-w", "-t", String(PG_CTL_WAIT_S), "stop");
    up = false;
  };

  const destroy = async () => {
    if (up || existsSync(join(data, "postmaster.pid"))) {
      try {
        await stop();
      } catch {
        await ctl("-m", "immediate", "-w", "-t", String(PG_CTL_WAIT_S), "stop").catch(() => undefined);
      }
    }
    up = false;
    running.delete(dir);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await run(as.wrap(initdb, ["-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "--locale=C", "-E", "UTF8"]));
    running.set(dir, () => {
      if (existsSync(join(data, "postmaster.pid"))) {
        const [cmd, ...args] = as.wrap(pgCtl, ["-D", data, "-m", "immediate", "-w", "-t", "10", "stop"]);
        execFileSync(cmd, args, { stdio: "ignore", timeout: 15_000 });
      }
      rmSync(dir, { recursive: true, force: true });
    });
    if (!hooked) {
      hooked = true;
      process.once("exit", onExit);
    }
    // A port that was free a moment ago can be taken by the time the server binds: try a few.
    let lastError: unknown;
    for (let i = 0; i < 3 && !up; i++) {
      port = await freePort();
      try {
        await start();
      } catch (e) {
        lastError = e;
      }
    }
    if (!up) throw new Error(`PostgreSQL did not start: ${(lastError as Error).message}\n${log()}`);
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
    try {
      await c.connect();
      await c.query("SELECT 1");
    } finally {
      await c.end().catch(() => undefined);
    }
    return {
      url,
      port,
      dir,
      start,
      stop,
      async restart() {
        await stop();
        await start();
      },
      destroy,
      log,
    };
  } catch (e) {
    await destroy();
    throw e;
  }
}

/**
 * A throwaway cluster, or the reason to skip when PostgreSQL's binaries are missing or the cluster
 * cannot be started (after a visible message). Under CI=true that is a failure instead.
 */
export async function createPgClusterOrSkip(): Promise<{ cluster: PgCluster } | { skip: string }> {
  try {
    return { cluster: await createPgCluster() };
  } catch (e) {
    const reason = `cannot run a throwaway PostgreSQL cluster: ${(e as Error).message}`;
    if (process.env.CI === "true") throw new Error(`${reason} (required in CI)`, { cause: e });
    console.log(`# ${reason.split("\n")[0]}: the PostgreSQL restart test is SKIPPED`);
    return { skip: reason.split("\n")[0] };
  }
}
