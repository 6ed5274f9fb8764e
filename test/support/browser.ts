import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { type BrowserContext, type Page, chromium } from "playwright-core";
import { tempDir } from "./server.ts";

// The web console in Debian's Chromium, for the browser tests: where the built console is, how the
// browser is launched, and the page problems (console errors, uncaught errors) that fail a test.

export const CHROMIUM = "/usr/bin/chromium";
const ROOT = new URL("../../", import.meta.url).pathname;
const WEB = join(ROOT, "web");
/** Screenshots of failed and passed steps: kept out of git by their own .gitignore. */
export const ARTIFACTS = join(ROOT, "test-artifacts", "console");

/**
 * Why a browser test cannot run here, or null. With CI=true a missing browser is an error, so CI
 * never passes a browser test by skipping it.
 */
export function browserMissing(name: string): string | null {
  const missing = existsSync(CHROMIUM) ? null : `${CHROMIUM} is missing (apt-get install chromium); the browser test cannot run`;
  if (missing && process.env.CI === "true") throw new Error(`${missing}, and CI=true requires it`);
  if (missing) console.log(`# SKIP ${name}: ${missing}`);
  return missing;
}

/** The newest modification time under `dir` (the console's sources), in ms. */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === "dist" || e.name === "node_modules") continue;
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

export interface BuiltConsole {
  dir: string;
  temp: boolean;
}

/**
 * The built console to serve: web/dist when it is newer than every source file (`npm test`
 * builds it first), else a fresh build in a temp folder, so web/dist is never rewritten under
 * another test.
 */
export async function builtConsole(): Promise<BuiltConsole> {
  const index = join(WEB, "dist", "index.html");
  if (existsSync(index) && statSync(index).mtimeMs >= Math.max(newest(join(WEB, "src")), statSync(join(WEB, "index.html")).mtimeMs)) {
    return { dir: join(WEB, "dist"), temp: false };
  }
  const dir = tempDir("tocsin-console-");
  const vite = join(ROOT, "node_modules", "vite", "bin", "vite.js");
  await promisify(execFile)(
    process.execPath,
    [vite, "build", "--config", join(WEB, "vite.config.ts"), "--outDir", dir, "--emptyOutDir", "--logLevel", "warn"],
    { cwd: ROOT, timeout: 60_000 },
  );
  return { dir, temp: true };
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught page errors seen so far, in order. */
  problems: string[];
  /** Paths whose failed loads are provoked on purpose (a refused form): their console lines are expected. */
  expectedFailures: Set<string>;
  /** Starts recording another page's problems (popups, second tabs). */
  watch(p: Page): void;
  shot(name: string, p?: Page): Promise<Buffer>;
  close(): Promise<void>;
}

/** Launches headless Chromium with a throwaway profile, and records every page problem. */
export async function launchBrowser(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  // Screenshots stay out of git without touching the repository's .gitignore.
  writeFileSync(join(ROOT, "test-artifacts", ".gitignore"), "*\n");
  const userDataDir = tempDir("tocsin-chromium-");
  const problems: string[] = [];
  const expectedFailures = new Set<string>();
  const watch = (p: Page) => {
    p.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    p.on("console", (m) => {
      if (m.type() !== "error") return;
      const url = m.location().url;
      if (/^Failed to load resource/.test(m.text()) && url && expectedFailures.has(new URL(url).pathname)) return;
      problems.push(`console error: ${m.text()} (${url})`);
    });
  };
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--disable-sync",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
    ],
    viewport: { width: 1280, height: 900 },
    timeout: 30_000,
  });
  context.setDefaultTimeout(10_000);
  const page = context.pages()[0] ?? (await context.newPage());
  watch(page);
  return {
    context,
    page,
    problems,
    expectedFailures,
    watch,
    shot: (name, p = page) => p.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true }),
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Removes a console built into a temp folder by builtConsole(). */
export function removeBuilt(built: BuiltConsole | undefined): void {
  if (built?.temp) rmSync(built.dir, { recursive: true, force: true });
}

/**
 * Waits until the delivery log shows exactly `n` rows of `status` (it refreshes itself). Polled from
 * here: the page's CSP forbids the string evaluation `waitForFunction` would need.
 */
export async function rows(page: Page, status: string, n: number, timeoutMs = 15_000): Promise<void> {
  const locator = page.locator(`tr[data-status="${status}"]`);
  const deadline = Date.now() + timeoutMs;
  let count = await locator.count();
  while (count !== n) {
    if (Date.now() > deadline) throw new Error(`the delivery log shows ${count} ${status} deliveries, not ${n}, after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
    count = await locator.count();
  }
}
