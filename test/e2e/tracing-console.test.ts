import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import type { Page } from "playwright-core";
import { type Browser, type BuiltConsole, browserMissing, builtConsole, launchBrowser, removeBuilt } from "../support/browser.ts";
import { type TestServer, startServer } from "../support/server.ts";

// The endpoint form's "Propagate trace context" checkbox in a real browser: off for a new webhook,
// saved as tracing.propagate, shown ticked on the next edit, and cleared again.

const TENANT = "tracing-console";
const missing = browserMissing("tracing-console");

describe("console: trace propagation in Chromium", { skip: missing ?? false, timeout: 180_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let built: BuiltConsole;
  let problems: string[] = [];

  before(async () => {
    built = await builtConsole();
    server = await startServer({ TOCSIN_CONSOLE_DIR: built.dir });
    assert.equal((await server.api("POST", "/v1/tenants", { id: TENANT })).status, 201);
    browser = await launchBrowser();
    ({ page, problems } = browser);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    if (server) rmSync(server.dataDir, { recursive: true, force: true });
    removeBuilt(built);
  });

  it("ticks Propagate trace context into tracing.propagate and back", async () => {
    const ep = await server.api<{ id: string; tracing: unknown }>("POST", `/v1/tenants/${TENANT}/endpoints`, {
      url: "https://receiver.example/hook",
      eventTypes: ["*"],
    });
    assert.equal(ep.status, 201);
    const tracingOf = async () => (await server.api<{ tracing: unknown }>("GET", `/v1/tenants/${TENANT}/endpoints/${ep.body.id}`)).body.tracing;
    await page.goto(`${server.url}/`);
    await page.getByLabel("API key").fill(server.apiKey);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Tenants" }).waitFor();

    const edit = async () => {
      await page.goto(`${server.url}/tenants/${TENANT}/endpoints/${ep.body.id}/edit`);
      return page.getByLabel("Propagate trace context");
    };
    const save = async () => {
      await page.getByRole("button", { name: "Save changes" }).click();
      await page
        .locator("#saved-note")
        .getByText(/^✓ Saved at /)
        .waitFor();
    };
    let box = await edit();
    assert.equal(await box.isChecked(), false, "off by default");
    await box.check();
    await save();
    assert.deepEqual(await tracingOf(), { propagate: true });
    await page.goto(`${server.url}/tenants/${TENANT}/endpoints/${ep.body.id}/settings`);
    const row = page.locator("dl.kv-list > div", { has: page.locator("dt", { hasText: /^Trace context$/ }) });
    assert.equal(await row.locator("dd").innerText(), "traceparent sent while the server traces");
    box = await edit();
    assert.equal(await box.isChecked(), true);
    await box.uncheck();
    await save();
    assert.deepEqual(await tracingOf(), { propagate: false });
    assert.deepEqual(problems, []);
  });
});
