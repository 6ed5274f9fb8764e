import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { browserMissing } from "../support/browser.ts";
import { signIn, useConsoleSession } from "../support/console-form.ts";

// The endpoint form's "Damp flapping alerts" checkbox in a real browser: off for a new webhook,
// saved as `flapping` with the numbers given and the defaults for the blank ones, shown in the
// settings summary, and turned off again.

const TENANT = "flapping-console";
const missing = browserMissing("flapping-console");

describe("console: flap damping in Chromium", { skip: missing ?? false, timeout: 180_000 }, () => {
  const session = useConsoleSession(TENANT);

  it("ticks Damp flapping alerts into flapping, summarises it, and clears it", async () => {
    const { server, page, problems } = session;
    const ep = await server.api<{ id: string }>("POST", `/v1/tenants/${TENANT}/endpoints`, { url: "https://receiver.example/hook", eventTypes: ["*"] });
    assert.equal(ep.status, 201);
    const flappingOf = async () => (await server.api<{ flapping: unknown }>("GET", `/v1/tenants/${TENANT}/endpoints/${ep.body.id}`)).body.flapping;
    await signIn(page, server);

    const edit = async () => {
      await page.goto(`${server.url}/tenants/${TENANT}/endpoints/${ep.body.id}/edit`);
      return page.getByLabel("Damp flapping alerts");
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
    await page.getByLabel("Restarts allowed").fill("3");
    await page.getByLabel("Stable for (s)").fill("120");
    await save();
    assert.deepEqual(await flappingOf(), { transitions: 3, windowMin: 30, stableSec: 120 }, "the blank window takes the default");
    await page.goto(`${server.url}/tenants/${TENANT}/endpoints/${ep.body.id}/settings`);
    const row = page.locator("dl.kv-list > div", { has: page.locator("dt", { hasText: /^Flap damping$/ }) });
    assert.equal(await row.locator("dd").innerText(), "after more than 3 restarts in 30 min, held until stable for 120 s");
    box = await edit();
    assert.equal(await box.isChecked(), true);
    assert.equal(await page.getByLabel("Within (min)").inputValue(), "30");
    await box.uncheck();
    await save();
    assert.equal(await flappingOf(), null);
    assert.deepEqual(problems, []);
  });
});
