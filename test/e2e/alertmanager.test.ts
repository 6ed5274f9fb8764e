import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { describe, it } from "node:test";
import { freePort, startReceiver } from "../support/receiver.ts";
import { type Api, eventually, tempDir, withServer } from "../support/server.ts";

type Problem = { type: string; title: string; status: number; detail: string; code: string; errors?: { path: string; message: string }[] };
type EventDoc = {
  id: string;
  type: string;
  severity: string | null;
  payload: Record<string, unknown>;
  fingerprint?: string;
  state?: string;
  deliveries: unknown[];
};

// The alerts exactly as Alertmanager's webhook notifier writes them: Go's encoder, compact, with
// &, < and > escaped as \u0026, \u003c and \u003e, nanosecond timestamps, the zero time as the
// end of a firing alert.
const FIRING =
  '{"status":"firing","labels":{"alertname":"HostDiskFull","cluster":"eu-1","device":"/dev/sda1","instance":"db-1:9100","job":"node","severity":"critical"},' +
  '"annotations":{"description":"Disk /dev/sda1 on db-1 is 97.2% full.\\nVALUE = 97.2","summary":"Disk almost full \\u003e 95%"},' +
  '"startsAt":"2024-05-01T10:00:00.123456789Z","endsAt":"0001-01-01T00:00:00Z",' +
  '"generatorURL":"http://prometheus.example:9090/graph?g0.expr=node_filesystem_avail_bytes+%3C+0.05\\u0026g0.tab=1","fingerprint":"6a3f2b1c0d9e8f74"}';
const RESOLVED =
  '{"status":"resolved","labels":{"alertname":"HostHighCpu","cluster":"eu-1","instance":"web-3:9100","job":"node","severity":"Warning"},' +
  '"annotations":{"summary":"CPU above 90% for 10 minutes"},' +
  '"startsAt":"2024-05-01T09:40:00Z","endsAt":"2024-05-01T10:00:30.5Z",' +
  '"generatorURL":"http://prometheus.example:9090/graph?g0.expr=cpu\\u0026g0.tab=1","fingerprint":"0b7c5e9d12a4f3e6"}';
const COMMON_LABELS = '{"cluster":"eu-1","job":"node"}';
const COMMON_ANNOTATIONS = '{"team":"platform \\u0026 storage"}';
const BODY =
  `{"receiver":"tocsin","status":"firing","alerts":[${FIRING},${RESOLVED}],"groupLabels":{"cluster":"eu-1"},` +
  `"commonLabels":${COMMON_LABELS},"commonAnnotations":${COMMON_ANNOTATIONS},"externalURL":"http://alertmanager.example:9093",` +
  `"version":"4","groupKey":"{}:{cluster=\\"eu-1\\"}","truncatedAlerts":0,"notification_reason":"new_alerts"}\n`;

/** What an alert's event carries: the alert's text with the group's common labels and annotations appended. */
const payloadText = (alert: string) => `${alert.slice(0, -1)},"commonLabels":${COMMON_LABELS},"commonAnnotations":${COMMON_ANNOTATIONS}}`;

const post = (url: string, tenant: string, key: string | null, body: string, query = "", contentType = "application/json") =>
  fetch(`${url}/v1/tenants/${tenant}/ingest/alertmanager${query}`, {
    method: "POST",
    headers: { "content-type": contentType, ...(key === null ? {} : { authorization: `Bearer ${key}` }) },
    body,
  });

async function tenantKey(api: Api, tenant: string, scopes: string[]): Promise<string> {
  const r = await api<{ key: string }>("POST", `/v1/tenants/${tenant}/keys`, { name: `alertmanager ${scopes.join("+")}`, scopes });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.key;
}

/** A valid notification as an object, to break one field at a time. */
const valid = () => JSON.parse(BODY) as Record<string, unknown>;
type Alert = Record<string, unknown> & { labels: Record<string, unknown>; annotations: Record<string, unknown> };
const alert = (b: Record<string, unknown>, i: number) => (b.alerts as Alert[])[i];

