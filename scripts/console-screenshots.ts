/**
 * Takes the web console screenshots shown in README.md (docs/images/console-*.png) from a real
 * server with a few webhooks and deliveries, in Debian's headless Chromium:
 *
 *   npm run build:web && node scripts/console-screenshots.ts [outDir]
 *
 * Everything runs on loopback: the server on an ephemeral port, the receivers on another; the data
 * folder is temporary and removed at the end.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { chromium } from "playwright-core";
import { loadConfig } from "../src/config.ts";
import { serve } from "../src/main.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const OUT = process.argv[2] ?? join(ROOT, "docs", "images");
const TENANT = "acme";

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  // Receivers: /siem is slow, /chat goes down for the last hours; the rest answer at once.
  let chatDown = false;
  const receiver = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      if (req.url?.startsWith("/chat") && chatDown) {
        res.writeHead(503, { "content-type": "text/plain" }).end("upstream unavailable");
      } else {
        setTimeout(() => res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}'), req.url?.startsWith("/siem") ? 120 : 5);
      }
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  const rx = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

  const dataDir = mkdtempSync(join(tmpdir(), "tocsin-shots-"));
  const apiKey = "tsk_screenshots_0123456789abcdef";
  const config = loadConfig({
    TOCSIN_DATA_DIR: dataDir,
    TOCSIN_API_KEY: apiKey,
    TOCSIN_PORT: "0",
    TOCSIN_ALLOW_PRIVATE_NETWORKS: "true",
    TOCSIN_LOG_LEVEL: "warn",
    TOCSIN_POLL_INTERVAL: "50ms",
    TOCSIN_RETRY_SCHEDULE: "200ms",
    // No circuit breaking: the failing relay's deliveries all run out their (one) retry at once.
    TOCSIN_CIRCUIT_FAILURES: "0",
    TOCSIN_CIRCUIT_FAILURE_RATE: "0",
    TOCSIN_RATE_LIMIT: "0",
  });
  // The server's clock starts a day ago and is moved forward while events are posted, so the
  // charts show a day of traffic; then it runs with real time.
  let offset = -24 * 3600_000;
  const app = await serve(config, pino({ level: config.logLevel }), () => Date.now() + offset);
  const base = app.url!;
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<Record<string, unknown>>;
  };

  /** Waits (at most 5 s) until no delivery is pending or in flight. */
  const settle = async () => {
    for (let n = 0; n < 100; n++) {
      const pending = await api("GET", `/v1/tenants/${TENANT}/deliveries?status=pending&limit=1`);
      const busy = await api("GET", `/v1/tenants/${TENANT}/deliveries?status=delivering&limit=1`);
      if ((pending.data as unknown[]).length === 0 && (busy.data as unknown[]).length === 0) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
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
  });
  try {
    await api("POST", "/v1/event-types", {
      name: "alert.fired",
      description: "A detection rule matched",
      example: { rule: "ssh-brute-force", severity: "high", host: "db-1", score: 9.5 },
    });
    await api("POST", "/v1/event-types", { name: "alert.resolved", description: "The condition cleared", example: { rule: "ssh-brute-force", host: "db-1" } });
    await api("POST", "/v1/event-types", { name: "scan.completed", description: "A scheduled scan finished", example: { target: "10.0.0.0/24", findings: 3 } });
    await api("POST", "/v1/tenants", { id: TENANT, name: "Acme Corp" });
    await api("POST", `/v1/tenants/${TENANT}/endpoints`, { name: "SOC pager", url: `${rx}/pager`, eventTypes: ["alert.*"], minSeverity: "high" });
    await api("POST", `/v1/tenants/${TENANT}/endpoints`, {
      name: "SIEM collector",
      url: `${rx}/siem/ingest`,
      eventTypes: ["*"],
      headers: { "X-Source": "tocsin" },
      auth: { type: "basic", username: "collector", password: "example-only" },
    });
    const chat = await api("POST", `/v1/tenants/${TENANT}/endpoints`, { name: "Team chat relay", url: `${rx}/chat/hook`, eventTypes: ["alert.fired"] });
    const severities = ["high", "critical", "medium", "high", "low"];
    let i = 0;
    for (let hour = 23; hour >= 0; hour--) {
      offset = -hour * 3600_000 - 1800_000;
      // The chat relay's outage: its last four hours.
      chatDown = hour < 4;
      for (let k = 0; k < 2 + ((hour * 7) % 4); k++, i++) {
        const type = i % 6 === 5 ? "scan.completed" : i % 3 === 2 ? "alert.resolved" : "alert.fired";
        const payload =
          type === "scan.completed"
            ? { target: `10.0.${i % 255}.0/24`, findings: i % 4 }
            : { rule: i % 2 ? "ssh-brute-force" : "port-scan", host: `web-${i % 4}`, score: 5 + (i % 5) };
        await api("POST", `/v1/tenants/${TENANT}/events`, { type, severity: severities[i % severities.length], payload });
      }
      // Each hour's deliveries (and the relay's one retry, 200 ms later) are done before the clock moves on.
      await settle();
    }
    // The last few minutes, in real time, so the health column has a recent success rate; a
    // silence holds web-3's alerts meanwhile, and the relay has a weekly maintenance window.
    offset = 0;
    await api("POST", `/v1/tenants/${TENANT}/silences`, {
      matchers: { "payload.host": "web-3" },
      duration: "2h",
      comment: "web-3 is being rebuilt (CHG-1042)",
    });
    await api("POST", `/v1/tenants/${TENANT}/silences`, {
      endpointIds: [chat.id],
      schedule: { days: ["sun"], start: "02:00", end: "04:00", timeZone: "Europe/Berlin" },
      comment: "The chat relay's weekly maintenance",
    });
    for (let k = 0; k < 6; k++, i++) {
      await api("POST", `/v1/tenants/${TENANT}/events`, {
        type: "alert.fired",
        severity: severities[k % severities.length],
        payload: { rule: "port-scan", host: `web-${k}`, score: 7 },
      });
    }
    await settle();

    const page = await browser.newPage({ viewport: { width: 1280, height: 760 }, deviceScaleFactor: 1 });
    await page.goto(`${base}/`);
    await page.getByLabel("API key").fill(apiKey);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Tenants" }).waitFor();

    await page.goto(`${base}/tenants/${TENANT}/endpoints`);
    await page.getByRole("link", { name: "Team chat relay" }).waitFor();
    await page.getByText("%").first().waitFor();
    await page.screenshot({ path: join(OUT, "console-integrations.png") });

    await page.goto(`${base}/tenants/${TENANT}/deliveries`);
    await page.locator("tr[data-status=failed]").first().waitFor();
    await page.screenshot({ path: join(OUT, "console-delivery-log.png") });

    await page.locator("tr[data-status=failed]").first().getByRole("link", { name: "Inspect" }).click();
    await page.locator("[data-part=request]").first().waitFor();
    await page.setViewportSize({ width: 1280, height: 1000 });
    await page.screenshot({ path: join(OUT, "console-attempt.png") });

    await page.goto(`${base}/tenants/${TENANT}/overview`);
    await page.locator("svg.chart rect.seg-succeeded").first().waitFor();
    await page.setViewportSize({ width: 1280, height: 700 });
    await page.screenshot({ path: join(OUT, "console-overview.png") });

    await page.goto(`${base}/tenants/${TENANT}/silences`);
    await page.locator("tr[data-state=active]").first().waitFor();
    await page.setViewportSize({ width: 1280, height: 560 });
    await page.screenshot({ path: join(OUT, "console-silences.png") });
    console.log(`wrote console-{integrations,delivery-log,attempt,overview,silences}.png to ${OUT} (endpoint ${chat.id as string} is the failing one)`);
  } finally {
    await browser.close();
    await app.stop();
    receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
