import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "../support/receiver.ts";
import { tempDir } from "../support/server.ts";

// The command blocks of README.md, docs/getting-started.md, docs/examples.md and the vendor
// READMEs in examples/, run in order as a reader pastes them, against the server they start, so
// a documented command that stops working fails here.
//
// - Each doc runs in a fresh copy of the checkout: a temporary folder of symbolic links to the
//   repository's top-level entries, without `data/`, so `npm start` and every `npm run -s tocsin`
//   use a new data folder there (`data/admin-key` as the docs say) and the user's ./data is not
//   touched.
// - The environment is the test's without its TOCSIN_* and npm_* variables, plus TOCSIN_PORT set
//   to a free port, which `npm start` and the CLI honour; the one documented address a command
//   spells out (`localhost:3000`, `127.0.0.1:3000`, in curl lines) is rewritten to that port.
//   `tocsin listen` has no such variable: it takes its documented port, 4000, which must be free
//   (else the test is skipped with a message, and fails under CI=true).
// - With the console already built (web/dist, as `npm test`'s pretest leaves it) `npm start` runs
//   with npm's ignore-scripts, so its prestart does not build it again (npm still runs the start
//   script itself); without it, prestart builds it as for a reader.
// - Skipped, with a note: `git clone` and `cd tocsin` (this checkout is the clone), `npm ci` and
//   `npm install` (node_modules is installed), `npm test` (the suite this test is part of), and a
//   block with placeholders to fill (`KEY=...`, `<this repository>`).
// - Long-running commands (`npm start`, `tocsin serve|api|worker|listen`, a trailing `&`) start in
//   the background, each in its own process group, and are waited for: a server until its
//   /readyz answers, `tocsin listen` until it prints that it listens. A server started while one
//   runs replaces it, as a reader stops the first with Ctrl-C (the data folder is locked). At the
//   end each is stopped as Ctrl-C does (SIGINT to its group), then SIGKILL to the group if any of
//   it is still there after 15 s. Nothing outside those groups is signalled.
// - Every other command runs in one bash, in order (so an alias or a variable set by one line is
//   there for the next), with stdin closed; it must exit 0.
// - README and getting-started end with a signed webhook verified at `tocsin listen`: its output
//   must show `✔ signature verified`, and its Ctrl-C must delete its endpoint and print the
//   summary; getting-started's output blocks are listen's output, and each of their lines must be
//   in what it printed (ids, secrets, times and signatures aside). docs/examples.md and the vendor
//   READMEs run after what docs/examples.md says to start (Tocsin allowing loopback receivers,
//   `tocsin listen` on port 4000), and every `--receiver-url` they name must get a webhook.
// - A `curl` line is skipped, with a note, where curl is not installed.

const ROOT = new URL("../../", import.meta.url).pathname;

interface DocRun {
  /** Files whose blocks run one after the other, in one terminal session. */
  docs: string[];
  /** What the docs say to have running first, when they do not start it themselves. */
  setup?: string[];
  /** The end: a webhook that `tocsin listen --tenant` verifies, or one at each `--receiver-url` the commands name. */
  expect: "verified" | "received";
  /** The docs' output blocks (fenced, no language) show tocsin listen's output: each of their lines must be in it. */
  listenOutput?: boolean;
}

const VENDORS = readdirSync(join(ROOT, "examples"), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(ROOT, "examples", d.name, "README.md")))
  .map((d) => `examples/${d.name}/README.md`)
  .sort();
const RUNS: DocRun[] = [
  { docs: ["README.md"], expect: "verified" },
  { docs: ["docs/getting-started.md"], expect: "verified", listenOutput: true },
  // docs/examples.md: start Tocsin allowing loopback receivers, and tocsin listen on port 4000.
  { docs: ["docs/examples.md", ...VENDORS], setup: ["TOCSIN_ALLOW_PRIVATE_NETWORKS=true npm start", "npm run -s tocsin -- listen"], expect: "received" },
];
/** `tocsin listen`'s default port, which the docs rely on. */
const LISTEN_PORT = 4000;
const SHELL_LANGS = new Set(["sh", "bash", "shell", "console"]);
const STEP_TIMEOUT_MS = 60_000;
const READY_TIMEOUT_MS = 120_000;
const POLL_MS = 100;

