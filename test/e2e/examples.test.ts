import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHmac, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { Webhook } from "standardwebhooks";
import { createApiClient } from "../../src/cli/client.ts";
import { loadExample } from "../../src/cli/examples.ts";
import { main } from "../../src/cli/main.ts";
import { parseJsonKeepingSource } from "../../src/core/json.ts";
import { runShell } from "../support/cli.ts";
import { withReceiver } from "../support/receiver.ts";
import { type Api, eventually, withServer } from "../support/server.ts";

// Each vendor example of examples/<vendor>/, loaded into a real server the way `tocsin examples
// load` does, delivering the vendor documentation's example payload to a loopback receiver.

const BIN = new URL("../../bin/tocsin.js", import.meta.url).pathname;
const EXAMPLES = new URL("../../examples/", import.meta.url);
const VENDORS = ["aporia", "leakix", "mon1tor", "netography", "wallarm"];
const T = { timeout: 90_000 };

/** The example payload of `type` in examples/<vendor>/event-types.json, as compact JSON text with its number text kept. */
function exampleText(vendor: string, type: string): string {
  const types = parseJsonKeepingSource(readFileSync(new URL(`${vendor}/event-types.json`, EXAMPLES), "utf8")) as { name: string; example: unknown }[];
  const t = types.find((x) => x.name === type);
  assert.ok(t, `${vendor} has no event type ${type}`);
  return JSON.stringify(t.example);
}

/** Posts an event whose payload is `payloadText`, spliced in as is. */
async function post(api: Api, tenant: string, type: string, payloadText: string, severity?: string) {
  const r = await api<{ id: string; deliveries: number }>(
    "POST",
    `/v1/tenants/${tenant}/events`,
    `{"type":${JSON.stringify(type)},${severity ? `"severity":${JSON.stringify(severity)},` : ""}"payload":${payloadText}}`,
  );
  assert.equal(r.status, 202, JSON.stringify(r.body));
  return r.body;
}

