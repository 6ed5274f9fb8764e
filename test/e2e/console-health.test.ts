import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import type { Page } from "playwright-core";
import { type Browser, type BuiltConsole, browserMissing, builtConsole, launchBrowser, removeBuilt } from "../support/browser.ts";
import { type Receiver, startReceiver } from "../support/receiver.ts";
import { type TestServer, eventually, startServer } from "../support/server.ts";

// The console tells the truth at a glance, in Chromium: a webhook whose attempts fail is failing
// (or its circuit is open, with the next probe's time), not a green "active"; a waiting delivery
// says what it waits for; Retry asks first and the row stays with its new state; Retry now and
// Retry all failed; the log's filters and the charts' range live in the address; charts fit the
// data, with ticks, bucket ranges and one empty state; URLs wrap at separators; ⚠ says what it is.

const TENANT = "health-e2e";
/** The page's getComputedStyle, typed for these tests (whose types have no DOM); written out in each evaluate, which runs in the page. */
type Styled = { getComputedStyle(e: unknown): Record<string, string> };
const missing = browserMissing("console-health");

type Ep = { id: string; status: string; health: { status: string; circuit: string; consecutiveFailures: number } };
type Dl = { id: string; status: string; endpointId: string; eventId: string; waitingFor?: { reason: string } | null };

