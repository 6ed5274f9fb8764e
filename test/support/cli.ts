import { spawn } from "node:child_process";

const BIN = new URL("../../bin/tocsin.js", import.meta.url).pathname;

export interface CliResult {
  code: number | null;
  out: string;
  err: string;
}

export interface CliOptions {
  /** Written to the CLI's stdin (closed either way). */
  input?: string;
  /** The run is killed (code null) after this long. */
  timeoutMs?: number;
  /** Drop every TOCSIN_ variable of the test's own environment, so only `env` reaches the CLI. */
  cleanEnv?: boolean;
}

/** Runs `tocsin` as a child process with `env` added to the environment. */
export function runCli(args: string[], env: Record<string, string>, o: CliOptions = {}): Promise<CliResult> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !(o.cleanEnv && k.startsWith("TOCSIN_"))) base[k] = v;
  const timeoutMs = o.timeoutMs ?? 30_000;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...base, ...env }, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    const timer = setTimeout(() => {
      err += `\n[test: tocsin ${args.join(" ")} killed after ${timeoutMs} ms]`;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout.on("data", (c) => {
      out += c;
    });
    child.stderr.on("data", (c) => {
      err += c;
    });
    child.stdin.on("error", () => {
      // the CLI may exit before reading its input
    });
    child.stdin.end(o.input ?? "");
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

const ROOT = new URL("../../", import.meta.url).pathname;

/**
 * Runs a command line with bash in the checkout's root, as a reader pastes a printed hint into their
 * shell there; stdout and stderr together, killed (code null) after a minute.
 */
export function runShell(command: string, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn("bash", ["-c", command], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (out += c.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}
