import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import type { BrowserContext, Page } from "playwright-core";
import { type Browser, type BuiltConsole, browserMissing, builtConsole, launchBrowser, removeBuilt, rows } from "../support/browser.ts";
import { type Receiver, startReceiver } from "../support/receiver.ts";
import { type TestServer, startServer } from "../support/server.ts";

// The seed flow in a real browser: sign in, add a webhook, Test it, watch deliveries arrive,
// inspect an attempt, retry and replay, rotate the secret, disable, delete; then a customer's
// portal link. Any console message of level error, or uncaught page error, fails the test.

const TENANT = "acme-e2e";
const OTHER = "other-e2e";

const missing = browserMissing("console-browser");

describe("web console in Chromium", { skip: missing ?? false, timeout: 120_000 }, () => {
  let server: TestServer;
  let receiver: Receiver;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let built: BuiltConsole;
  let answer = 200;
  let problems: string[] = [];
  let expectedFailures = new Set<string>();
  const watch = (p: Page) => browser.watch(p);
  const shot = (name: string, p = page) => browser.shot(name, p);
  const api = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => server.api<T>(method, path, body);
  const noProblems = (step: string) => assert.deepEqual(problems, [], `browser problems after ${step}`);

  before(async () => {
    built = await builtConsole();
    receiver = await startReceiver(() => ({ status: answer, body: answer === 200 ? "ok" : "receiver is down" }));
    server = await startServer({
      TOCSIN_CONSOLE_DIR: built.dir,
      // One quick retry, so a failing receiver gives failed deliveries within the test.
      TOCSIN_RETRY_SCHEDULE: "200ms",
      TOCSIN_CIRCUIT_FAILURES: "0",
      TOCSIN_CIRCUIT_FAILURE_RATE: "0",
    });
    const example = { rule: "ssh-brute-force", score: 9.5, host: "db-1" };
    assert.equal((await api("POST", "/v1/event-types", { name: "alert.fired", description: "An alert fired", example })).status, 201);
    browser = await launchBrowser();
    ({ context, page, problems, expectedFailures } = browser);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await receiver?.close();
    if (server) rmSync(server.dataDir, { recursive: true, force: true });
    removeBuilt(built);
  });

  let endpointId = "";

  it("signs in with the admin key, from the keyboard, without putting the key in the address", async () => {
    await page.goto(`${server.url}/`);
    await page.getByLabel("API key").focus();
    await page.keyboard.type(server.apiKey);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Tenants" }).waitFor();
    assert.ok(!page.url().includes(server.apiKey));
    assert.equal(await page.evaluate('JSON.parse(sessionStorage.getItem("tocsin.session")).kind'), "admin");
    noProblems("sign-in");
  });

  it("creates a tenant and opens its integrations", async () => {
    await page.getByLabel("Tenant id").fill(TENANT);
    await page.getByLabel("Name", { exact: true }).fill("Acme (e2e)");
    await page.getByRole("button", { name: "Create tenant" }).click();
    await page.getByRole("heading", { name: "Integrations" }).waitFor();
    await page.getByText("No webhooks yet.").waitFor();
    assert.equal(new URL(page.url()).pathname, `/tenants/${TENANT}/endpoints`);
    noProblems("tenant creation");
  });

  it("adds a webhook, showing the API's refusal next to the field it names", async () => {
    await page.getByRole("link", { name: "Add webhook" }).click();
    await page.getByRole("heading", { name: "Add webhook" }).waitFor();
    await page.getByLabel("Name", { exact: true }).fill("E2E receiver");
    await page.getByLabel("URL").fill(`${receiver.url}/hook`);
    await page.getByLabel("Event types").fill("alert.*");
    await page.getByLabel("Headers").fill("X-Team: soc, Host: evil.example");
    expectedFailures.add(`/v1/tenants/${TENANT}/endpoints`);
    await page.getByRole("button", { name: "Add webhook" }).click();
    const headerError = page.locator("#ep-headers-error");
    await headerError.waitFor();
    assert.match(await headerError.innerText(), /Host/);
    assert.equal(await page.getByLabel("Headers").getAttribute("aria-invalid"), "true");
    await shot("01-form-inline-error");
    expectedFailures.clear();

    await page.getByLabel("Headers").fill("X-Team: soc, X-Env: e2e");
    await page.getByRole("button", { name: "Add webhook" }).click();
    await page.getByRole("heading", { name: "Send a test webhook" }).waitFor();
    endpointId = new URL(page.url()).pathname.split("/")[4];
    const ep = await api<{ headers: Record<string, string>; eventTypes: string[]; name: string }>("GET", `/v1/tenants/${TENANT}/endpoints/${endpointId}`);
    assert.deepEqual(ep.body.headers, { "X-Team": "soc", "X-Env": "e2e" });
    assert.deepEqual(ep.body.eventTypes, ["alert.*"]);
    noProblems("adding the webhook");
  });

  it("presses Test and shows the request as sent and the receiver's response", async () => {
    await page.getByLabel("Event type").selectOption({ label: "alert.fired (catalog example)" });
    await page.getByRole("button", { name: "Send test" }).click();
    const outcome = page.getByTestId("test-outcome");
    await outcome.waitFor();
    assert.match(await outcome.innerText(), /HTTP 200/);
    await page.getByRole("rowheader", { name: "webhook-signature" }).first().waitFor();
    const [got] = await receiver.waitFor(1);
    assert.equal(got.headers["x-team"], "soc");
    assert.deepEqual(JSON.parse(got.body), { rule: "ssh-brute-force", score: 9.5, host: "db-1" });
    await shot("02-test-call");
    noProblems("the test call");
  });

  it("shows posted events arriving in the delivery log, then failures, and opens an attempt", async () => {
    await page.getByRole("link", { name: "Deliveries", exact: true }).nth(1).click();
    await page.getByRole("heading", { name: "Delivery log" }).waitFor();
    for (let i = 0; i < 3; i++)
      assert.equal((await api("POST", `/v1/tenants/${TENANT}/events`, { type: "alert.fired", severity: "high", payload: { n: i } })).status, 202);
    await rows(page, "succeeded", 3);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Integrations" }).click();
    await page.locator(`tr[data-endpoint="${endpointId}"]`, { hasText: "100%" }).waitFor();
    await shot("03-integrations");
    await page.goBack();
    await page.getByRole("heading", { name: "Delivery log" }).waitFor();

    answer = 500;
    for (let i = 0; i < 2; i++) assert.equal((await api("POST", `/v1/tenants/${TENANT}/events`, { type: "alert.fired", payload: { failing: i } })).status, 202);
    await rows(page, "failed", 2);
    await shot("04-delivery-log");

    // The filters are the server's: a family that matches nothing, then failed ones only.
    await page.getByLabel("Event type").fill("scan.*");
    await page.getByText("No deliveries match these filters.").waitFor();
    await page.getByLabel("Event type").fill("alert.*");
    await rows(page, "succeeded", 3);
    await page.getByLabel("Status").selectOption("failed");
    await rows(page, "failed", 2);
    await rows(page, "succeeded", 0);
    await page.getByLabel("Event type").fill("not a type");
    await page.locator("#log-type-error").waitFor();
    await page.getByLabel("Event type").fill("");
    await page.getByLabel("Time").selectOption("15m");
    await rows(page, "failed", 2);

    await page.locator("tr[data-status=failed]").first().getByRole("link", { name: "Inspect" }).click();
    await page.getByRole("heading", { name: "Attempts" }).waitFor();
    const attempts = page.locator("details.attempt");
    assert.equal(await attempts.count(), 2);
    const latest = attempts.first();
    assert.match(await latest.locator("summary").innerText(), /#2 · HTTP 500/);
    await latest.getByText("receiver is down").waitFor();
    // The request as that attempt sent it: line, headers (signature included), body.
    const sent = latest.locator("[data-part=request]");
    await sent.getByText(`POST ${receiver.url}/hook`).waitFor();
    await sent.getByRole("rowheader", { name: "webhook-signature" }).waitFor();
    await sent.getByRole("rowheader", { name: "X-Team" }).waitFor();
    const body = await sent.locator("pre").innerText();
    assert.match(body, /^\{"failing":[01]\}$/);
    const wire = receiver.requests.filter((r) => r.body === body);
    assert.equal(wire.length, 2, "both attempts of this delivery sent the body shown");
    const signature = await sent.getByRole("rowheader", { name: "webhook-signature" }).locator("xpath=..").locator("td").innerText();
    assert.ok(
      wire.some((r) => r.headers["webhook-signature"] === signature),
      "the signature shown is one that was sent",
    );
    await latest.locator("[data-part=response]").getByRole("rowheader", { name: "content-type" }).waitFor();
    await page.getByText("Event payload").waitFor();
    await shot("05-attempt-inspector");
    noProblems("the delivery log");
  });

  it("retries one failed delivery and replays the other with a progress bar", async () => {
    answer = 200;
    await page.getByRole("button", { name: "Retry", exact: true }).click();
    await page.getByRole("dialog", { name: "Retry this delivery?" }).getByRole("button", { name: "Retry", exact: true }).click();
    await page.locator("h1 .badge", { hasText: "succeeded" }).waitFor({ timeout: 15_000 });

    await page.goto(`${server.url}/tenants/${TENANT}/endpoints/${endpointId}/deliveries`);
    await rows(page, "failed", 1);
    await page.getByLabel("What").selectOption("failed");
    await page.getByRole("button", { name: "Replay" }).click();
    const progress = page.locator("#replay-bar");
    await page.locator("#replay-bar[data-state=completed]").waitFor({ timeout: 15_000 });
    assert.equal(await progress.getAttribute("value"), "1");
    assert.match(await page.locator(".replay-progress label").innerText(), /1 of 1 processed, 1 queued/);
    await rows(page, "succeeded", 5);
    await shot("06-replay");
    noProblems("retry and replay");
  });

  it("previews the payload, charts the tenant's deliveries, lists the catalog and posts an event", async () => {
    await page.getByRole("link", { name: "Settings", exact: true }).click();
    await page.getByRole("heading", { name: "Payload preview" }).waitFor();
    await page.getByLabel("Event type").selectOption({ label: "alert.fired (catalog example)" });
    await page.getByRole("button", { name: "Preview" }).click();
    await page.getByText('{"rule":"ssh-brute-force","score":9.5,"host":"db-1"}').waitFor();

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Overview" }).click();
    await page.getByText("Deliveries by outcome").waitFor();
    await page.locator("svg.chart rect.seg-succeeded").first().waitFor();
    await page.getByText(/attempts · median/).waitFor();
    await shot("07-overview");

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Event types" }).click();
    await page.getByRole("heading", { name: "alert.fired" }).waitFor();
    await page.getByText("Example", { exact: true }).click();
    await page.getByText('"rule": "ssh-brute-force"').waitFor();

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Events" }).click();
    await page.getByLabel("Type").fill("alert.fired");
    await page.getByLabel("Severity").selectOption("critical");
    await page.getByLabel("Payload (JSON)").fill('{"score": 9.50, "by": "console"}');
    await page.getByRole("button", { name: "Post event" }).click();
    await page.getByText(/posted: 1 delivery created/).waitFor();
    const [got] = await receiver.waitFor(1, 10_000, (r) => r.body.includes('"console"'));
    assert.equal(got.body, '{"score":9.50,"by":"console"}', "the payload's numbers keep their text");
    noProblems("preview, overview, catalog and events");
    await page.goto(`${server.url}/tenants/${TENANT}/endpoints/${endpointId}`);
  });

  it("reveals the secret only on request and rotates it after confirmation", async () => {
    await page.getByRole("heading", { name: "Signing secret" }).waitFor();
    const before = (await api<{ secret: string }>("GET", `/v1/tenants/${TENANT}/endpoints/${endpointId}/secret`)).body.secret;
    assert.equal(await page.getByText(before).count(), 0, "the secret is not on the page before Reveal");
    await page.getByRole("button", { name: "Reveal secret" }).click();
    await page.getByText(before).waitFor();
    await page.getByRole("button", { name: "Rotate secret" }).click();
    const dialog = page.getByRole("dialog", { name: "Rotate the signing secret?" });
    await dialog.waitFor();
    await dialog.getByRole("button", { name: "Rotate" }).click();
    await page.getByText(/^Rotated\./).waitFor();
    const afterRotation = (await api<{ secret: string }>("GET", `/v1/tenants/${TENANT}/endpoints/${endpointId}/secret`)).body.secret;
    assert.notEqual(afterRotation, before);
    await page.getByText(afterRotation).waitFor();
    noProblems("the secret");
  });

  it("edits, disables and deletes the webhook", async () => {
    await page.getByRole("link", { name: "Edit" }).click();
    await page.getByRole("heading", { name: /^Edit / }).waitFor();
    assert.equal(await page.getByLabel("Headers").inputValue(), "X-Team: soc, X-Env: e2e");
    await page.getByLabel("Name", { exact: true }).fill("E2E receiver (renamed)");
    await page.getByRole("button", { name: "Save changes" }).click();
    // The form stays, confirms the save, and links back.
    await page.getByRole("link", { name: "Back to the webhook" }).click();
    await page.getByRole("heading", { name: /E2E receiver \(renamed\)/ }).waitFor();

    await page.getByRole("button", { name: "Disable" }).click();
    await page.getByRole("button", { name: "Enable" }).waitFor();
    await page.locator("h1 .badge", { hasText: "disabled" }).waitFor();
    assert.equal((await api<{ enabled: boolean }>("GET", `/v1/tenants/${TENANT}/endpoints/${endpointId}`)).body.enabled, false);
    await shot("08-disabled");

    await page.getByRole("button", { name: "Delete" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete this webhook?" });
    await dialog.getByRole("button", { name: "Delete webhook" }).click();
    await page.getByText("No webhooks yet.").waitFor();
    assert.equal((await api("GET", `/v1/tenants/${TENANT}/endpoints/${endpointId}`)).status, 404);
    noProblems("edit, disable and delete");
  });

  it("gives a customer's portal link its own tenant only, and no event posting", async () => {
    await api("POST", `/v1/tenants/${TENANT}/endpoints`, { url: `${receiver.url}/mine`, eventTypes: ["*"], name: "Customer hook" });
    await api("POST", "/v1/tenants", { id: OTHER });
    await api("POST", `/v1/tenants/${OTHER}/endpoints`, { url: `${receiver.url}/theirs`, eventTypes: ["*"], name: "Other tenant hook" });
    const portal = await api<{ url: string }>("POST", `/v1/tenants/${TENANT}/portal-sessions`, { ttlSeconds: 600 });
    assert.equal(portal.status, 201);

    const customer = await context.newPage();
    watch(customer);
    await customer.goto(portal.body.url);
    await customer.getByRole("heading", { name: "Integrations" }).waitFor();
    await customer.getByRole("link", { name: "Customer hook" }).waitFor();
    assert.ok(!customer.url().includes("#"), `the token is removed from the address: ${customer.url()}`);
    assert.equal(new URL(customer.url()).pathname, `/tenants/${TENANT}/endpoints`);
    assert.equal(await customer.getByText("Other tenant hook").count(), 0);
    const nav = customer.getByRole("navigation", { name: "Main" });
    assert.deepEqual(await nav.getByRole("link").allInnerTexts(), ["Integrations", "Deliveries", "Alerts", "Silences", "Overview", "Event types"]);
    await customer.getByText("Customer portal").waitFor();
    await shot("09-portal", customer);

    await customer.goto(`${server.url}/tenants/${OTHER}/endpoints`);
    await customer.getByRole("heading", { name: "Not found" }).waitFor();
    await customer.goto(`${server.url}/tenants/${TENANT}/events`);
    await customer.getByRole("heading", { name: "Not found" }).waitFor();

    // One column on a phone-sized screen, with nothing wider than the viewport.
    await customer.setViewportSize({ width: 390, height: 844 });
    await customer.goto(`${server.url}/tenants/${TENANT}/endpoints`);
    await customer.getByRole("link", { name: "Customer hook" }).waitFor();
    assert.ok(await customer.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "no horizontal scrolling at 390 px");
    await shot("10-portal-narrow", customer);

    await customer.getByRole("button", { name: "Sign out" }).click();
    await customer.getByRole("heading", { name: "Tocsin" }).waitFor();
    assert.equal(await customer.evaluate('sessionStorage.getItem("tocsin.session")'), null);
    await customer.close();
    noProblems("the portal");
  });
});
