import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import type { Page } from "playwright-core";
import { testBackends, backendEnv } from "../support/backends.ts";
import { type Browser, type BuiltConsole, browserMissing, builtConsole, launchBrowser, removeBuilt, rows } from "../support/browser.ts";
import { type Receiver, startReceiver } from "../support/receiver.ts";
import { type TestServer, eventually, startServer } from "../support/server.ts";

// Silences in the customer portal, in Chromium: one made from a delivery with its matchers filled
// in, the next matching event's delivery suppressed with the reason linking to it, expired early
// after asking and still listed, the API's refusal shown at its field, a maintenance window added
// on a webhook's page with its next window, and a read-only key offered none of it.

const TENANT = "silences-e2e";
const missing = browserMissing("console-silences");
const backends = await testBackends();

type Dl = { id: string; status: string; endpointId: string; eventId: string; reason: { code: string; silenceId?: string } | null };
type Sil = { id: string; state: string; expiredEarly: boolean; endpointIds: string[] | null; schedule: unknown; nextWindow: unknown; suppressed: number };

describe("silences in the customer portal, in Chromium", { skip: missing ?? false, timeout: 300_000 }, () => {
  let browser: Browser;
  let built: BuiltConsole;

  before(async () => {
    built = await builtConsole();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    removeBuilt(built);
  });

  for (const backend of backends) {
    describe(backend, () => {
      let server: TestServer;
      let receiver: Receiver;
      let drop: () => Promise<void> = async () => {};
      let page: Page;
      const ids: Record<string, string> = {};
      let silenceId = "";
      const api = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => server.api<T>(method, path, body);
      const noProblems = (step: string) => assert.deepEqual(browser.problems, [], `browser problems after ${step}`);
      const deliveriesOf = async (id: string) => (await api<{ data: Dl[] }>("GET", `/v1/tenants/${TENANT}/deliveries?endpointId=${id}`)).body.data;
      const silences = async () => (await api<{ data: Sil[] }>("GET", `/v1/tenants/${TENANT}/silences`)).body.data;
      const postAlert = async () => {
        const r = await api("POST", `/v1/tenants/${TENANT}/events`, { type: "disk.full", severity: "high", fingerprint: "db-1", payload: { host: "db-1" } });
        assert.equal(r.status, 202, JSON.stringify(r.body));
      };

      before(async () => {
        const b = await backendEnv(backend);
        drop = b.drop;
        receiver = await startReceiver();
        server = await startServer({ ...b.env, TOCSIN_CONSOLE_DIR: built.dir });
        assert.equal((await api("POST", "/v1/tenants", { id: TENANT })).status, 201);
        for (const name of ["Pager", "Archive"]) {
          // Every update of an open alert is sent, so the second event makes a delivery of its own.
          const r = await api<{ id: string }>("POST", `/v1/tenants/${TENANT}/endpoints`, {
            url: `${receiver.url}/${name.toLowerCase()}`,
            name,
            eventTypes: ["*"],
            lifecycle: { ongoingIntervalSec: 0 },
          });
          assert.equal(r.status, 201, JSON.stringify(r.body));
          ids[name] = r.body.id;
        }
        await postAlert();
        await eventually(async () => (await deliveriesOf(ids.Pager!)).some((d) => d.status === "succeeded"), 15_000, "the first delivery to Pager");
        const portal = await api<{ url: string }>("POST", `/v1/tenants/${TENANT}/portal-sessions`, { ttlSeconds: 900 });
        assert.equal(portal.status, 201);
        page = await browser.context.newPage();
        browser.watch(page);
        await page.goto(portal.body.url);
        await page.getByRole("heading", { name: "Integrations" }).waitFor();
      });

      after(async () => {
        await page?.close();
        await server?.stop();
        await receiver?.close();
        if (server) rmSync(server.dataDir, { recursive: true, force: true });
        await drop();
      });

      it("creates a silence from a delivery with its matchers filled in, and lists it as active", async () => {
        const [first] = await deliveriesOf(ids.Pager!);
        await page.goto(`${server.url}/tenants/${TENANT}/deliveries/${first!.id}`);
        await page.getByRole("link", { name: "Silence…" }).click();
        await page.getByRole("heading", { name: "New silence" }).waitFor();
        assert.equal(await page.getByLabel("Event type", { exact: true }).inputValue(), "disk.full");
        assert.equal(await page.getByLabel("Fingerprint", { exact: true }).inputValue(), "db-1");
        assert.ok(await page.getByRole("radio", { name: "Chosen webhooks" }).isChecked());
        assert.ok(await page.getByRole("checkbox", { name: "Pager" }).isChecked());
        assert.ok(!(await page.getByRole("checkbox", { name: "Archive" }).isChecked()));
        assert.equal(await page.locator("[data-part=summary]").innerText(), "Silences: event type is disk.full and fingerprint is db-1");
        await page.getByLabel("Comment", { exact: true }).fill("Disk migration on db-1");
        await page.getByRole("button", { name: "Create silence" }).click();

        await page.locator(".notice", { hasText: /^Silence sil_\S+ created\.$/ }).waitFor();
        const row = page.locator("tr[data-silence]");
        await row.waitFor();
        assert.equal(await row.count(), 1);
        silenceId = (await row.getAttribute("data-silence"))!;
        assert.equal(await row.getAttribute("data-state"), "active");
        assert.equal(await row.locator("[data-part=matchers]").innerText(), "event type is disk.full and fingerprint is db-1");
        assert.equal(await row.locator("[data-part=endpoints]").innerText(), "Pager");
        assert.match(await row.locator("[data-part=when]").innerText(), /^from .+ until .+/);
        assert.equal(await row.locator("[data-part=suppressed]").innerText(), "0 deliveries");
        assert.match(await row.locator("td[data-label=Comment]").innerText(), /Disk migration on db-1\s+by .*portal session/);
        const [made] = await silences();
        assert.equal(made?.id, silenceId);
        assert.deepEqual(made?.endpointIds, [ids.Pager]);
        await browser.shot(`silences-01-list-${backend}`, page);
        noProblems("creating a silence from a delivery");
      });

      it("offers Silence… on an open alert, with its fingerprint filled in", async () => {
        await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Alerts" }).click();
        const alert = page.locator('tr[data-alert="db-1"]');
        await alert.waitFor();
        assert.equal(await alert.getAttribute("data-status"), "open");
        await alert.getByRole("link", { name: "Silence…" }).click();
        await page.getByRole("heading", { name: "New silence" }).waitFor();
        assert.equal(await page.getByLabel("Fingerprint", { exact: true }).inputValue(), "db-1");
        assert.equal(await page.getByLabel("Event type", { exact: true }).inputValue(), "");
        assert.ok(await page.getByRole("radio", { name: "All webhooks" }).isChecked());
        noProblems("the alerts page");
      });

      it("suppresses the next matching delivery on that webhook only, and says why with a link to the silence", async () => {
        await postAlert();
        await eventually(async () => (await deliveriesOf(ids.Pager!)).some((d) => d.status === "suppressed"), 15_000, "a suppressed delivery to Pager");
        await eventually(async () => (await deliveriesOf(ids.Archive!)).filter((d) => d.status === "succeeded").length === 2, 15_000, "both to Archive");
        const held = (await deliveriesOf(ids.Pager!)).find((d) => d.status === "suppressed")!;
        assert.equal(held.reason?.silenceId, silenceId);

        await page.goto(`${server.url}/tenants/${TENANT}/deliveries?status=suppressed`);
        await rows(page, "suppressed", 1);
        const row = page.locator(`tr[data-delivery="${held.id}"]`);
        const badge = row.locator(".badge");
        assert.equal(await badge.innerText(), "suppressed");
        assert.match((await badge.getAttribute("class")) ?? "", /badge-quiet/, "a neutral badge, not a failure's red");
        assert.equal(await page.locator("#log-status").inputValue(), "suppressed");
        const reason = row.locator("[data-reason=silenced]");
        assert.match(await reason.innerText(), new RegExp(silenceId));
        await browser.shot(`silences-02-suppressed-${backend}`, page);
        await reason.getByRole("link", { name: "View the silence" }).click();
        await page.locator("h1 .badge", { hasText: "active" }).waitFor();
        assert.equal(new URL(page.url()).pathname, `/tenants/${TENANT}/silences/${silenceId}`);
        await page.locator("[data-part=suppressed]", { hasText: /^1 delivery$/ }).waitFor();
        noProblems("the suppressed delivery");
      });

      it("expires the silence early after asking, and keeps it listed under expired", async () => {
        await page.goto(`${server.url}/tenants/${TENANT}/silences/${silenceId}`);
        await page.getByRole("button", { name: "Expire…" }).click();
        const dialog = page.getByRole("dialog", { name: "Expire this silence now?" });
        await dialog.getByRole("button", { name: "Expire now" }).click();
        await page.locator("h1 .badge", { hasText: "expired" }).waitFor();
        assert.equal(await page.getByRole("button", { name: "Expire…" }).count(), 0);
        const [s] = await silences();
        assert.equal(s?.state, "expired");
        assert.equal(s?.expiredEarly, true);

        await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Silences" }).click();
        await page.getByLabel("State").selectOption("active");
        await page.getByText("No silences active.").waitFor();
        await page.getByLabel("State").selectOption("expired");
        await page.waitForURL(/state=expired/);
        const row = page.locator(`tr[data-silence="${silenceId}"][data-state=expired]`);
        await row.waitFor();
        assert.match(await row.locator("[data-part=when]").innerText(), /expired early at/);
        assert.equal(await row.getByRole("button", { name: "Expire…" }).count(), 0);
        noProblems("expiring early");
      });

      it("shows the API's refusal at its field: an end before the start", async () => {
        await page.goto(`${server.url}/tenants/${TENANT}/silences/new`);
        await page.getByLabel("Comment", { exact: true }).fill("Backwards");
        await page.getByRole("radiogroup", { name: "Starts" }).getByRole("radio", { name: "At a time" }).check();
        await page.getByLabel("Starts at").fill("2030-01-02T10:00");
        await page.getByRole("radiogroup", { name: "Ends" }).getByRole("radio", { name: "At a time" }).check();
        await page.getByLabel("Ends at").fill("2030-01-02T09:00");
        browser.expectedFailures.add(`/v1/tenants/${TENANT}/silences`);
        await page.getByRole("button", { name: "Create silence" }).click();
        const error = page.locator("#sil-endsAt-error");
        await error.waitFor();
        browser.expectedFailures.clear();
        assert.match(await error.innerText(), /^must end after the start$/);
        await browser.shot(`silences-04-refused-${backend}`, page);
        assert.equal(await page.getByLabel("Ends at").getAttribute("aria-invalid"), "true");
        assert.match(await page.locator("#form-error").innerText(), /Please correct the field marked below/);
        assert.equal(new URL(page.url()).pathname, `/tenants/${TENANT}/silences/new`);
        assert.equal((await silences()).length, 1, "nothing was created");
        noProblems("the refused silence");
      });

      it("adds a maintenance window on the webhook's page and shows it with its next window", async () => {
        await page.goto(`${server.url}/tenants/${TENANT}/endpoints/${ids.Pager}`);
        const section = page.locator("section.maintenance");
        await section.getByText("No maintenance windows.").waitFor();
        await section.getByRole("link", { name: "Add maintenance window" }).click();
        await page.getByRole("heading", { name: "Add maintenance window" }).waitFor();
        assert.ok(await page.getByRole("radio", { name: "Every week (maintenance window)" }).isChecked());
        assert.ok(await page.getByRole("checkbox", { name: "Pager" }).isChecked());
        const zone = await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
        assert.equal(await page.getByLabel("Time zone").inputValue(), zone, "the browser's zone by default");
        assert.ok(await page.getByRole("checkbox", { name: "Sun" }).isChecked());
        await page.getByRole("checkbox", { name: "Sat" }).check();
        await page.getByLabel("From", { exact: true }).fill("02:00");
        await page.getByLabel("To", { exact: true }).fill("04:00");
        await page.getByLabel("Time zone").fill("Europe/Berlin");
        await page.getByLabel("Comment", { exact: true }).fill("Patch night");
        await browser.shot(`silences-03-window-form-${backend}`, page);
        await page.getByRole("button", { name: "Add maintenance window" }).click();

        await page.getByRole("heading", { name: /Pager/ }).waitFor();
        const row = section.locator("tr[data-silence]");
        await row.waitFor();
        assert.match(await row.locator("[data-part=when]").innerText(), /^Weekends 02:00–04:00 Europe\/Berlin/);
        assert.match(await row.locator("[data-part=window]").innerText(), /^(next window .+ – .+|in a window now, until .+)$/);
        const made = (await silences()).find((s) => s.schedule !== null)!;
        assert.deepEqual(made.schedule, { days: ["sat", "sun"], start: "02:00", end: "04:00", timeZone: "Europe/Berlin" });
        assert.deepEqual(made.endpointIds, [ids.Pager]);
        assert.ok(made.nextWindow, "a weekly window has a next one");
        await browser.shot(`silences-05-maintenance-${backend}`, page);
        noProblems("the maintenance window");
      });

      it("offers a read-only key no create, expire or Silence…", async () => {
        const key = await api<{ key: string }>("POST", `/v1/tenants/${TENANT}/keys`, { name: "viewer", scopes: ["read"] });
        assert.equal(key.status, 201);
        const viewer = await browser.context.newPage();
        browser.watch(viewer);
        try {
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
          await viewer.goto(`${server.url}/tenants/${TENANT}/silences`);
          await viewer.locator("tr[data-silence]").nth(1).waitFor();
          assert.equal(await viewer.getByRole("link", { name: "New silence" }).count(), 0);
          assert.equal(await viewer.getByRole("button", { name: "Expire…" }).count(), 0, "the maintenance window is listed without Expire");
          await viewer.goto(`${server.url}/tenants/${TENANT}/endpoints/${ids.Pager}`);
          await viewer.locator("section.maintenance tr[data-silence]").waitFor();
          assert.equal(await viewer.getByRole("link", { name: "Add maintenance window" }).count(), 0);
          assert.equal(await viewer.getByRole("button", { name: "Expire…" }).count(), 0);
          const [d] = await deliveriesOf(ids.Pager!);
          await viewer.goto(`${server.url}/tenants/${TENANT}/deliveries/${d!.id}`);
          await viewer.getByRole("heading", { name: /disk\.full/ }).waitFor();
          assert.equal(await viewer.getByRole("link", { name: "Silence…" }).count(), 0);
          await viewer.goto(`${server.url}/tenants/${TENANT}/alerts`);
          await viewer.locator('tr[data-alert="db-1"]').waitFor();
          assert.equal(await viewer.getByRole("link", { name: "Silence…" }).count(), 0);
          await viewer.goto(`${server.url}/tenants/${TENANT}/silences/new`);
          await viewer.getByText("Creating a silence needs a key with the endpoints:write scope; this one can only read.").waitFor();
        } finally {
          await viewer.close();
        }
        noProblems("read-only");
      });
    });
  }
});