export interface DocCommand {
  /** 1-based line of the command in its file. */
  line: number;
  text: string;
}

export interface DocBlock {
  line: number;
  commands: DocCommand[];
}

/** The fenced shell blocks of a Markdown text, each as its commands (`$ ` prompts and output lines of console blocks dropped, `\` continuations joined). */
export function commandBlocks(markdown: string): DocBlock[] {
  const lines = markdown.split("\n");
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*(`{3,}|~{3,})\s*([\w-]*)/.exec(lines[i]!);
    if (!open) continue;
    const fence = open[1]!;
    const lang = open[2]!.toLowerCase();
    let j = i + 1;
    while (j < lines.length && !lines[j]!.trimStart().startsWith(fence)) j++;
    if (SHELL_LANGS.has(lang)) blocks.push({ line: i + 1, commands: commandsOf(lines.slice(i + 1, j), lang === "console", i + 2) });
    i = j;
  }
  return blocks;
}

/** The lines of the fenced blocks without a language: the output the docs show. */
export function outputBlocks(markdown: string): DocCommand[] {
  const lines = markdown.split("\n");
  const out: DocCommand[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*(`{3,}|~{3,})\s*([\w-]*)/.exec(lines[i]!);
    if (!open) continue;
    let j = i + 1;
    while (j < lines.length && !lines[j]!.trimStart().startsWith(open[1]!)) {
      if (open[2] === "" && lines[j]!.trim() !== "") out.push({ line: j + 1, text: lines[j]! });
      j++;
    }
    i = j;
  }
  return out;
}

/** A line of tocsin listen's output with what differs from run to run (ids, secrets, times, signatures) made constant. */
function normalised(line: string): string {
  return line
    .trimEnd()
    .replace(/\b(ep|evt)_[0-9A-Z]{26}\b/g, "$1_…")
    .replace(/whsec_\S+/g, "whsec_…")
    .replace(/\b\d\d:\d\d:\d\d\.\d{3}\b/g, "hh:mm:ss.mmm")
    .replace(/(webhook-timestamp: )\d+/, "$1…")
    .replace(/(webhook-signature: v1,)\S+/, "$1…")
    .replace(/signed \d+ s ago/, "signed … s ago");
}

function commandsOf(body: string[], prompted: boolean, firstLine: number): DocCommand[] {
  const out: DocCommand[] = [];
  let open: DocCommand | null = null;
  body.forEach((raw, k) => {
    if (open) {
      open.text += `\n${prompted ? raw.replace(/^\s*> ?/, "") : raw}`;
      if (!raw.endsWith("\\")) open = null;
      return;
    }
    let text = raw;
    if (prompted) {
      if (!/^\s*\$ /.test(raw)) return;
      text = raw.replace(/^\s*\$ /, "");
    }
    if (text.trim() === "" || text.trimStart().startsWith("#")) return;
    const c = { line: firstLine + k, text };
    out.push(c);
    if (text.endsWith("\\")) open = c;
  });
  return out;
}

type Plan = { run: "skip"; why: string } | { run: "shell" } | { run: "server" | "listen" | "background" };

const SKIPPED: [RegExp, string][] = [
  [/^git clone\b/, "this checkout is the clone"],
  [/^cd tocsin\b/, "this checkout is the clone"],
  [/^npm (ci|install|i)\b/, "node_modules is installed"],
  [/^npm (test|t)\b/, "the test suite this test is part of"],
];
const PLACEHOLDER = /=\.\.\.(\s|$)|<[a-z][\w ]*>/;
const SERVER = /\bnpm start\b|\btocsin(\.js)?(\s+--)?\s+(serve|api)\b/;
const LISTEN = /\btocsin(\.js)?(\s+--)?\s+listen\b/;
const WORKER = /\btocsin(\.js)?(\s+--)?\s+worker\b/;

