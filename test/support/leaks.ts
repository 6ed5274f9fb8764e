/**
 * Fails a test file that leaves a server, socket, pipe, child process, database connection or
 * timer open. Loaded into every test process with `node --test --import ./test/support/leaks.ts`.
 *
 * It records the process's active resources (process.getActiveResourcesInfo(): ref'ed handles,
 * pending requests, ref'ed timers and immediates) when it loads, before the test file does. Once
 * every test and every root-level after() hook of the file has run, it waits (up to WAIT_MS, for
 * closes already under way: a socket's close event, a killed child's exit) until no kind is above
 * that baseline, and otherwise fails the file with an Error naming each kind left open and how
 * many. A database pool shows up as its connections' sockets. Timers and handles that are
 * unref()'ed do not keep the process alive and are not counted, nor are the process's own stdin,
 * stdout and stderr.
 *
 * The check is per file, not per test: servers, stores and browsers that a describe() starts in
 * before() serve all its tests, and the connections fetch and the delivery workers keep alive to
 * them legitimately outlive the test that opened them, so a resource open after one test is not
 * a leak; one still open when the whole file is done is.
 *
 * A file that leaks a ref'ed handle never exits on its own (node:test waits for the event loop
 * to empty), so a failing check ends the process once the failure has been reported.
 */
import { AsyncResource } from "node:async_hooks";
import { ChildProcess } from "node:child_process";
import { subscribe } from "node:diagnostics_channel";
import { Server, Socket } from "node:net";
import { after } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

/** How long closes already under way get to finish, polled every POLL_MS. */
const WAIT_MS = 5_000;
const POLL_MS = 50;
/** How long the failure gets to reach the test runner before the process ends. */
const EXIT_AFTER_FAILURE_MS = 1_000;

/** What each common kind usually is, for the failure message. */
const MEANING: Record<string, string> = {
  TCPServerWrap: "a listening TCP server (http/net/tls server not closed)",
  TCPSocketWrap: "a TCP socket (a client or accepted connection, or a database pool's connection)",
  PipeServerWrap: "a listening Unix-socket server",
  PipeWrap: "a pipe (a child process's stdio or a Unix socket)",
  ProcessWrap: "a child process that has not exited",
  UDPWrap: "a UDP socket",
  Timeout: "a ref'ed timer (setTimeout/setInterval neither cleared nor unref()'ed)",
  Immediate: "a pending setImmediate",
  FSEventWrap: "an fs.watch() watcher",
  StatWatcher: "an fs.watchFile() watcher",
  MessagePort: "a MessagePort or worker thread",
};

type Counts = Map<string, number>;

/** The process's open resources by kind, less its own stdin, stdout and stderr. */
function openResources(): Counts {
  const counts: Counts = new Map();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  for (const kind of stdioKinds()) counts.set(kind, (counts.get(kind) ?? 0) - 1);
  return counts;
}

/** Handle kinds as getActiveResourcesInfo() names them, by the class of a stream's handle. */
const STREAM_KINDS: Record<string, string> = { Pipe: "PipeWrap", TTY: "TTYWrap", TCP: "TCPSocketWrap" };

/**
 * The kinds of the stdio streams' handles: process.stdin, stdout and stderr get one when first
 * used, and they are the process's to close, not the test's. Found by the `fd` property that only
 * they carry (comparing with process.stdin would open it).
 */
function stdioKinds(): string[] {
  const kinds: string[] = [];
  for (const h of activeHandles() as { fd?: unknown; _handle?: object | null }[]) {
    const kind = STREAM_KINDS[h._handle?.constructor.name ?? ""];
    if ((h.fd === 0 || h.fd === 1 || h.fd === 2) && kind) kinds.push(kind);
  }
  return kinds;
}

/** The kinds above the baseline, with how many more there are. */
function leftOpen(baseline: Counts, now: Counts): Counts {
  const extra: Counts = new Map();
  for (const [kind, n] of now) {
    const more = n - (baseline.get(kind) ?? 0);
    if (more > 0) extra.set(kind, more);
  }
  return extra;
}

/**
 * The objects behind the process's ref'ed handles (servers, sockets, child processes; not timers).
 * process._getActiveHandles() is undocumented but long-standing; without it the message has only
 * the kinds.
 */
function activeHandles(): unknown[] {
  const p = process as unknown as { _getActiveHandles?: () => unknown[] };
  return p._getActiveHandles?.() ?? [];
}

function describeHandle(h: unknown): string | null {
  if (h instanceof Server) {
    const a = h.address();
    return `server listening on ${typeof a === "string" ? a : a ? `${a.address}:${a.port}` : "?"}`;
  }
  if (h instanceof Socket) {
    if (h.remotePort === undefined) return null;
    return `socket ${h.localAddress}:${h.localPort} -> ${h.remoteAddress}:${h.remotePort}`;
  }
  if (h instanceof ChildProcess) return `child process ${h.pid}: ${h.spawnargs.join(" ")}`;
  return null;
}

function describeLeaks(file: string, extra: Counts, handles: unknown[]): string {
  const lines = [...extra].map(([kind, n]) => `  ${kind} x${n}${MEANING[kind] ? `: ${MEANING[kind]}` : ""}`);
  const details = handles.map(describeHandle).filter((d) => d !== null);
  return [
    `${file} left resources open after all its tests and after() hooks (waited ${WAIT_MS} ms for them to close):`,
    ...lines,
    ...(details.length ? ["opened by the file and still open:", ...details.map((d) => `  ${d}`)] : []),
    // node:test runs the root after() hooks, and so this check, as soon as every test registered
    // so far has finished: tests registered after a top-level await that outlasted them come late.
    ...(lateTest
      ? [`"${lateTest}" started only after the check had begun: the file registers tests after a top-level await; register every test and suite before it.`]
      : []),
  ].join("\n");
}

let checking = false;
/** The first suite or test to start once the check has begun (see describeLeaks). */
let lateTest: string | null = null;

// Calling after() first creates node:test's root test, whose process handlers are then part of
// the baseline.
after(() => {
  // Root-level after() hooks run in the order they were registered, and this one was registered
  // before the test file's own. It appends the check as the last root hook instead, from outside
  // every test's async context so that node:test attaches it to the root (hooks registered while
  // the root runs its after() hooks still run).
  registerAtRoot(checkForLeaks);
});
// node:test publishes here when a suite is registered and when a test starts.
subscribe("tracing:node.test:start", (message) => {
  if (checking) lateTest ??= (message as { name?: string }).name ?? "a test";
});
const baseline = openResources();
const baselineHandles = new Set(activeHandles());
const registerAtRoot = AsyncResource.bind((fn: () => Promise<void>) => after(fn));

async function checkForLeaks(): Promise<void> {
  checking = true;
  let extra = leftOpen(baseline, openResources());
  for (const deadline = Date.now() + WAIT_MS; extra.size > 0 && Date.now() < deadline;) {
    await sleep(POLL_MS);
    extra = leftOpen(baseline, openResources());
  }
  if (extra.size === 0) return;
  setTimeout(() => process.exit(), EXIT_AFTER_FAILURE_MS).unref();
  const handles = activeHandles().filter((h) => !baselineHandles.has(h));
  throw new Error(describeLeaks(process.argv[1] ?? "the test file", extra, handles));
}
