import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { browserMissing } from "../support/browser.ts";
import { signIn, useConsoleSession } from "../support/console-form.ts";

// The endpoint form's "Propagate trace context" checkbox in a real browser: off for a new webhook,
// saved as tracing.propagate, shown ticked on the next edit, and cleared again.

const TENANT = "tracing-console";
const missing = browserMissing("tracing-console");

describe("console: trace propagation in Chromium", { skip: missing ?? false, timeout: 180_000 }, () => {
  const session = useConsoleSession(TENANT);

  it("ticks Propagate trace context into tracing.propagate and back", async () => {
    const { server, page, problems } = session;
    const ep = await server.api<{ id: string; tracing: unknown }>("POST", `/v1/tenants/${TENANT}/endpoints`, {
      url: "https://receiver.example/hook",
      eventTypes: ["*"],
    });
    assert.equal(ep.status, 201);
    const tracingOf = async () => (await server.api<{ tracing: unknown }>("GET", `/v1/tenants/${TENANT}/endpoints/${ep.body.id}`)).body.tracing;
    await signIn(page, server);

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