export function planOf(command: string): Plan {
  for (const [re, why] of SKIPPED) if (re.test(command.trim())) return { run: "skip", why };
  if (SERVER.test(command)) return { run: "server" };
  if (LISTEN.test(command)) return { run: "listen" };
  if (WORKER.test(command) || /&\s*(#.*)?$/.test(command)) return { run: "background" };
  return { run: "shell" };
}

/** The environment of a new terminal: the test's, less its TOCSIN_*, npm_* and node:test variables. */
function readerEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || /^(TOCSIN_|npm_|NODE_TEST_)/i.test(k) || k === "NODE_OPTIONS" || k === "INIT_CWD") continue;
    env[k] = v;
  }
  return { ...env, npm_config_update_notifier: "false", ...extra };
}

/** A fresh copy of the checkout: links to the repository's top-level entries, without data/ and .git. */
function checkoutCopy(): string {
  const dir = tempDir("tocsin-docs-");
  for (const name of readdirSync(ROOT)) if (name !== "data" && name !== ".git") symlinkSync(join(ROOT, name), join(dir, name));
  return dir;
}

async function portFree(port: number): Promise<boolean> {
  const s = createServer();
  const ok = await new Promise<boolean>((resolve) => {
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => resolve(true));
  });
  if (ok) await new Promise<void>((resolve) => s.close(() => resolve()));
  return ok;
}

/** One bash that runs the commands in order, as a reader's terminal does. */
class Shell {
  private readonly child: ChildProcess;
  private out = "";
  private err = "";
  private readonly exited: Promise<number | null>;

