import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { browserMissing } from "../support/browser.ts";
import { signIn, useConsoleSession } from "../support/console-form.ts";

// The endpoint form's Digest fields in a real browser: ticked and filled into `digest`, shown in the
// settings summary, a bad window caught under its field, and unticked back to null.

const TENANT = "digest-console";
const missing = browserMissing("digest-console");

describe("console: digests in Chromium", { skip: missing ?? false, timeout: 180_000 }, () => {
  const session = useConsoleSession(TENANT);

  it("saves Send digests with its window and group key, shows it, and clears it", async () => {
    const { server, page, problems } = session;
    const ep = await server.api<{ id: string }>("POST", `/v1/tenants/${TENANT}/endpoints`, { url: "https://receiver.example/hook", eventTypes: ["*"] });
    assert.equal(ep.status, 201);
    const digestOf = async () => (await server.api<{ digest: unknown }>("GET", `/v1/tenants/${TENANT}/endpoints/${ep.body.id}`)).body.digest;
    await signIn(page, server);

    const edit = async () => {
      await page.goto(`${server.url}/tenants/${TENANT}/endpoints/${ep.body.id}/edit`);
      return page.getByLabel("Send digests");
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
    await page.getByLabel("Digest window").fill("5s");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByText("must be from 10s to 24h").waitFor();
    await page.getByLabel("Digest window").fill("2m");
    await page.getByLabel("Group by").fill("payload.host");
    await save();
    assert.deepEqual(await digestOf(), { windowSec: 120, maxEvents: 100, groupBy: "payload.host" });
    await page.goto(`${server.url}/tenants/${TENANT}/endpoints/${ep.body.id}/settings`);
    const row = page.locator("dl.kv-list > div", { has: page.locator("dt", { hasText: /^Digest$/ }) });
    assert.equal(await row.locator("dd").innerText(), "first event at once, then one digest per 2m per payload.host (up to 100 events listed)");
    box = await edit();
    assert.equal(await box.isChecked(), true);
    assert.equal(await page.getByLabel("Digest window").inputValue(), "2m");
    await box.uncheck();
    await save();
    assert.equal(await digestOf(), null);
    assert.deepEqual(problems, []);
  });
});