describe("web console health, waits and retries in Chromium", { skip: missing ?? false, timeout: 180_000 }, () => {
  let server: TestServer;
  let receiver: Receiver;
  let browser: Browser;
  let page: Page;
  let built: BuiltConsole;
  let problems: string[] = [];
  let expectedFailures = new Set<string>();
  // Per receiver path: the status it answers.
  const answers: Record<string, number> = { "/a": 500, "/c": 500, "/e": 500, "/b": 200, "/r": 200, "/q": 200 };
  const ids: Record<string, string> = {};
  const api = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => server.api<T>(method, path, body);
  const noProblems = (step: string) => assert.deepEqual(problems, [], `browser problems after ${step}`);
  const endpoint = async (id: string) => (await api<Ep>("GET", `/v1/tenants/${TENANT}/endpoints/${id}`)).body;
  const deliveriesOf = async (id: string) => (await api<{ data: Dl[] }>("GET", `/v1/tenants/${TENANT}/deliveries?endpointId=${id}`)).body.data;
  const post = async (n: number, note: string) => {
    for (let i = 0; i < n; i++) assert.equal((await api("POST", `/v1/tenants/${TENANT}/events`, { type: `${note}.fired`, payload: { i } })).status, 202);
  };
  const row = (id: string) => page.locator(`tr[data-delivery="${id}"]`);

  before(async () => {
    built = await builtConsole();
    receiver = await startReceiver((r) => ({ status: answers[r.path] ?? 404 }));
    server = await startServer({
      TOCSIN_CONSOLE_DIR: built.dir,
      // Three quick attempts, then failed; the circuit opens at the 7th failure in a row, for an hour.
      TOCSIN_RETRY_SCHEDULE: "50ms,50ms",
      TOCSIN_CIRCUIT_FAILURES: "7",
      TOCSIN_CIRCUIT_FAILURE_RATE: "0",
      TOCSIN_CIRCUIT_COOLDOWN: "1h",
      TOCSIN_CIRCUIT_MAX_COOLDOWN: "2h",
    });
    assert.equal((await api("POST", "/v1/tenants", { id: TENANT })).status, 201);
    const make = async (key: string, name: string, types: string[], extra: Record<string, unknown> = {}) => {
      const r = await api<{ id: string }>("POST", `/v1/tenants/${TENANT}/endpoints`, { url: `${receiver.url}${key}`, name, eventTypes: types, ...extra });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      ids[key] = r.body.id;
    };
    await make("/a", "Flaky", ["a.*"]);
    await make("/c", "Down", ["c.*"]);
    await make("/e", "Outage", ["e.*"]);
    await make("/b", "Batched", ["b.*"], { batch: { maxEvents: 100, maxWaitMs: 300_000 }, format: { envelope: "array" } });
    await make("/r", "Limited", ["r.*"], { rateLimit: { perSecond: 0.001, burst: 1 }, signing: { scheme: "none" } });
    await make("/q", "Quiet", ["q.*"]);
    await post(1, "a");
    await post(3, "c");
    await post(2, "e");
    await post(1, "b");
    await post(2, "r");
    await eventually(async () => (await endpoint(ids["/a"]!)).health.consecutiveFailures >= 3, 15_000, "three failures on Flaky");
    await eventually(async () => (await endpoint(ids["/c"]!)).health.circuit === "open", 15_000, "Down's circuit to open");
    // Made while the circuit is open: it waits for the circuit (the first three may all have failed).
    await post(1, "c");
    await eventually(async () => (await deliveriesOf(ids["/e"]!)).every((d) => d.status === "failed"), 15_000, "Outage's deliveries to fail");
    await eventually(async () => (await deliveriesOf(ids["/r"]!)).some((d) => d.waitingFor?.reason === "rate_limit"), 15_000, "the rate limit to hold");
    browser = await launchBrowser();
    ({ page, problems, expectedFailures } = browser);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await receiver?.close();
    if (server) rmSync(server.dataDir, { recursive: true, force: true });
    removeBuilt(built);
  });

  it("signs in", async () => {
    await page.goto(`${server.url}/`);
    await page.getByLabel("API key").fill(server.apiKey);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Tenants" }).waitFor();
    noProblems("sign-in");
  });

  it("shows a webhook whose attempts all fail as failing, an open circuit with its next probe, and counts neither as active", async () => {
    const flaky = await endpoint(ids["/a"]!);
    assert.equal(flaky.health.circuit, "closed", "Flaky's circuit is still closed");
    await page.goto(`${server.url}/tenants/${TENANT}/endpoints`);
    const status = (key: string) => page.locator(`tr[data-endpoint="${ids[key]}"] td[data-label="Status"]`);
    await status("/a")
      .locator("[data-health=failing]", { hasText: /^failing$/ })
      .waitFor();
    assert.match(await status("/c").locator("[data-health=failing]").innerText(), /^circuit open — next probe at \d{1,2}:\d\d:\d\d/);
    assert.equal(await status("/b").locator("[data-health]").innerText(), "active");
    // The ⚠ says what it warns about, visibly and to a screen reader.
    const mark = status("/r").locator(".warn-mark");
    assert.match(await mark.innerText(), /⚠ 1 warning/);
    assert.match((await mark.textContent()) ?? "", /signing\.scheme is none/);
    await browser.shot("health-01-integrations");

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Overview" }).click();
    const count = (tone: string) => page.locator(`[data-count=${tone}] dd`);
    await count("failing").waitFor();
    // Flaky and Outage (3 failures in a row each) and Down (circuit open) are failing; Batched, Limited and Quiet are active.
    assert.equal(await count("failing").innerText(), "3");
    assert.equal(await count("active").innerText(), "3");
    noProblems("health");
  });

  it("says what each pending delivery waits for, never a time in the past", async () => {
    await page.goto(`${server.url}/tenants/${TENANT}/deliveries?status=pending`);
    await page.getByRole("heading", { name: "Delivery log" }).waitFor();
    assert.equal(await page.getByLabel("Status").inputValue(), "pending", "the filter comes from the address");
    await page.locator("[data-waiting=circuit_open]").first().waitFor();
    assert.match(await page.locator("[data-waiting=circuit_open]").first().innerText(), /^waiting: circuit open until .+ \(in (59|60) min\)$/);
    assert.match(await page.locator("[data-waiting=batch]").innerText(), /^sent with its batch at .+ \(in [45] min\)$/);
    assert.match(await page.locator("[data-waiting=rate_limit]").innerText(), /^waiting: rate limit, next at .+ \(in \d+ min\)$/);
    for (const text of await page.locator('td[data-label="Last result"]').allInnerTexts()) assert.doesNotMatch(text, /ago/);
    await browser.shot("health-02-waiting");
    noProblems("waiting");
  });

  it("Retry now sends a pending delivery at once after a confirmation, and keeps its row with the new state", async () => {
    const [batched] = await deliveriesOf(ids["/b"]!);
    await row(batched!.id).getByRole("button", { name: "Retry now" }).click();
    const dialog = page.getByRole("dialog", { name: "Send this delivery now?" });
    await dialog.waitFor();
    assert.equal(receiver.requests.filter((r) => r.path === "/b").length, 0, "nothing is sent before the confirmation");
    await dialog.getByRole("button", { name: "Send now" }).click();
    // Filtered on pending, the row stays, and shows that it succeeded.
    await page.locator(`tr[data-delivery="${batched!.id}"][data-status=succeeded]`).waitFor({ timeout: 15_000 });
    await row(batched!.id).getByText("Sent now").waitFor();
    assert.equal(receiver.requests.filter((r) => r.path === "/b").length, 1);

    // While the circuit is open, the refusal names it in the dialog.
    const [down] = (await deliveriesOf(ids["/c"]!)).filter((d) => d.status === "pending");
    expectedFailures.add(`/v1/tenants/${TENANT}/deliveries/${down!.id}/retry`);
    await row(down!.id).getByRole("button", { name: "Retry now" }).click();
    const refused = page.getByRole("dialog", { name: "Send this delivery now?" });
    await refused.getByRole("button", { name: "Send now" }).click();
    await refused
      .getByRole("alert")
      .filter({ hasText: /the endpoint's circuit is open until/ })
      .waitFor();
    await refused.getByRole("button", { name: "Cancel" }).click();
    await row(down!.id).waitFor();
    expectedFailures.clear();
    noProblems("retry now");
  });

  it("says the same on the delivery's and the webhook's pages, and refuses Retry now there while the circuit is open", async () => {
    const [down] = (await deliveriesOf(ids["/c"]!)).filter((d) => d.status === "pending");
    await page.goto(`${server.url}/tenants/${TENANT}/deliveries/${down!.id}`);
    assert.match(await page.locator("[data-waiting=circuit_open]").innerText(), /^waiting: circuit open until /);
    expectedFailures.add(`/v1/tenants/${TENANT}/deliveries/${down!.id}/retry`);
    await page.getByRole("button", { name: "Retry now" }).click();
    const dialog = page.getByRole("dialog", { name: "Send this delivery now?" });
    await dialog.getByRole("button", { name: "Send now" }).click();
    await dialog
      .getByRole("alert")
      .filter({ hasText: /the endpoint's circuit is open until/ })
      .waitFor();
    await dialog.getByRole("button", { name: "Cancel" }).click();
    expectedFailures.clear();
    await page.goto(`${server.url}/tenants/${TENANT}/endpoints/${ids["/c"]}`);
    assert.match(await page.locator("h1 [data-health=failing]").innerText(), /^circuit open — next probe at /);
    await page.getByText(/^next probe at /).waitFor();
    await page.goto(`${server.url}/tenants/${TENANT}/deliveries?status=pending`);
    await page.getByRole("heading", { name: "Delivery log" }).waitFor();
    noProblems("the delivery's page");
  });

  it("Retry on a failed delivery asks first, then shows the row's new state instead of removing it", async () => {
    answers["/a"] = 200;
    await page.getByLabel("Status").selectOption("failed");
    await page.waitForURL(/status=failed/);
    const [flaky] = await deliveriesOf(ids["/a"]!);
    assert.equal(flaky!.status, "failed");
    await row(flaky!.id).getByRole("button", { name: "Retry", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Retry this delivery?" });
    await dialog.getByText("attempt 4").waitFor();
    await dialog.getByRole("button", { name: "Retry", exact: true }).click();
    await page.locator(`tr[data-delivery="${flaky!.id}"][data-status=succeeded]`).waitFor({ timeout: 15_000 });
    await row(flaky!.id).getByText("Retried").waitFor();
    await browser.shot("health-03-retried");
    noProblems("retry");
  });

  it("keeps the log's filters in the address: shareable, and Back restores them", async () => {
    await page.getByLabel("Event type").fill("e.*");
    await page.waitForURL(/type=e\.\*/);
    await page.getByLabel("Time").selectOption("1h");
    await page.waitForURL(/since=1h/);
    const shared = page.url();
    assert.match(shared, /status=failed/);
    await page.goBack();
    await page.waitForURL((u) => !u.search.includes("since="));
    assert.equal(await page.getByLabel("Time").inputValue(), "");
    assert.equal(await page.getByLabel("Event type").inputValue(), "e.*");
    await page.goForward();
    assert.equal(await page.getByLabel("Time").inputValue(), "1h");

    const other = await browser.context.newPage();
    browser.watch(other);
    await other.goto(`${server.url}/`);
    await other.getByLabel("API key").fill(server.apiKey);
    await other.keyboard.press("Enter");
    await other.getByRole("heading", { name: "Tenants" }).waitFor();
    await other.goto(shared);
    assert.equal(await other.getByLabel("Status").inputValue(), "failed");
    assert.equal(await other.getByLabel("Event type").inputValue(), "e.*");
    assert.equal(await other.getByLabel("Time").inputValue(), "1h");
    await other.locator("tr[data-status=failed]").nth(1).waitFor();
    assert.equal(await other.locator("tbody tr").count(), 2, "only Outage's two failed deliveries");
    // The Events page links to one event's deliveries.
    const [limited] = await deliveriesOf(ids["/r"]!);
    await other.goto(`${server.url}/tenants/${TENANT}/deliveries?event=${limited!.eventId}`);
    await other.locator(`tr[data-delivery="${limited!.id}"]`).waitFor();
    assert.equal(await other.locator("tbody tr").count(), 1);
    await other.getByRole("button", { name: "Show every event's" }).click();
    await other.locator("tbody tr").nth(1).waitFor();
    await other.close();
    noProblems("filters in the address");
  });

  it("Retry all failed counts the filter's failed deliveries, asks, and shows a progress bar", async () => {
    answers["/e"] = 200;
    await page.getByLabel("Webhook").selectOption({ label: "Outage" });
    await page.waitForURL(new RegExp(`endpoint=${ids["/e"]}`));
    await page.getByRole("button", { name: "Retry all failed" }).click();
    const dialog = page.getByRole("dialog", { name: "Retry 2 failed deliveries?" });
    await dialog.waitFor();
    await dialog.getByRole("button", { name: "Retry", exact: true }).click();
    await page.locator("#retry-failed-bar[data-state=completed]").waitFor({ timeout: 15_000 });
    assert.equal(await page.locator("#retry-failed-bar").getAttribute("value"), "1");
    await eventually(async () => (await deliveriesOf(ids["/e"]!)).every((d) => d.status === "succeeded"), 15_000, "Outage's deliveries to succeed");
    await browser.shot("health-04-retry-all-failed");
    noProblems("retry all failed");
  });

  it("offers no retry to a read-only key", async () => {
    const key = await api<{ key: string }>("POST", `/v1/tenants/${TENANT}/keys`, { name: "viewer", scopes: ["read"] });
    assert.equal(key.status, 201);
    const viewer = await browser.context.newPage();
    browser.watch(viewer);
    await viewer.goto(`${server.url}/`);
    await viewer.getByLabel("API key").fill(key.body.key);
    await viewer.keyboard.press("Enter");
    const integrations = viewer.getByRole("heading", { name: "Integrations" });
    await viewer.getByLabel("Tenant id").or(integrations).first().waitFor();
    if (await viewer.getByLabel("Tenant id").isVisible()) {
      await viewer.getByLabel("Tenant id").fill(TENANT);
      await viewer.keyboard.press("Enter");
    }
    await integrations.waitFor();
    await viewer.goto(`${server.url}/tenants/${TENANT}/deliveries`);
    await viewer.locator("tbody tr").first().waitFor();
    assert.equal(await viewer.getByRole("button", { name: /Retry/ }).count(), 0);
    await viewer.close();
    noProblems("read-only");
  });

  it("fits the chart's range to the data, with time ticks, bucket ranges, one empty state and the range in the address", async () => {
    await page.goto(`${server.url}/tenants/${TENANT}/overview`);
    const chart = page.locator("[data-chart=outcomes] svg.chart");
    await chart.waitFor();
    assert.equal(await page.getByLabel("Range").inputValue(), "1h", "minutes-old deliveries: the last hour");
    const ticks = await chart.locator("g.axis-tick text").allTextContents();
    assert.ok(ticks.length >= 4, `ticks: ${ticks.join(" | ")}`);
    assert.equal(ticks.at(-1), "now");
    for (const t of ticks.slice(0, -1)) assert.match(t, /\d{1,2}:\d\d/);
    const tip = await chart.locator("g[data-bucket] rect.bucket-hit title").last().textContent();
    assert.match(tip ?? "", /\d{1,2}:\d\d.* – .*\d{1,2}:\d\d.*: (no deliveries|\d+ \w+(, \d+ \w+)*)$/);
    await page.getByText("Test calls (the Send test button) are sent outside the delivery queue and are not counted.").waitFor();

    await page.getByLabel("Range").selectOption("7d");
    await page.waitForURL(/range=7d/);
    await chart.locator("g.axis-tick").first().waitFor();
    await page.getByLabel("Webhook").selectOption({ label: "Quiet" });
    await page.waitForURL(/endpoint=/);
    await page.locator("[data-chart=empty]").waitFor();
    assert.equal(await page.locator("[data-chart=empty]").innerText(), "No deliveries in the last 7 days; a longer range may hold older ones.");
    assert.equal(await page.locator("figure[data-chart]").count(), 0, "one empty state, not an empty chart for each figure");
    await page.goBack();
    await page.goBack();
    await page.waitForURL((u) => u.search === "");
    await chart.waitFor();
    assert.equal(await page.getByLabel("Range").inputValue(), "1h", "fitted again");
    await browser.shot("health-05-charts");
    noProblems("charts");
  });

  it("wraps URLs and bodies at sensible points, not mid-word", async () => {
    await page.goto(`${server.url}/tenants/${TENANT}/endpoints`);
    const cell = page.locator(`tr[data-endpoint="${ids["/a"]}"] td[data-label="Webhook"] .break`).last();
    await cell.waitFor();
    assert.ok((await cell.locator("wbr").count()) >= 3, "break opportunities after the URL's separators");
    assert.equal(await cell.evaluate((el) => (globalThis as unknown as Styled).getComputedStyle(el).overflowWrap), "break-word");
    const [flaky] = await deliveriesOf(ids["/a"]!);
    await page.goto(`${server.url}/tenants/${TENANT}/deliveries/${flaky!.id}`);
    const pre = page.locator("details.attempt pre").first();
    await pre.waitFor();
    assert.deepEqual(
      await pre.evaluate((el) => {
        const s = (globalThis as unknown as Styled).getComputedStyle(el);
        return [s.wordBreak, s.overflowWrap];
      }),
      ["normal", "anywhere"],
    );
    noProblems("wrapping");
  });
});
