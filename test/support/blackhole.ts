import { type ChildProcess, spawn } from "node:child_process";
import { connect } from "node:net";
import { createInterface } from "node:readline";

export interface Blackhole {
  /** A 127.0.0.1 port where TCP connects neither complete nor get refused (they time out). */
  port: number;
  /** Kills the python process holding the port (idempotent). */
  close(): Promise<void>;
}

// Listens with backlog 0 and never accepts; then connects to itself until a connect no longer
// completes (Linux completes handshakes into the accept queue until it is full, then drops SYNs).
// The completed connections stay parked. Prints the port; on a "more" line on stdin parks again
// (prints "ok"); exits when stdin closes.
const SCRIPT = String.raw`
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
s.listen(0)
port = s.getsockname()[1]
parked = []
def park():
    for _ in range(16):
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.settimeout(0.2)
        try:
            c.connect(("127.0.0.1", port))
        except OSError:
            c.close()
            return
        parked.append(c)
    raise SystemExit("blackhole: the backlog never filled")
park()
print(port, flush=True)
for line in sys.stdin:
    if line.strip() == "more":
        park()
        print("ok", flush=True)
`;

const START_TIMEOUT_MS = 5_000;
const PROBE_MS = 300;
const MAX_ROUNDS = 5;

/**
 * For connect-timeout tests: a port on 127.0.0.1 whose listener's accept queue is full, so a new
 * TCP connect hangs in SYN_SENT (neither connects nor is refused). Needs Linux and `python3`.
 * Resolves only after checking from Node that a connect does not complete within 300 ms.
 */
export async function startBlackhole(): Promise<Blackhole> {
  const child = spawn("python3", ["-c", SCRIPT], { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 2_000))]);
  };

  const lines = createInterface({ input: child.stdout! });
  const pending: string[] = [];
  const readers: ((line: string) => void)[] = [];
  lines.on("line", (line) => {
    const r = readers.shift();
    if (r) r(line);
    else pending.push(line);
  });
  const nextLine = (what: string) =>
    new Promise<string>((resolve, reject) => {
      const early = pending.shift();
      if (early !== undefined) return resolve(early);
      const timer = setTimeout(
        () => fail(new Error(`blackhole: no ${what} from python3 within ${START_TIMEOUT_MS} ms${stderr ? `: ${stderr.trim()}` : ""}`)),
        START_TIMEOUT_MS,
      );
      const onExit = () => fail(new Error(`blackhole: python3 exited before ${what}${stderr ? `: ${stderr.trim()}` : ""}`));
      const onError = (err: Error) => fail(new Error(`blackhole: could not run python3: ${err.message}`, { cause: err }));
      const cleanup = () => {
        clearTimeout(timer);
        child.off("exit", onExit);
        child.off("error", onError);
      };
      const fail = (err: Error) => {
        cleanup();
        const i = readers.indexOf(reader);
        if (i >= 0) readers.splice(i, 1);
        reject(err);
      };
      const reader = (line: string) => {
        cleanup();
        resolve(line);
      };
      child.once("exit", onExit);
      child.once("error", onError);
      readers.push(reader);
    });

  try {
    const portLine = await nextLine("port");
    const port = Number(portLine);
    if (!Number.isInteger(port) || port <= 0) throw new Error(`blackhole: python3 printed ${JSON.stringify(portLine)}, not a port`);
    for (let round = 0; ; round++) {
      if (!(await connectCompletes(port, PROBE_MS))) break;
      if (round + 1 >= MAX_ROUNDS) throw new Error(`blackhole: connects to port ${port} still complete after ${MAX_ROUNDS} rounds of parking`);
      child.stdin!.write("more\n");
      const ack = await nextLine("ack");
      if (ack !== "ok") throw new Error(`blackhole: unexpected reply ${JSON.stringify(ack)}`);
    }
    // Don't let a forgotten blackhole keep the test process alive (python3 exits when its stdin
    // closes, i.e. when this process goes away).
    unrefChild(child);
    return { port, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Whether a TCP connect to 127.0.0.1:port completes (or is refused) within `ms`. */
function connectCompletes(port: number, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    const done = (completed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(completed);
    };
    const timer = setTimeout(() => done(false), ms);
    socket.once("connect", () => done(true));
    socket.once("error", () => done(true));
  });
}

function unrefChild(child: ChildProcess) {
  child.unref();
  for (const s of [child.stdin, child.stdout, child.stderr]) {
    (s as unknown as { unref?: () => void } | null)?.unref?.();
  }
}