describe("Alertmanager ingest", () => {
  it("takes Alertmanager's body unchanged with a tenant key: one event per alert, delivered with the alert and the group's common labels", async () => {
    const receiver = await startReceiver();
    try {
      await withServer({}, async ({ url, api }) => {
        assert.equal((await api("POST", "/v1/tenants", { id: "acme" })).status, 201);
        const ep = await api<{ id: string }>("POST", "/v1/tenants/acme/endpoints", {
          url: `${receiver.url}/hook`,
          eventTypes: ["HostDiskFull", "HostHighCpu"],
        });
        assert.equal(ep.status, 201, JSON.stringify(ep.body));
        const key = await tenantKey(api, "acme", ["events:write"]);

        const res = await post(url, "acme", key, BODY);
        const answer = (await res.json()) as { events: { id: string; deliveries: number }[] };
        assert.equal(res.status, 202, JSON.stringify(answer));
        assert.equal(answer.events.length, 2);
        for (const e of answer.events) {
          assert.match(e.id, /^evt_/);
          assert.equal(e.deliveries, 1);
        }

        const [fired, resolved] = await Promise.all(answer.events.map(async (e) => (await api<EventDoc>("GET", `/v1/tenants/acme/events/${e.id}`)).body));
        assert.equal(fired.type, "HostDiskFull");
        assert.equal(fired.severity, "critical");
        assert.equal(fired.fingerprint, "6a3f2b1c0d9e8f74");
        assert.equal(fired.state, "start");
        assert.deepEqual(fired.payload, JSON.parse(payloadText(FIRING)));
        assert.equal(resolved.type, "HostHighCpu");
        assert.equal(resolved.severity, "medium", "severity Warning, case-insensitive");
        assert.equal(resolved.fingerprint, "0b7c5e9d12a4f3e6");
        assert.equal(resolved.state, "end");
        assert.deepEqual(resolved.payload, JSON.parse(payloadText(RESOLVED)));

        // The receiver gets each alert's text as Alertmanager wrote it (escapes included).
        const got = await receiver.waitFor(2, 10_000);
        assert.deepEqual(got.map((r) => r.path).sort(), ["/hook", "/hook"]);
        assert.deepEqual(got.map((r) => r.body).sort(), [payloadText(FIRING), payloadText(RESOLVED)].sort());
      });
    } finally {
      await receiver.close();
    }
  });

  it("starts an alert when it fires, updates it while Alertmanager repeats it, and ends it when resolved", async () => {
    await withServer({}, async ({ url, api }) => {
      await api("POST", "/v1/tenants", { id: "acme" });
      const key = await tenantKey(api, "acme", ["events:write"]);
      const notify = async (status: "firing" | "resolved") => {
        const b = valid();
        b.status = status;
        b.alerts = [{ ...alert(b, 0), status, ...(status === "resolved" ? { endsAt: "2024-05-01T10:20:00Z" } : {}) }];
        const res = await post(url, "acme", key, JSON.stringify(b));
        const answer = (await res.json()) as { events: { id: string }[] };
        assert.equal(res.status, 202, JSON.stringify(answer));
        return (await api<EventDoc>("GET", `/v1/tenants/acme/events/${answer.events[0].id}`)).body;
      };
      // Alertmanager sends a firing alert again at every repeat_interval and whenever its group changes.
      assert.deepEqual([(await notify("firing")).state, (await notify("firing")).state, (await notify("resolved")).state], ["start", "ongoing", "end"]);
      const tracked = await api<{ status: string; updateCount: number }>("GET", "/v1/tenants/acme/alerts/6a3f2b1c0d9e8f74");
      assert.equal(tracked.status, 200, JSON.stringify(tracked.body));
      assert.equal(tracked.body.status, "resolved");
      assert.equal(tracked.body.updateCount, 2);
    });
  });

  it("takes the event type from the label ?typeLabel= names", async () => {
    await withServer({}, async ({ url, api }) => {
      await api("POST", "/v1/tenants", { id: "acme" });
      const key = await tenantKey(api, "acme", ["events:write"]);
      const body = valid();
      alert(body, 0).labels.event_type = "storage.disk.full";
      alert(body, 1).labels.event_type = "compute.cpu.high";
      const res = await post(url, "acme", key, JSON.stringify(body), "?typeLabel=event_type");
      const answer = (await res.json()) as { events: { id: string }[] };
      assert.equal(res.status, 202, JSON.stringify(answer));
      const types = await Promise.all(answer.events.map(async (e) => (await api<EventDoc>("GET", `/v1/tenants/acme/events/${e.id}`)).body.type));
      assert.deepEqual(types, ["storage.disk.full", "compute.cpu.high"]);
    });
  });

  it("answers malformed bodies with a 400 problem naming the field, and stores nothing", async () => {
    await withServer({ TOCSIN_MAX_BATCH_EVENTS: "5" }, async ({ url, api }) => {
      await api("POST", "/v1/tenants", { id: "acme" });
      const key = await tenantKey(api, "acme", ["events:write"]);
      const broken = (change: (b: ReturnType<typeof valid>) => void) => {
        const b = valid();
        change(b);
        return JSON.stringify(b);
      };
      const cases: [string, string, string, string?][] = [
        ["version 3", broken((b) => (b.version = "3")), "/version"],
        ["version as a number", broken((b) => (b.version = 4)), "/version"],
        ["no version", broken((b) => delete b.version), "/version"],
        ["no alerts", broken((b) => delete b.alerts), "/alerts"],
        ["alerts empty", broken((b) => (b.alerts = [])), "/alerts"],
        ["alerts not an array", broken((b) => (b.alerts = {})), "/alerts"],
        ["more alerts than a batch holds", broken((b) => (b.alerts = Array.from({ length: 6 }, () => alert(b, 0)))), "/alerts"],
        ["group status pending", broken((b) => (b.status = "pending")), "/status"],
        ["alert status active", broken((b) => (alert(b, 1).status = "active")), "/alerts/1/status"],
        ["alert without status", broken((b) => delete alert(b, 0).status), "/alerts/0/status"],
        ["label value a number", broken((b) => (alert(b, 1).labels.instance = 9100)), "/alerts/1/labels/instance"],
        ["label value null", broken((b) => (alert(b, 0).labels.severity = null)), "/alerts/0/labels/severity"],
        ["labels an array", broken((b) => (alert(b, 0).labels = ["alertname"] as never)), "/alerts/0/labels"],
        ["no labels", broken((b) => delete (alert(b, 0) as Record<string, unknown>).labels), "/alerts/0/labels"],
        ["annotation not a string", broken((b) => (alert(b, 0).annotations.summary = { text: "x" })), "/alerts/0/annotations/summary"],
        ["common label not a string", broken((b) => ((b.commonLabels as Record<string, unknown>).job = true)), "/commonLabels/job"],
        ["no fingerprint", broken((b) => delete alert(b, 1).fingerprint), "/alerts/1/fingerprint"],
        ["empty fingerprint", broken((b) => (alert(b, 0).fingerprint = "")), "/alerts/0/fingerprint"],
        ["fingerprint over 256 characters", broken((b) => (alert(b, 0).fingerprint = "f".repeat(257))), "/alerts/0/fingerprint"],
        ["fingerprint with a control character", broken((b) => (alert(b, 1).fingerprint = "6a3f\u00072b1c")), "/alerts/1/fingerprint"],
        ["fingerprint a number", broken((b) => (alert(b, 0).fingerprint = 12345)), "/alerts/0/fingerprint"],
        ["truncatedAlerts negative", broken((b) => (b.truncatedAlerts = -1)), "/truncatedAlerts"],
        ["no alertname", broken((b) => delete alert(b, 1).labels.alertname), "/alerts/1/labels/alertname"],
        ["alertname not an event type name", broken((b) => (alert(b, 0).labels.alertname = "job:cpu:rate5m")), "/alerts/0/labels/alertname"],
        ["no label that ?typeLabel= names", BODY, "/alerts/0/labels/event_type", "?typeLabel=event_type"],
        ["typeLabel not a label name", BODY, "query.typeLabel", "?typeLabel=bad-label"],
        ["unknown query parameter", BODY, "query.tenant", "?tenant=globex"],
        ["an array", JSON.stringify([valid()]), ""],
        ["a string", '"firing"', ""],
      ];
      for (const [what, body, path, query] of cases) {
        const res = await post(url, "acme", key, body, query);
        const p = (await res.json()) as Problem;
        assert.equal(res.status, 400, `${what}: ${JSON.stringify(p)}`);
        assert.equal(res.headers.get("content-type")?.split(";")[0], "application/problem+json", what);
        assert.equal(p.code, "validation_failed", what);
        assert.equal(p.status, 400, what);
        assert.ok(p.type && p.title && p.detail, what);
        assert.equal(p.errors?.[0].path, path, `${what}: ${JSON.stringify(p)}`);
      }

      const v3 = (await (
        await post(
          url,
          "acme",
          key,
          broken((b) => (b.version = "3")),
        )
      ).json()) as Problem;
      assert.equal(v3.errors?.[0].message, 'must be "4", the Alertmanager webhook format this route reads; got "3"');

      for (const [what, body] of [
        ["not JSON", "receiver=tocsin&status=firing"],
        ["truncated JSON", BODY.slice(0, 100)],
        ["empty", ""],
      ]) {
        const res = await post(url, "acme", key, body);
        const p = (await res.json()) as Problem;
        assert.equal(res.status, 400, `${what}: ${JSON.stringify(p)}`);
        assert.equal(p.code, "invalid_json", what);
      }
      const text = await post(url, "acme", key, BODY, "", "text/plain");
      assert.equal(text.status, 415);

      const events = await api<{ data: unknown[] }>("GET", "/v1/tenants/acme/events");
      assert.deepEqual(events.body.data, [], "a refused notification stores none of its alerts");
    });
  });

  it("takes a fingerprint by the rule of POST …/events: any well-formed text of 1 to 256 bytes, spaces inside included", async () => {
    await withServer({}, async ({ url, api }) => {
      await api("POST", "/v1/tenants", { id: "acme" });
      const key = await tenantKey(api, "acme", ["events:write"]);
      const withFingerprints = (...fingerprints: string[]) => {
        const b = valid();
        fingerprints.forEach((f, i) => (alert(b, i).fingerprint = f));
        return JSON.stringify(b);
      };
      // A key derived from labels, with spaces and non-ASCII, is the alert's name in the path.
      const labelsKey = "job=node instance=db-1:9100 zone=zürich";
      const ok = await post(url, "acme", key, withFingerprints(labelsKey, "6a3f2b1c0d9e8f74"));
      assert.equal(ok.status, 202, await ok.text());
      const got = await api<{ fingerprint: string; status: string }>("GET", `/v1/tenants/acme/alerts/${encodeURIComponent(labelsKey)}`);
      assert.equal(got.status, 200, JSON.stringify(got.body));
      assert.deepEqual([got.body.fingerprint, got.body.status], [labelsKey, "open"]);

      const edge = "ends with white space (U+0020); leading and trailing white space is refused as a likely mistake";
      const cases: [string, string, string][] = [
        [withFingerprints("ok", "6a3f\u0085"), "/alerts/1/fingerprint", "contains a control character U+0085 at position 5"],
        [withFingerprints("é".repeat(128) + "x"), "/alerts/0/fingerprint", "is 257 bytes in UTF-8; at most 256"],
        [withFingerprints("ok", ".."), "/alerts/1/fingerprint", 'must not be "." or "..", which URLs fold away as dot segments'],
        [withFingerprints("6a3f2b1c0d9e8f74 "), "/alerts/0/fingerprint", edge],
        // As Go writes a lone surrogate: escaped.
        [
          withFingerprints("LONE").replace("LONE", "\\ud800"),
          "/alerts/0/fingerprint",
          "contains a lone surrogate U+D800 at position 1: a fingerprint must be well-formed Unicode text",
        ],
      ];
      for (const [body, path, message] of cases) {
        const res = await post(url, "acme", key, body);
        const p = (await res.json()) as Problem;
        assert.equal(res.status, 400, JSON.stringify(p));
        assert.deepEqual(p.errors, [{ path, message }]);
      }
    });
  });

  it("names the alert whose payload is too large", async () => {
    await withServer({ TOCSIN_MAX_PAYLOAD_BYTES: "1024" }, async ({ url, api }) => {
      await api("POST", "/v1/tenants", { id: "acme" });
      const key = await tenantKey(api, "acme", ["events:write"]);
      const b = valid();
      alert(b, 1).annotations.description = "x".repeat(2000);
      const res = await post(url, "acme", key, JSON.stringify(b));
      const p = (await res.json()) as Problem;
      assert.equal(res.status, 413, JSON.stringify(p));
      assert.equal(p.code, "payload_too_large");
      assert.equal(p.errors?.[0].path, "/alerts/1");
      assert.match(p.detail, /^\/alerts\/1: /);
    });
  });

  it("needs a key with events:write for its own tenant", async () => {
    await withServer({}, async ({ url, api }) => {
      await api("POST", "/v1/tenants", { id: "acme" });
      await api("POST", "/v1/tenants", { id: "globex" });
      const none = await post(url, "acme", null, BODY);
      assert.equal(none.status, 401);
      assert.equal(((await none.json()) as Problem).code, "unauthorized");
      const wrong = await post(url, "acme", "tsk_not-a-key", BODY);
      assert.equal(wrong.status, 401);
      const reader = await post(url, "acme", await tenantKey(api, "acme", ["read", "endpoints:write"]), BODY);
      assert.equal(reader.status, 403);
      assert.match(((await reader.json()) as Problem).detail, /events:write/);
      const other = await post(url, "acme", await tenantKey(api, "globex", ["events:write"]), BODY);
      assert.equal(other.status, 404);
      // A bad body from a caller without a key is a 401, not a 400: nothing is read before the key.
      assert.equal((await post(url, "acme", null, "{")).status, 401);
      assert.equal((await api<{ data: unknown[] }>("GET", "/v1/tenants/acme/events")).body.data.length, 0);
    });
  });
});