/** Runs bin/tocsin.js as a child process, killed after `timeoutMs` (code null). */
function runCli(args: string[], env: Record<string, string>, timeoutMs = 30_000): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    const timer = setTimeout(() => {
      err += `\n[test: killed after ${timeoutMs} ms]`;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (err += c));
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

const hmacHex = (secret: string, body: string) => createHmac("sha256", Buffer.from(secret, "utf8")).update(body).digest("hex");

describe("examples: the command", () => {
  it("lists the five vendors; an unknown vendor or a missing flag is a usage error (exit 2) naming the vendors", T, async () => {
    const list = await runCli(["examples", "list", "--json"], {});
    assert.equal(list.code, 0, list.err);
    const vendors = JSON.parse(list.out) as { vendor: string; title: string; eventTypes: string[] }[];
    assert.deepEqual(
      vendors.map((v) => v.vendor),
      VENDORS,
    );
    for (const v of vendors) {
      assert.ok(v.title.length > 0 && v.eventTypes.length > 0, v.vendor);
      const ep = JSON.parse(readFileSync(new URL(`${v.vendor}/endpoint.json`, EXAMPLES), "utf8")) as Record<string, unknown>;
      assert.equal(ep.url, undefined, `${v.vendor}: the URL is given at load time`);
    }
    const bad = await runCli(["examples", "load", "nope", "--tenant", "t", "--receiver-url", "http://127.0.0.1:9/x", "--api-key", "k"], {});
    assert.equal(bad.code, 2, bad.err);
    assert.match(bad.err, /no example named 'nope'; the examples are: aporia, leakix, mon1tor, netography, wallarm/);
    const missing = await runCli(["examples", "load", "leakix", "--tenant", "t", "--api-key", "k"], {});
    assert.equal(missing.code, 2, missing.err);
    assert.match(missing.err, /--receiver-url/);
  });
});

describe("examples: the payload files the READMEs post", () => {
  it("each file is its event type's example: same members, order and number text", () => {
    for (const [vendor, type, file] of [
      ["leakix", "leakix.leak", "l9event.json"],
      ["wallarm", "wallarm.hit", "hit.json"],
      ["netography", "netography.event", "event.json"],
      ["mon1tor", "mon1tor.alert", "alert.json"],
    ]) {
      const text = readFileSync(new URL(`${vendor}/${file}`, EXAMPLES), "utf8");
      assert.equal(JSON.stringify(parseJsonKeepingSource(text)), exampleText(vendor, type), `examples/${vendor}/${file}`);
      assert.match(readFileSync(new URL(`${vendor}/README.md`, EXAMPLES), "utf8"), new RegExp(`--file examples/${vendor}/${file.replace(".", "\\.")}\\b`));
    }
  });
});

describe("examples: each vendor's documented payload, delivered as the vendor sends it", () => {
  it("leakix: the l9event arrives as is; below the severity threshold nothing is delivered; loading again updates", T, async () => {
    const doc = exampleText("leakix", "leakix.leak");
    // Distinctive text of LeakIX's documentation example.
    assert.ok(doc.includes('"event_fingerprint":"ab2848eed8451d0ea0d48a691126d1aeab2848eed8451d0ea0d48a691126d1ae"'));
    assert.ok(doc.includes('"dataset":{"rows":4,"files":1,"size":13223,"collections":1,"infected":false'));
    assert.equal(doc.split('"severity":"medium"').length, 2, "one severity member");
    const low = doc.replace('"severity":"medium"', '"severity":"low"');
    const high = doc.replace('"severity":"medium"', '"severity":"high"');
    await withReceiver(
      () => ({}),
      async (rx) => {
        await withServer({}, async ({ url, apiKey, api }) => {
          const client = createApiClient(url, apiKey);
          const r = await loadExample(client, "leakix", "acme", `${rx.url}/leakix`);
          assert.deepEqual([r.tenant, r.eventTypes, r.endpointCreated], [{ id: "acme", created: true }, [{ name: "leakix.leak", created: true }], true]);
          assert.equal(r.endpoint.minSeverity, "medium");
          const below = await post(api, "acme", "leakix.leak", low, "low");
          assert.equal(below.deliveries, 0, "an event under the threshold gets no delivery");
          assert.equal((await post(api, "acme", "leakix.leak", doc, "medium")).deliveries, 1);
          assert.equal((await post(api, "acme", "leakix.leak", high, "high")).deliveries, 1);
          const got = await rx.waitFor(2, 10_000);
          await new Promise((res) => setTimeout(res, 300));
          assert.equal(rx.requests.length, 2, "nothing else arrived");
          const bodies = got.map((g) => g.body);
          assert.ok(bodies.includes(doc), "the documentation's l9event, byte for byte");
          assert.ok(bodies.includes(high));
          assert.ok(!bodies.includes(low));
          for (const g of got) {
            assert.equal(g.method, "POST");
            assert.equal(g.path, "/leakix");
            assert.equal(g.headers["content-type"], "application/json");
          }
          const ev = await api<{ deliveries: unknown[] }>("GET", `/v1/tenants/acme/events/${below.id}`);
          assert.deepEqual(ev.body.deliveries, []);
          // Loading again updates the event type (here: a changed description comes back) and the endpoint, adding nothing.
          assert.equal((await api("PATCH", "/v1/event-types/leakix.leak", { description: "stale" })).status, 200);
          const again = await loadExample(client, "leakix", "acme", `${rx.url}/leakix`);
          assert.deepEqual(
            [again.tenant.created, again.eventTypes, again.endpointCreated, again.endpoint.id],
            [false, [{ name: "leakix.leak", created: false }], false, r.endpoint.id],
          );
          const et = await api<{ description: string }>("GET", "/v1/event-types/leakix.leak");
          assert.match(et.body.description, /^LeakIX alert/);
          assert.equal((await api<{ data: unknown[] }>("GET", "/v1/tenants/acme/endpoints")).body.data.length, 1);
        });
      },
    );
  });

  it("wallarm: PUT, the documented JSON arrays exactly, selected event types only, 20 s / 15 s timeouts", T, async () => {
    const hit = exampleText("wallarm", "wallarm.hit");
    const vuln = exampleText("wallarm", "wallarm.vulnerability");
    assert.ok(hit.includes('"anomality":0.9806949806949808') && hit.includes('"stamps_hash":-1888294073') && hit.includes('"remote_country":null'));
    assert.ok(vuln.includes('"title":"Missing \\"Strict-Transport-Security\\" header in server\'s response at \'93.184.216.34:443\'"'));
    await withReceiver(
      () => ({}),
      async (rx) => {
        await withServer({}, async ({ url, apiKey, api }) => {
          const r = await loadExample(createApiClient(url, apiKey), "wallarm", "acme", `${rx.url}/wallarm`);
          const ep = r.endpoint as Record<string, unknown>;
          assert.equal(ep.method, "PUT");
          assert.deepEqual(ep.timeouts, { connectMs: 20_000, requestMs: 15_000 });
          assert.deepEqual(ep.format, { envelope: "array", transform: null });
          assert.equal((await post(api, "acme", "wallarm.hit", hit)).deliveries, 1);
          assert.equal((await post(api, "acme", "wallarm.vulnerability", vuln)).deliveries, 1);
          assert.equal((await post(api, "acme", "wallarm.other", "{}")).deliveries, 0, "a type not selected");
          const got = await rx.waitFor(2, 10_000);
          const byBody = new Map(got.map((g) => [g.body, g]));
          for (const payload of [hit, vuln]) {
            const g = byBody.get(`[${payload}]`);
            assert.ok(g, `expected the body [${payload.slice(0, 40)}…]; got ${got.map((x) => x.body.slice(0, 40)).join(" | ")}`);
            assert.equal(g.method, "PUT");
            assert.equal(g.headers["x-source"], "wallarm");
            assert.equal(g.headers["content-type"], "application/json");
            assert.ok(Array.isArray(JSON.parse(g.body)));
            new Webhook(r.secret).verify(g.body, g.headers as Record<string, string>);
          }
        });
      },
    );
  });

  it("aporia: the test call delivers the example alert through the endpoint's settings, as does a posted event", T, async () => {
    const alert = exampleText("aporia", "aporia.alert");
    const keys = Object.keys(JSON.parse(alert) as object);
    assert.deepEqual(keys, [
      "alert_id",
      "monitor_type",
      "monitor_id",
      "monitor_name",
      "model_id",
      "model_name",
      "severity",
      "environment",
      "pretty_description",
      "dashboard_link",
    ]);
    await withReceiver(
      () => ({ status: 200 }),
      async (rx) => {
        await withServer({}, async ({ url, apiKey, api }) => {
          // Through the CLI's own entry point, in this process.
          const out: string[] = [];
          const err: string[] = [];
          const code = await main(
            ["examples", "load", "aporia", "--tenant", "ml", "--receiver-url", `${rx.url}/aporia`, "--json"],
            { TOCSIN_URL: url, TOCSIN_API_KEY: apiKey },
            {
              out: (s) => out.push(s),
              err: (s) => err.push(s),
            },
          );
          assert.equal(code, 0, err.join("\n"));
          const loaded = JSON.parse(out.join("\n")) as { endpoint: { id: string } };
          const t = await api<{ request: { method: string; body: string }; response: { status: number } | null; error: unknown }>(
            "POST",
            `/v1/tenants/ml/endpoints/${loaded.endpoint.id}/test`,
            { eventType: "aporia.alert" },
          );
          assert.equal(t.status, 200, JSON.stringify(t.body));
          assert.equal(t.body.error, null);
          assert.equal(t.body.response?.status, 200);
          assert.equal(t.body.request.body, alert);
          const [seen] = await rx.waitFor(1, 10_000);
          assert.equal(seen.method, "POST");
          assert.equal(seen.headers["x-source"], "aporia");
          assert.equal(seen.body, alert, "the test call sends the example alert exactly");
          assert.equal((await api<{ data: unknown[] }>("GET", "/v1/tenants/ml/deliveries")).body.data.length, 0, "a test call is not a delivery");
          assert.equal((await post(api, "ml", "aporia.alert", alert, "high")).deliveries, 1);
          const [, delivered] = await rx.waitFor(2, 10_000);
          assert.equal(delivered.body, alert);
        });
      },
    );
  });

  it("netography: basic auth and the header list on the wire, fields renamed in place, number text kept (CLI child process)", T, async () => {
    const doc = exampleText("netography", "netography.event");
    assert.equal(doc.split('"avg":0.00').length - 1, 7, "the documentation's averages read 0.00");
    // The renames the example promises, applied here independently of its JSONata expression.
    const renames: Record<string, string> = { srcip: "src_ip", dstip: "dst_ip", summary: "message" };
    const kept = parseJsonKeepingSource(doc) as Record<string, unknown>;
    const expected = JSON.stringify(Object.fromEntries(Object.entries(kept).map(([k, v]) => [renames[k] ?? k, v])));
    assert.notEqual(expected, doc);
    const basic = `Basic ${Buffer.from("netography:change-me").toString("base64")}`;
    await withReceiver(
      (r) => (r.headers.authorization === basic ? {} : { status: 401 }),
      async (rx) => {
        await withServer({}, async ({ url, apiKey, api }) => {
          const load = await runCli(["examples", "load", "netography", "--tenant", "noc", "--receiver-url", `${rx.url}/netography`, "--json"], {
            TOCSIN_URL: url,
            TOCSIN_API_KEY: apiKey,
          });
          assert.equal(load.code, 0, load.err);
          const loaded = JSON.parse(load.out) as { endpoint: Record<string, unknown> };
          assert.deepEqual(loaded.endpoint.auth, { type: "basic", username: "netography", passwordSet: true });
          assert.deepEqual(loaded.endpoint.headers, { "X-Netography": "Webhook" });
          assert.doesNotMatch(load.out, /change-me/, "the password is not printed");
          assert.equal((await post(api, "noc", "netography.event", doc, "medium")).deliveries, 1);
          const [got] = await rx.waitFor(1, 10_000);
          assert.equal(got.method, "POST");
          assert.equal(got.headers.authorization, basic);
          assert.equal(got.headers["x-netography"], "Webhook");
          assert.equal(got.headers["content-type"], "application/json");
          assert.equal(got.body, expected, "the documentation's event with three fields renamed, byte for byte");
          assert.equal(got.body.split('"avg":0.00').length - 1, 7);
          assert.doesNotMatch(got.body, /"(srcip|dstip|summary)":/, "the old names are gone");
          const d = await eventually(
            async () => {
              const l = await api<{ data: { status: string }[] }>("GET", "/v1/tenants/noc/deliveries");
              return l.body.data[0]?.status === "succeeded" ? l.body.data : null;
            },
            10_000,
            "the delivery to succeed (the receiver refuses wrong credentials)",
          );
          assert.equal(d.length, 1);
        });
      },
    );
  });

  it(
    "mon1tor: the URL is validated with a token first, then the alert arrives with x-mon1tor-sha256-wh over its exact bytes (CLI child process)",
    T,
    async () => {
      const alert = exampleText("mon1tor", "mon1tor.alert");
      assert.ok(alert.includes('"uptime_30d":99.90'));
      await withReceiver(
        (r) => (/^\/webhook\/mon1tor\/[^/]+$/.test(r.path) ? { status: 204 } : r.path === "/webhook/mon1tor" ? { status: 200 } : { status: 404 }),
        async (rx) => {
          await withServer({}, async ({ url, apiKey, api }) => {
            const load = await runCli(["examples", "load", "mon1tor", "--tenant", "ops", "--receiver-url", `${rx.url}/webhook/mon1tor`], {
              TOCSIN_URL: url,
              TOCSIN_API_KEY: apiKey,
            });
            assert.equal(load.code, 0, load.err);
            const id = /created endpoint (ep_\w+)/.exec(load.out)?.[1];
            const secret = /signing secret: (\S+)/.exec(load.out)?.[1];
            assert.ok(id && secret, load.out);
            assert.equal((await api<{ secret: string }>("GET", `/v1/tenants/ops/endpoints/${id}/secret`)).body.secret, secret);
            // Posted at once: the delivery waits for the validation.
            assert.equal((await post(api, "ops", "mon1tor.alert", alert)).deliveries, 1);
            const [validation, delivery] = await rx.waitFor(2, 10_000);
            const token = validation.path.slice("/webhook/mon1tor/".length);
            assert.match(validation.path, /^\/webhook\/mon1tor\/[A-Za-z0-9_-]{16,}$/);
            assert.deepEqual(JSON.parse(validation.body), { type: "tocsin.endpoint.validation", token });
            assert.equal(validation.headers["x-mon1tor-sha256-wh"], hmacHex(secret, validation.body));
            assert.equal(delivery.path, "/webhook/mon1tor");
            assert.equal(delivery.method, "POST");
            assert.equal(delivery.body, alert);
            const sig = delivery.headers["x-mon1tor-sha256-wh"];
            assert.equal(typeof sig, "string");
            const mac = hmacHex(secret, delivery.body);
            assert.ok(sig!.length === mac.length && timingSafeEqual(Buffer.from(sig as string), Buffer.from(mac)), `signature ${String(sig)} != ${mac}`);
            assert.notEqual(hmacHex(secret, delivery.body.replace("99.90", "99.9")), sig, "the signature covers the number text");
            assert.equal(delivery.headers["webhook-signature"], undefined);
            const ep = await eventually(
              async () => {
                const e = await api<{ status: string; validation: { status: string } }>("GET", `/v1/tenants/ops/endpoints/${id}`);
                return e.body.status === "active" ? e.body : null;
              },
              10_000,
              "the endpoint to be active",
            );
            assert.equal(ep.validation.status, "passed");
            // Validation on demand passes too.
            const v = await api<{ endpoint: { status: string }; result: { response: { status: number } } }>("POST", `/v1/tenants/ops/endpoints/${id}/validate`);
            assert.equal(v.status, 200, JSON.stringify(v.body));
            assert.equal(v.body.result.response.status, 204);
            assert.equal(v.body.endpoint.status, "active");
            // The printed hint works pasted as is into a shell in the checkout.
            const hint = /^try it: (.+)$/m.exec(load.out)?.[1];
            assert.ok(hint, load.out);
            const tried = await runShell(hint, { TOCSIN_URL: url, TOCSIN_API_KEY: apiKey });
            assert.equal(tried.code, 0, `${hint}\n${tried.out}`);
            assert.match(tried.out, /response: HTTP 200/, tried.out);
          });
        },
      );
    },
  );
});
