import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before } from "node:test";
import type { Page } from "playwright-core";
import { type Browser, type BuiltConsole, builtConsole, launchBrowser, removeBuilt } from "./browser.ts";
import { type TestServer, startServer } from "./server.ts";

/** What a console form test works with once its `before` hook ran. */
export interface ConsoleSession {
  server: TestServer;
  page: Page;
  /** The page's console errors and failed requests, collected as it runs. */
  problems: string[];
}

/**
 * Registers, in the calling `describe`, hooks that serve the built console from a fresh server with
 * tenant `tenant` and open a browser page, and that close them all afterwards. The returned object
 * is filled in by the `before` hook.
 */
export function useConsoleSession(tenant: string): ConsoleSession {
  const session = {} as ConsoleSession;
  let built: BuiltConsole | undefined;
  let browser: Browser | undefined;
  before(async () => {
    built = await builtConsole();
    session.server = await startServer({ TOCSIN_CONSOLE_DIR: built.dir });
    assert.equal((await session.server.api("POST", "/v1/tenants", { id: tenant })).status, 201);
    browser = await launchBrowser();
    session.page = browser.page;
    session.problems = browser.problems;
  });
  after(async () => {
    await browser?.close();
    await session.server?.stop();
    if (session.server) rmSync(session.server.dataDir, { recursive: true, force: true });
    removeBuilt(built);
  });
  return session;
}

/** Signs the page in with the server's admin key and waits for the Tenants page. */
export async function signIn(page: Page, server: TestServer): Promise<void> {
  await page.goto(`${server.url}/`);
  await page.getByLabel("API key").fill(server.apiKey);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Tenants" }).waitFor();
}
