import { type ChildProcess, fork } from "node:child_process";
import type { SandboxReply, SandboxRequest } from "./transform-sandbox.ts";

/**
 * Tenant transforms run in a small pool of child processes, never on the event loop. Processes,
 * not worker threads: a worker thread that exceeds its `resourceLimits` with one large allocation
 * (`$pad("", 100000000)`, `[1..10000000]`) aborts the whole process ("Reached heap limit"),
 * while a child process that does so ends alone.
 *
 * Limits of one run:
 * - time: JSONata stops an expression between steps after TRANSFORM_TIMEOUT_MS; one step that
 *   never returns (a backtracking regular expression, a huge `$pad`) is stopped by killing its
 *   process `killAfterMs` after the run was handed to it (start-up is not counted: runs go only to
 *   started processes), and the process is replaced;
 * - memory: each process has a `memoryMb` heap; a run that exhausts it ends its process;
 * - output: the result's JSON text is made and measured in the process; only text of at most
 *   `maxBytes` comes back.
 *
 * Fairness: runs wait in one queue per tenant; a free process takes the next run of the tenant
 * served longest ago (round robin), skipping tenants that already have `maxBusyPerTenant` runs in
 * progress (by default all processes but one, so with two or more processes one tenant never
 * holds them all). A tenant with `maxQueuedPerTenant` runs waiting gets a failure at once.
 */
export interface TransformPoolOptions {
  /** Processes at most (started on demand). */
  size: number;
  /** A run still going this long after it was handed to a process is stopped by killing it. */
  killAfterMs: number;
  /** Heap of each process (V8's old generation), in MiB. */
  memoryMb: number;
  /** Runs of one tenant in progress at once; default max(1, size - 1). */
  maxBusyPerTenant?: number;
  /** Runs of one tenant waiting at once; past it a run fails at once. Default 1000. */
  maxQueuedPerTenant?: number;
  /** Messages for failures the tenant's expression caused (the time and memory limits). */
  messages: { timeout: string; memory: string; crashed: (how: string) => string; busy: (n: number) => string };
  /** Makes the error a run rejects with when its expression failed (the tenant's error). */
  failure: (message: string) => Error;
}

export interface TransformRun {
  tenant: string;
  expression: string;
  input: Record<string, unknown>;
  payloadText?: string;
  maxBytes: number;
}

export interface TransformPool {
  /** Evaluates a run in a transform process; rejects with `failure(...)` when its expression fails. */
  run(r: TransformRun): Promise<string>;
  /** Changes the number of processes (extra ones end when idle). */
  resize(size: number): void;
  /** Ends every process; waiting and running runs reject. */
  close(): Promise<void>;
  /** Processes started, runs in progress, runs waiting (for tests and metrics). */
  stats(): { processes: number; busy: number; waiting: number };
}

interface Job {
  id: number;
  run: TransformRun;
  resolve(text: string): void;
  reject(e: Error): void;
}

interface Slot {
  child: ChildProcess;
  ready: boolean;
  job: Job | null;
  timer: NodeJS.Timeout | null;
  /** The end of the process's stderr, to tell a heap exhaustion from another end. */
  stderrTail: string;
  /** Set when the pool ended it on purpose (time limit, close, resize). */
  retired: boolean;
}

const SANDBOX = new URL("./transform-sandbox.ts", import.meta.url);
/** Failed start-ups in a row after which waiting runs are failed instead of waiting for ever. */
const MAX_START_FAILURES = 3;