/** Alertmanager's binary (Debian names it prometheus-alertmanager), or null. */
function alertmanagerBinary(): string | null {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    for (const name of ["prometheus-alertmanager", "alertmanager"]) {
      if (dir && existsSync(join(dir, name))) return join(dir, name);
    }
  }
  return null;
}

const BINARY = alertmanagerBinary();

describe("a real Alertmanager", () => {
  it(
    "notifies Tocsin with its own webhook body and a tenant key: firing, then resolved",
    { skip: BINARY ? false : "no Alertmanager binary on PATH (apt-get install prometheus-alertmanager): not run", timeout: 90_000 },
    async () => {
      const receiver = await startReceiver();
      const dir = tempDir("tocsin-alertmanager-");
      try {
        await withServer({}, async ({ url, api }) => {
          await api("POST", "/v1/tenants", { id: "acme" });
          await api("POST", "/v1/tenants/acme/endpoints", { url: receiver.url, eventTypes: ["RealDiskFull"] });
          const key = await tenantKey(api, "acme", ["events:write"]);
          const port = await freePort();
          // The receiver configuration docs/alertmanager.md shows, with short timers.
          writeFileSync(
            join(dir, "alertmanager.yml"),
            [
              "route:",
              "  receiver: tocsin",
              "  group_by: [alertname]",
              "  group_wait: 100ms",
              "  group_interval: 1s",
              "  repeat_interval: 1h",
              "receivers:",
              "  - name: tocsin",
              "    webhook_configs:",
              `      - url: ${url}/v1/tenants/acme/ingest/alertmanager`,
              "        send_resolved: true",
              "        max_alerts: 0",
              "        http_config:",
              "          authorization:",
              "            type: Bearer",
              `            credentials: ${key}`,
              "",
            ].join("\n"),
          );
          const output: string[] = [];
          const child = spawn(
            BINARY!,
            [
              `--config.file=${join(dir, "alertmanager.yml")}`,
              `--storage.path=${join(dir, "data")}`,
              `--web.listen-address=127.0.0.1:${port}`,
              "--cluster.listen-address=",
              "--log.level=warn",
            ],
            { stdio: ["ignore", "pipe", "pipe"] },
          );
          const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
          child.stdout.on("data", (c: Buffer) => output.push(c.toString()));
          child.stderr.on("data", (c: Buffer) => output.push(c.toString()));
          const am = `http://127.0.0.1:${port}`;
          try {
            await eventually(async () => (await fetch(`${am}/-/ready`)).ok, 15_000, "Alertmanager to be ready");
            const startsAt = new Date(Date.now() - 60_000).toISOString();
            const alert = {
              labels: { alertname: "RealDiskFull", severity: "Critical", instance: "db-1:9100", job: "node" },
              annotations: { summary: "Disk > 95% & rising" },
              generatorURL: "http://prometheus.example:9090/graph?g0.expr=disk&g0.tab=1",
              startsAt,
            };
            const push = async (a: object) => {
              const r = await fetch(`${am}/api/v2/alerts`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify([a]) });
              assert.equal(r.status, 200, await r.text());
            };
            await push(alert);
            const what = (n: number) => `Alertmanager's notification ${n} to reach the receiver through Tocsin; Alertmanager said:\n${output.join("")}`;
            const [firing] = await receiver.waitFor(1, 20_000).catch((e: Error) => assert.fail(`${e.message}: ${what(1)}`));
            // Go's encoder escapes & and >; the payload keeps its text.
            assert.ok(firing.body.includes("\\u0026g0.tab=1"), firing.body);
            assert.ok(firing.body.includes("Disk \\u003e 95% \\u0026 rising"), firing.body);
            const fired = JSON.parse(firing.body) as Record<string, unknown> & { labels: Record<string, string> };
            assert.equal(fired.status, "firing");
            assert.deepEqual(fired.labels, alert.labels);
            assert.match(fired.fingerprint as string, /^[0-9a-f]{16}$/);
            assert.deepEqual(fired.commonLabels, alert.labels);
            assert.deepEqual(fired.commonAnnotations, alert.annotations);

            await push({ ...alert, endsAt: new Date(Date.now() - 1000).toISOString() });
            const got = await receiver.waitFor(2, 20_000).catch((e: Error) => assert.fail(`${e.message}: ${what(2)}`));
            const resolved = JSON.parse(got[1].body) as Record<string, unknown>;
            assert.equal(resolved.status, "resolved");
            assert.equal(resolved.fingerprint, fired.fingerprint);

            const events = (await api<{ data: EventDoc[] }>("GET", "/v1/tenants/acme/events")).body.data;
            assert.deepEqual(
              events.map((e) => [e.type, e.severity, e.payload.status, e.state, e.fingerprint]),
              [
                ["RealDiskFull", "critical", "resolved", "end", fired.fingerprint],
                ["RealDiskFull", "critical", "firing", "start", fired.fingerprint],
              ],
            );
          } finally {
            child.kill("SIGTERM");
            const stopped = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5_000))]);
            if (!stopped) {
              child.kill("SIGKILL");
              await exited;
            }
          }
        });
      } finally {
        await receiver.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