  constructor(cwd: string, env: Record<string, string>) {
    this.child = spawn("bash", ["--noprofile", "--norc"], { cwd, env, detached: true, stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout!.on("data", (c: Buffer) => (this.out += c.toString("utf8")));
    this.child.stderr!.on("data", (c: Buffer) => (this.err += c.toString("utf8")));
    this.exited = new Promise((resolve) => this.child.on("exit", (code) => resolve(code)));
    this.child.stdin!.write("shopt -s expand_aliases\n");
  }

  /** Runs `command` (stdin closed); its exit code and what it printed. */
  async run(command: string): Promise<{ code: number | null; output: string }> {
    const marker = `__step_done_${randomBytes(6).toString("hex")}__`;
    const [outFrom, errFrom] = [this.out.length, this.err.length];
    this.child.stdin!.write(`{ ${command}\n} </dev/null; printf '\\n${marker} %s\\n' "$?"\n`);
    const done = new RegExp(`\\n${marker} (\\d+)\\n`);
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    for (let n = 0; n < STEP_TIMEOUT_MS / 20 && Date.now() < deadline; n++) {
      const m = done.exec(this.out.slice(outFrom));
      if (m) return { code: Number(m[1]), output: this.out.slice(outFrom, outFrom + m.index) + this.err.slice(errFrom) };
      if (this.child.exitCode !== null) break;
      await sleep(20);
    }
    const output = this.out.slice(outFrom) + this.err.slice(errFrom);
    await this.close();
    return { code: null, output: `${output}\n[not finished within ${STEP_TIMEOUT_MS / 1000} s: the shell was stopped]` };
  }

  async runAndClose(command: string): Promise<{ code: number | null; output: string }> {
    try {
      return await this.run(command);
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.stdin!.end();
    await groupGone(this.child, this.exited, 5_000);
  }
}

/** Sends `signal` to the process group `child` leads (it and what it started, nothing else); false when none of them is left. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-child.pid!, signal);
    return true;
  } catch {
    return false;
  }
}

/** Waits until `child` and every process of its group have exited: up to `ms`, then SIGKILL to the group. */
async function groupGone(child: ChildProcess, exited: Promise<number | null>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (let n = 0; n < ms / POLL_MS && Date.now() < deadline; n++) {
    if (child.exitCode === null && child.signalCode === null) await Promise.race([exited, sleep(POLL_MS, undefined, { ref: false })]);
    else if (!signalGroup(child, 0)) return true;
    else await sleep(POLL_MS);
  }
  signalGroup(child, "SIGKILL");
  await exited;
  return false;
}

/** A long-running command, in its own process group. */
class Background {
  readonly child: ChildProcess;
  readonly command: string;
  readonly plan: "server" | "listen" | "background";
  output = "";
  readonly exited: Promise<number | null>;

  constructor(command: string, plan: "server" | "listen" | "background", cwd: string, env: Record<string, string>, aliases: string[]) {
    this.command = command;
    this.plan = plan;
    const script = [...(aliases.length ? ["shopt -s expand_aliases", ...aliases] : []), command.replace(/&\s*(#.*)?$/, "")].join("\n");
    this.child = spawn("bash", ["--noprofile", "--norc", "-c", script], { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    this.child.stdout!.on("data", (c: Buffer) => (this.output += c.toString("utf8")));
    this.child.stderr!.on("data", (c: Buffer) => (this.output += c.toString("utf8")));
    this.exited = new Promise((resolve) => this.child.on("exit", (code) => resolve(code)));
  }

  running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Stops it as Ctrl-C in its terminal does (SIGINT to the process group), then SIGKILL after 15 s. */
  async stop(): Promise<number | null> {
    if (signalGroup(this.child, "SIGINT") && !(await groupGone(this.child, this.exited, 15_000))) {
      this.output += "\n[still running 15 s after Ctrl-C: killed]";
    }
    return await this.exited;
  }
}

/** Polls `check` every POLL_MS until it is true, `bg` exits, or `timeoutMs` passes. */
async function waitFor(bg: Background, what: string, timeoutMs: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let n = 0; n < timeoutMs / POLL_MS && Date.now() < deadline; n++) {
    if (await check()) return;
    if (!bg.running()) assert.fail(`${bg.command}\nexited (${bg.child.exitCode ?? bg.child.signalCode}) before ${what}:\n${bg.output}`);
    await sleep(POLL_MS);
  }
  assert.fail(`${bg.command}\n${what} did not happen within ${timeoutMs / 1000} s:\n${bg.output}`);
}

async function runDocs(t: TestContext, run: DocRun): Promise<void> {
  if (!(await portFree(LISTEN_PORT))) {
    const why = `port ${LISTEN_PORT}, where the docs' tocsin listen receives, is in use`;
    if (process.env.CI === "true") assert.fail(why);
    t.skip(why);
    return;
  }
  const port = await freePort();
  const hasCurl = (await new Shell(ROOT, readerEnv({})).runAndClose("command -v curl")).code === 0;
  const dir = checkoutCopy();
  const builtConsole = existsSync(join(ROOT, "web/dist/index.html"));
  if (builtConsole) t.diagnostic("web/dist is built: npm start runs without its prestart build (npm ignore-scripts)");
  const env = readerEnv({ TOCSIN_PORT: String(port), ...(builtConsole ? { npm_config_ignore_scripts: "true" } : {}) });
  const shell = new Shell(dir, env);
  const started: Background[] = [];
  const aliases: string[] = [];
  const receiverPaths = new Set<string>();
  let ran = 0;
  const sources: { doc: string; blocks: DocBlock[] }[] = [
    { doc: "(what the docs say to have running)", blocks: [{ line: 0, commands: (run.setup ?? []).map((text) => ({ line: 0, text })) }] },
    ...run.docs.map((doc) => ({ doc, blocks: commandBlocks(readFileSync(join(ROOT, doc), "utf8")) })),
  ];
  try {
    for (const { doc, blocks } of sources) {
      for (const block of blocks) {
        const plans = block.commands.map((c) => ({ c, plan: planOf(c.text) }));
        if (plans.some(({ c, plan }) => plan.run !== "skip" && PLACEHOLDER.test(c.text))) {
          t.diagnostic(`${doc}:${block.line}: skipped: a template with placeholders to fill`);
          continue;
        }
        for (const { c, plan } of plans) {
          const where = `${doc}:${c.line}`;
          const command = c.text.replace(/\b(localhost|127\.0\.0\.1):3000\b/g, `$1:${port}`);
          if (plan.run === "skip") {
            t.diagnostic(`${where}: skipped (${plan.why}): ${c.text}`);
            continue;
          }
          if (/^curl\s/.test(command.trim()) && !hasCurl) {
            t.diagnostic(`${where}: skipped (curl is not installed here): ${c.text.split("\n")[0]}`);
            continue;
          }
          ran++;
          for (const m of command.matchAll(/--receiver-url\s+http:\/\/127\.0\.0\.1:4000(\/\S*)/g)) receiverPaths.add(m[1]!);
          if (plan.run === "shell") {
            const r = await shell.run(command);
            assert.equal(r.code, 0, `${where}: ${c.text}\nexited ${r.code}:\n${r.output}`);
            if (/^alias\s/.test(command.trim())) aliases.push(command.trim());
            continue;
          }
          if (plan.run === "server") {
            for (const old of started.filter((b) => b.plan === "server" && b.running())) await old.stop();
          }
          const bg = new Background(command, plan.run, dir, env, aliases);
          started.push(bg);
          if (plan.run === "server") {
            await waitFor(bg, `GET /readyz answered 200 on port ${port}`, READY_TIMEOUT_MS, async () => {
              try {
                return (await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2_000) })).status === 200;
              } catch {
                return false;
              }
            });
          } else if (plan.run === "listen") {
            await waitFor(
              bg,
              "listening (and registered with --tenant)",
              60_000,
              () => bg.output.includes("Listening on ") && (!/--tenant\b/.test(command) || /\nTry: /.test(bg.output)),
            );
          } else {
            await sleep(1_000);
            assert.ok(bg.running(), `${where}: ${c.text}\nexited at once:\n${bg.output}`);
          }
        }
      }
    }
    const name = run.docs.join(", ");
    assert.ok(ran >= 3, `${name}: only ${ran} command(s) ran: are the blocks still \`\`\`sh?`);
    const listeners = started.filter((b) => b.plan === "listen");
    assert.ok(listeners.length > 0, `${name}: no tocsin listen ran`);
    const last = listeners.at(-1)!;
    if (run.expect === "verified") {
      await waitFor(last, "a webhook shown with ✔ signature verified", 30_000, () => last.output.includes("✔ signature verified"));
    } else {
      assert.ok(receiverPaths.size > 0, `${name}: no --receiver-url on port ${LISTEN_PORT}`);
      for (const path of receiverPaths) {
        const arrived = new RegExp(`── #\\d+ +[\\d:.]+ +[A-Z]+ ${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} +\\(`);
        await waitFor(last, `a webhook at ${path}`, 30_000, () => arrived.test(last.output));
      }
    }
    // npm passes Ctrl-C on and then ends by it, as in a terminal: listen's own summary says how it stopped.
    await last.stop();
    assert.doesNotMatch(last.output, /again: stopping now|could not delete endpoint/);
    if (run.listenOutput) {
      const shown = new Set(last.output.split("\n").map(normalised));
      for (const doc of run.docs) {
        for (const l of outputBlocks(readFileSync(join(ROOT, doc), "utf8"))) {
          assert.ok(shown.has(normalised(l.text)), `${doc}:${l.line} shows a line tocsin listen did not print:\n${l.text}\nIt printed:\n${last.output}`);
        }
      }
    }
    if (run.expect === "verified") {
      assert.match(last.output, /Deleted endpoint ep_\w+\./);
      assert.match(last.output, /Stopped\. \d+ request\(s\): \d+ webhook\(s\), [1-9]\d* verified/);
    } else {
      assert.match(last.output, /Stopped\. [1-9]\d* request\(s\)/);
    }
  } finally {
    for (const bg of started.toReversed()) await bg.stop();
    await shell.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("the docs' commands, run as written", () => {
  for (const run of RUNS) {
    const what = run.expect === "verified" ? "up to a verified webhook" : "up to a webhook at each receiver URL";
    it(`${run.docs.join(", ")}: every command block, in order, ${what}`, { timeout: 300_000 }, (t) => runDocs(t, run));
  }
});