export function createTransformPool(o: TransformPoolOptions): TransformPool {
  let size = o.size;
  const maxQueued = o.maxQueuedPerTenant ?? 1000;
  const maxBusy = () => o.maxBusyPerTenant ?? Math.max(1, size - 1);
  const slots = new Set<Slot>();
  // Insertion order is the round robin: a tenant served moves to the end.
  const queues = new Map<string, Job[]>();
  const busy = new Map<string, number>();
  let waiting = 0;
  let nextId = 1;
  let startFailures = 0;
  let closed = false;

  // Idle processes must not keep the process alive (tests, CLI); busy ones and start-ups must.
  function setRef(s: Slot, on: boolean): void {
    const channel = s.child.channel as { ref?(): void; unref?(): void } | null | undefined;
    if (on) {
      s.child.ref();
      channel?.ref?.();
    } else {
      s.child.unref();
      channel?.unref?.();
    }
  }

  function spawnSlot(): void {
    const child = fork(SANDBOX, [], {
      // Never the parent's flags or environment (secrets): a small heap and nothing else.
      execArgv: [`--max-old-space-size=${o.memoryMb}`, "--max-semi-space-size=4"],
      env: {},
      serialization: "json",
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    const s: Slot = { child, ready: false, job: null, timer: null, stderrTail: "", retired: false };
    slots.add(s);
    (child.stderr as { unref?(): void } | null)?.unref?.();
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (d: string) => {
      s.stderrTail = (s.stderrTail + d).slice(-2048);
    });
    child.on("message", (m: SandboxReply) => onReply(s, m));
    child.on("error", (e) => onExit(s, e.message));
    child.on("exit", (code, signal) => onExit(s, signal ?? `exit code ${code}`));
  }

  function onReply(s: Slot, m: SandboxReply): void {
    if ("ready" in m) {
      s.ready = true;
      startFailures = 0;
      dispatch();
      return;
    }
    const job = s.job;
    if (!job || job.id !== m.id || s.retired) return;
    finish(s);
    if ("text" in m) {
      if (Buffer.byteLength(m.text) > job.run.maxBytes) job.reject(o.failure(`the transform's result is over ${job.run.maxBytes} bytes`));
      else job.resolve(m.text);
    } else {
      job.reject(o.failure(m.failure));
    }
    if (slots.size > size) retire(s);
    dispatch();
  }

  function onExit(s: Slot, how: string): void {
    if (!slots.delete(s)) return;
    const job = s.job;
    if (s.job) finish(s);
    if (!s.ready && !s.retired) startFailures++;
    if (job && !s.retired) {
      const outOfMemory = /heap out of memory|heap limit/i.test(s.stderrTail) || how === "SIGABRT" || how === "SIGTRAP";
      job.reject(o.failure(outOfMemory ? o.messages.memory : o.messages.crashed(how)));
    }
    if (startFailures >= MAX_START_FAILURES && ![...slots].some((x) => x.ready)) {
      // The processes cannot start (a broken install): fail what waits rather than hang it.
      startFailures = 0;
      const err = new Error(
        `could not start a transform process (${how}): ${s.stderrTail.trim().split("\n").pop() ?? ""}; check that the installation is complete`,
      );
      for (const q of queues.values()) for (const j of q) j.reject(err);
      queues.clear();
      waiting = 0;
      return;
    }
    dispatch();
  }

  function finish(s: Slot): void {
    if (s.timer) clearTimeout(s.timer);
    s.timer = null;
    const t = s.job!.run.tenant;
    const n = (busy.get(t) ?? 1) - 1;
    if (n > 0) busy.set(t, n);
    else busy.delete(t);
    s.job = null;
    setRef(s, false);
  }

  function retire(s: Slot): void {
    s.retired = true;
    slots.delete(s);
    s.child.kill("SIGKILL");
  }

  /** The next run to start: the first tenant in round-robin order under its cap. */
  function take(): Job | null {
    for (const [tenant, q] of queues) {
      if ((busy.get(tenant) ?? 0) >= maxBusy()) continue;
      const job = q.shift()!;
      waiting--;
      queues.delete(tenant);
      if (q.length) queues.set(tenant, q);
      return job;
    }
    return null;
  }

  function dispatch(): void {
    if (closed) return;
    for (const s of slots) {
      if (!s.ready || s.job || s.retired) continue;
      const job = take();
      if (!job) break;
      s.job = job;
      busy.set(job.run.tenant, (busy.get(job.run.tenant) ?? 0) + 1);
      setRef(s, true);
      const msg: SandboxRequest = { id: job.id, expression: job.run.expression, input: job.run.input, maxBytes: job.run.maxBytes };
      if (job.run.payloadText !== undefined) msg.payloadText = job.run.payloadText;
      // A process that just died fails the run through its exit, not here.
      s.child.send(msg, (e: Error | null) => void e);
      // The clock starts now, with the process started and idle: start-up is never counted.
      // When the timer fires late (this thread was busy), the answer may be waiting to be read:
      // setImmediate runs after this turn has read pending messages, so such a run finishes normally.
      s.timer = setTimeout(
        () =>
          setImmediate(() => {
            if (s.job !== job) return;
            finish(s);
            retire(s);
            job.reject(o.failure(o.messages.timeout));
            dispatch();
          }),
        o.killAfterMs,
      );
    }
    // Start a process for waiting runs that some started process could not take.
    const starting = [...slots].filter((s) => !s.ready).length;
    if (waiting > starting && slots.size < size) spawnSlot();
  }

  return {
    run(r) {
      if (closed) return Promise.reject(new Error("the transform pool is closed: the process is stopping"));
      const q = queues.get(r.tenant) ?? [];
      if (q.length >= maxQueued) return Promise.reject(o.failure(o.messages.busy(maxQueued)));
      return new Promise<string>((resolve, reject) => {
        q.push({ id: nextId++, run: r, resolve, reject });
        if (!queues.has(r.tenant)) queues.set(r.tenant, q);
        waiting++;
        dispatch();
      });
    },
    resize(n) {
      size = n;
      for (const s of [...slots]) if (slots.size > size && !s.job) retire(s);
      dispatch();
    },
    async close() {
      closed = true;
      const err = new Error("the transform pool is closed: the process is stopping");
      for (const q of queues.values()) for (const j of q) j.reject(err);
      queues.clear();
      waiting = 0;
      const exits: Promise<unknown>[] = [];
      for (const s of [...slots]) {
        const job = s.job;
        if (job) finish(s);
        job?.reject(err);
        if (s.child.exitCode === null && s.child.signalCode === null) exits.push(new Promise((r) => s.child.once("exit", r)));
        retire(s);
      }
      await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, 2000).unref())]);
    },
    stats() {
      return { processes: slots.size, busy: [...slots].filter((s) => s.job).length, waiting };
    },
  };
}
