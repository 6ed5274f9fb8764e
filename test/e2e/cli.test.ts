import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CLIENT_CN, makeCerts } from "../support/certs.ts";
import { runCli } from "../support/cli.ts";
import { freePort, startReceiver } from "../support/receiver.ts";
import { eventually, withServer } from "../support/server.ts";

const BIN = new URL("../../bin/tocsin.js", import.meta.url).pathname;

const run = (args: string[], env: Record<string, string>, input?: string, timeoutMs = 30_000) => runCli(args, env, { input, timeoutMs });

/** Runs the CLI and insists on exit code `code`, showing its output otherwise. */
async function runOk(args: string[], env: Record<string, string>, code = 0, input?: string) {
  const r = await run(args, env, input);
  assert.equal(r.code, code, `tocsin ${args.join(" ")} -> ${r.code}\nstdout: ${r.out}\nstderr: ${r.err}`);
  return r;
}

describe("cli", () => {
  it("creates, lists and revokes keys, and opens a portal session", async () => {
    await withServer({}, async ({ url, apiKey, api }) => {
      const env = { TOCSIN_URL: url, TOCSIN_API_KEY: apiKey };
      await runOk(["tenant", "create", "--id", "acme"], env);
      const admin = await runOk(["keys", "create", "--name", "deploy bot", "--json"], env);
      const adminKey = JSON.parse(admin.out) as { id: string; key: string; kind: string };
      assert.equal(adminKey.kind, "admin");
      const tenantKey = await runOk(["keys", "create", "--tenant", "acme", "--name", "ingest", "--scopes", "events:write"], env);
      assert.match(tenantKey.out, /created tenant key key_\w+ for tenant acme \(events:write\)\ntsk_/);
      const key = tenantKey.out.split("\n")[1];
      // The new tenant key posts events but cannot read.
      assert.equal((await runOk(["send", "--tenant", "acme", "--type", "x"], { TOCSIN_URL: url, TOCSIN_API_KEY: key }, 0, "{}")).code, 0);
      const denied = await runOk(["deliveries", "--tenant", "acme"], { TOCSIN_URL: url, TOCSIN_API_KEY: key }, 1);
      assert.match(denied.err, /read scope/);
      const list = await runOk(["keys", "list"], env);
      assert.match(list.out, /deploy bot/);
      assert.doesNotMatch(list.out, new RegExp(adminKey.key));
      await runOk(["keys", "revoke", "--id", adminKey.id], env);
      assert.equal((await api("GET", "/v1/tenants", undefined, { authorization: `Bearer ${adminKey.key}` })).status, 401);
      const portal = await runOk(["portal-session", "--tenant", "acme", "--ttl", "600"], env);
      assert.match(portal.out, /\/portal#token=tsp_/);
      assert.match((await runOk(["keys", "create", "--name", "x", "--scopes", "read"], env, 2)).err, /--scopes needs --tenant/);
    });
  });

  it("creates a tenant and an endpoint, sends an event from a file and from stdin, and lists deliveries", async () => {
    const rx = await startReceiver();
    try {
      await withServer({}, async ({ url, apiKey, dataDir }) => {
        const env = { TOCSIN_URL: url, TOCSIN_API_KEY: apiKey };
        const t = await run(["tenant", "create", "--id", "acme", "--json"], env);
        assert.equal(t.code, 0, t.err);
        assert.equal(JSON.parse(t.out).id, "acme");
        const e = await run(["endpoint", "add", "--tenant", "acme", "--event-types", "alert.*", `${rx.url}/hook`], env);
        assert.equal(e.code, 0, e.err);
        assert.match(e.out, /created endpoint ep_\w+/);
        assert.match(e.out, /signing secret: whsec_/);
        const list = await run(["endpoint", "list", "--tenant", "acme"], env);
        assert.match(list.out, /active\s+-\s+http:\/\/127\.0\.0\.1:\d+\/hook\s+alert\.\*/, "a new endpoint has no success rate yet");
        const file = join(dataDir, "payload.json");
        writeFileSync(file, '{"score": 9.50}');
        const s1 = await run(["send", "--tenant", "acme", "--type", "alert.fired", "--file", file], env);
        assert.equal(s1.code, 0, s1.err);
        assert.match(s1.out, /event evt_\w+: 1 delivery/);
        const s2 = await run(["send", "--tenant", "acme", "--file", "-"], env, '[{"type":"alert.a","payload":1},{"type":"other","payload":2}]');
        assert.equal(s2.code, 0, s2.err);
        assert.match(s2.out, /1 delivery\n.*0 deliveries/);
        const [first] = await rx.waitFor(2);
        assert.equal(first.body, '{"score":9.50}');
        const d = await eventually(async () => {
          const r = await run(["deliveries", "--tenant", "acme", "--status", "succeeded", "--json"], env);
          return JSON.parse(r.out).data.length === 2 ? r : null;
        });
        assert.equal(d.code, 0);
        const rm = await run(["endpoint", "rm", "--tenant", "acme", "--id", JSON.parse(d.out).data[0].endpointId], env);
        assert.equal(rm.code, 0, rm.err);
      });
    } finally {
      await rx.close();
    }
  });

  it("endpoint add and update set every setting; show, test, validate, pause, resume, secret and rotate-secret work", async () => {
    const rx = await startReceiver((r) =>
      r.path.startsWith("/fail")
        ? { status: 500, body: "boom" }
        : r.path.startsWith("/hook/")
          ? { status: 204, body: "" }
          : { status: 200, body: `got ${r.method}` },
    );
    const certs = await makeCerts();
    try {
      await withServer({}, async ({ url, apiKey, dataDir, api }) => {
        const env = { TOCSIN_URL: url, TOCSIN_API_KEY: apiKey, MY_TOKEN: "tok-from-env" };
        assert.equal((await api("POST", "/v1/tenants", { id: "acme" })).status, 201);

        // add: PUT, a header list, basic auth (the password holds a colon), hmac signing, a severity filter.
        const add = await runOk(
          [
            "endpoint",
            "add",
            "--tenant",
            "acme",
            "--event-types",
            "alert.*",
            "--name",
            "SOC",
            "--method",
            "PUT",
            "--headers",
            "X-A: 1, X-B: 2",
            "--header",
            "Accept: text/plain, application/json",
            "--basic-auth",
            "u:p:w",
            "--signing",
            "hmac-sha256",
            "--signature-header",
            "X-Sig",
            "--signature-encoding",
            "base64",
            "--signature-prefix",
            "sha256=",
            "--timestamp-header",
            "X-Ts",
            "--min-severity",
            "high",
            "--envelope",
            "array",
            "--connect-timeout",
            "3000",
            "--request-timeout",
            "4000",
            "--validation-method",
            "put",
            `${rx.url}/h`,
          ],
          env,
        );
        const id = /created endpoint (ep_\w+) -> /.exec(add.out)?.[1];
        assert.ok(id, add.out);
        assert.match(add.out, /receiver\s+PUT http:\/\/127\.0\.0\.1:\d+\/h\n/);
        assert.match(add.out, /headers\s+X-A: 1, X-B: 2, Accept: text\/plain, application\/json\n/);
        assert.match(add.out, /auth\s+basic, user u, password set\n/);
        assert.match(add.out, /signing\s+hmac-sha256 in X-Sig, base64, prefix sha256=, timestamp in X-Ts\n/);
        assert.match(add.out, /min severity\s+high\n/);
        assert.match(add.out, /timeouts\s+connect 3000 ms, request 4000 ms\n/);
        assert.match(add.out, /signing secret: whsec_/);
        assert.equal(add.err, "", "no warnings");
        const ep = (await api<Record<string, unknown>>("GET", `/v1/tenants/acme/endpoints/${id}`)).body;
        assert.equal(ep.method, "PUT");
        assert.equal(ep.name, "SOC");
        assert.deepEqual(ep.headers, { "X-A": "1", "X-B": "2", Accept: "text/plain, application/json" });
        assert.deepEqual(ep.auth, { type: "basic", username: "u", passwordSet: true });
        assert.deepEqual(ep.signing, { scheme: "hmac-sha256", header: "X-Sig", encoding: "base64", prefix: "sha256=", timestampHeader: "X-Ts" });
        assert.equal(ep.minSeverity, "high");
        assert.deepEqual(ep.format, { envelope: "array", transform: null });
        assert.deepEqual(ep.timeouts, { connectMs: 3000, requestMs: 4000 });
        assert.deepEqual(ep.validation, { mode: "none", method: "PUT", status: "none", error: null, validatedAt: null });
        assert.deepEqual(ep.eventTypes, ["alert.*"]);

        // send --severity: high passes the filter, low does not.
        const high = await runOk(["send", "--tenant", "acme", "--type", "alert.fired", "--severity", "high"], env, 0, '{"n": 1}');
        assert.match(high.out, /: 1 delivery/);
        const low = await runOk(["send", "--tenant", "acme", "--type", "alert.fired", "--severity", "low"], env, 0, '{"n": 2}');
        assert.match(low.out, /: 0 deliveries/);
        const none = await runOk(["send", "--tenant", "acme", "--type", "alert.fired"], env, 0, '{"n": 1}');
        assert.match(none.out, /: 0 deliveries/, "an event without severity does not pass a filter");
        const [got] = await rx.waitFor(1);
        const secret = (await runOk(["endpoint", "secret", "--tenant", "acme", "--id", id], env)).out.trim();
        assert.equal(got.method, "PUT");
        assert.equal(got.headers["x-a"], "1");
        assert.equal(got.headers["x-b"], "2");
        assert.equal(got.headers.accept, "text/plain, application/json");
        assert.equal(got.headers.authorization, `Basic ${Buffer.from("u:p:w").toString("base64")}`);
        const ts = String(got.headers["x-ts"]);
        assert.equal(got.headers["x-sig"], `sha256=${createHmac("sha256", Buffer.from(secret, "utf8")).update(`${ts}:${got.body}`).digest("base64")}`);
        const events = await api<{ data: { severity: string | null }[] }>("GET", "/v1/tenants/acme/events?limit=10");
        assert.deepEqual(events.body.data.map((e) => e.severity).sort(), ["high", "low", null].sort());
        await new Promise((r) => setTimeout(r, 200));
        assert.equal(rx.requests.length, 1, "the filtered events were not delivered");

        // update: change a header (in another case), add one, remove one; bearer from the environment; TLS files; clear the filter.
        const pem = (name: string, text: string) => {
          const f = join(dataDir, name);
          writeFileSync(f, text);
          return f;
        };
        const up = await runOk(
          [
            "endpoint",
            "update",
            "--tenant",
            "acme",
            "--id",
            id,
            "--header",
            "x-a: 10",
            "--header",
            "X-C: 3",
            "--remove-header",
            "x-b",
            "--bearer-token-env",
            "MY_TOKEN",
            "--client-cert",
            pem("client.pem", certs.clientCert),
            "--client-key",
            pem("client.key", certs.clientKey),
            "--ca",
            pem("ca.pem", certs.ca),
            "--skip-verify",
            "--min-severity",
            "none",
            "--name",
            "",
          ],
          env,
        );
        assert.match(up.out, new RegExp(`updated endpoint ${id} -> `));
        assert.match(
          up.out,
          new RegExp(`tls\\s+client cert ${CLIENT_CN} \\(valid until \\d{4}-\\d\\d-\\d\\d\\), key set; extra CA \\(1 certificate\\); skip verify\n`),
        );
        assert.match(up.out, /auth\s+bearer, token set\n/);
        assert.match(up.err, /^warning: tls\.skipVerify is on/m);
        const after = (await api<Record<string, unknown>>("GET", `/v1/tenants/acme/endpoints/${id}`)).body;
        assert.deepEqual(after.headers, { Accept: "text/plain, application/json", "x-a": "10", "X-C": "3" });
        assert.deepEqual(after.auth, { type: "bearer", tokenSet: true });
        const { clientCertInfo, ...tls } = after.tls as { clientCertInfo: { subject: string } | null };
        assert.deepEqual(tls, { clientCert: certs.clientCert, clientKeySet: true, ca: certs.ca, skipVerify: true });
        assert.match(clientCertInfo?.subject ?? "", new RegExp(CLIENT_CN), "the stored certificate is described");
        assert.equal(after.minSeverity, null);
        assert.equal(after.name, null);
        assert.equal(after.method, "PUT", "what the update did not name is kept");
        assert.equal((after.signing as { header: string }).header, "X-Sig");

        // --headers on update replaces the whole set; show prints it and the warning.
        await runOk(["endpoint", "update", "--tenant", "acme", "--id", id, "--headers", "X-Z: z", "--no-skip-verify", "--no-ca"], env);
        const show = await runOk(["endpoint", "show", "--tenant", "acme", "--id", id], env);
        assert.match(show.out, new RegExp(`^endpoint ${id} -> http://127\\.0\\.0\\.1:\\d+/h\n`));
        assert.match(show.out, /headers\s+X-Z: z\n/);
        assert.match(show.out, /status\s+active\n/);
        assert.doesNotMatch(show.out, /extra CA|skip verify/);
        // The skip-verify warning is gone; the test certificates live two days, so only the expiry one is left.
        assert.match(show.err, /^warning: tls\.clientCert expires on \d{4}-\d\d-\d\d \(in [01] days?\): renew it before receivers refuse it\n$/);
        const shown = JSON.parse((await runOk(["endpoint", "show", "--tenant", "acme", "--id", id, "--json"], env)).out) as { headers: unknown; id: string };
        assert.deepEqual(shown.headers, { "X-Z": "z" });

        // test: the receiver answers 200 -> exit 0; 500 -> exit 1; nobody listening -> exit 1 with the error class.
        const t1 = await runOk(["endpoint", "test", "--tenant", "acme", "--id", id], env);
        assert.match(t1.out, /^request: +PUT http:\/\/127\.0\.0\.1:\d+\/h\nresponse: HTTP 200 in \d+ ms\ngot PUT\n$/);
        const tv = await runOk(["endpoint", "test", "--tenant", "acme", "--id", id, "--verbose"], env);
        assert.match(tv.out, /^ {2}authorization: Bearer \[redacted\]$/m);
        assert.doesNotMatch(tv.out, /tok-from-env/);
        await runOk(["endpoint", "update", "--tenant", "acme", "--id", id, "--receiver-url", `${rx.url}/fail`], env);
        const t2 = await runOk(["endpoint", "test", "--tenant", "acme", "--id", id], env, 1);
        assert.match(t2.out, /response: HTTP 500 in \d+ ms\nboom/);
        await runOk(["endpoint", "update", "--tenant", "acme", "--id", id, "--receiver-url", `http://127.0.0.1:${await freePort()}/x`], env);
        const t3 = await runOk(["endpoint", "test", "--tenant", "acme", "--id", id, "--json"], env, 1);
        assert.equal(JSON.parse(t3.out).response, null);
        const t4 = await runOk(["endpoint", "test", "--tenant", "acme", "--id", id], env, 1);
        assert.match(t4.out, /\nerror: +connect: .+ \(after \d+ ms\)\n$/);

        // validate: nothing to validate -> 1 with the API's detail; token-path that answers 2xx -> 0.
        const v0 = await runOk(["endpoint", "validate", "--tenant", "acme", "--id", id], env, 1);
        assert.match(v0.err, /409 .*validation\.mode none/);
        await runOk(["endpoint", "update", "--tenant", "acme", "--id", id, "--receiver-url", `${rx.url}/hook`, "--validation", "token-path"], env);
        const v1 = await runOk(["endpoint", "validate", "--tenant", "acme", "--id", id], env);
        assert.match(v1.out, /^validation passed\nstatus: +active\nrequest: +PUT http:\/\/127\.0\.0\.1:\d+\/hook\/[0-9a-f]{32}\nresponse: HTTP 204/);

        // pause / resume
        assert.match((await runOk(["endpoint", "pause", "--tenant", "acme", "--id", id], env)).out, /paused endpoint ep_\w+ \(status disabled\)/);
        assert.equal((await api<{ enabled: boolean }>("GET", `/v1/tenants/acme/endpoints/${id}`)).body.enabled, false);
        assert.match((await runOk(["endpoint", "resume", "--tenant", "acme", "--id", id], env)).out, /resumed endpoint ep_\w+ \(status active\)/);
        await runOk(["endpoint", "update", "--tenant", "acme", "--id", id, "--disable"], env);
        assert.equal((await api<{ status: string }>("GET", `/v1/tenants/acme/endpoints/${id}`)).body.status, "disabled");
        await runOk(["endpoint", "update", "--tenant", "acme", "--id", id, "--enable"], env);

        // rotate-secret: generated, then supplied; the secret command prints the new one.
        const rot = await runOk(["endpoint", "rotate-secret", "--tenant", "acme", "--id", id], env);
        const rotated = /^new signing secret: (\S+)\n(.+)$/.exec(rot.out.trim());
        assert.ok(rotated, rot.out);
        assert.notEqual(rotated[1], secret);
        assert.match(rotated[2], /X-Sig header holds a single signature/);
        assert.equal((await runOk(["endpoint", "secret", "--tenant", "acme", "--id", id], env)).out.trim(), rotated[1]);
        const own = await runOk(["endpoint", "rotate-secret", "--tenant", "acme", "--id", id, "--secret", "my-own-secret-0123456789", "--json"], env);
        assert.equal(JSON.parse(own.out).secret, "my-own-secret-0123456789");

        // settings the API refuses: exit 1 with the problem's detail; nothing changes.
        const refused = await runOk(["endpoint", "update", "--tenant", "acme", "--id", id, "--header", "Host: evil.example"], env, 1);
        assert.match(refused.err, /^tocsin: 400 .*\/headers\/Host: Host is set by HTTP itself/);
        const noHmac = await runOk(["endpoint", "add", "--tenant", "acme", "--signing", "hmac-sha256", `${rx.url}/x`], env, 1);
        assert.match(noHmac.err, /\/signing\/header: is required for hmac-sha256/);
        // Signature details on an endpoint that signs with standard are refused before they are silently dropped.
        const std = await runOk(["endpoint", "add", "--tenant", "acme", "--json", `${rx.url}/std`], env);
        const stdId = JSON.parse(std.out).id as string;
        const detail = await runOk(["endpoint", "update", "--tenant", "acme", "--id", stdId, "--signature-header", "X-S"], env, 2);
        assert.match(detail.err, /--signature-header applies to --signing hmac-sha256 only \(the endpoint's scheme would be standard\)/);
        const noop = await runOk(["endpoint", "update", "--tenant", "acme", "--id", stdId, "--remove-header", "X-Nope"], env);
        assert.match(noop.err, /warning: the endpoint has no header X-Nope to remove/);
      });
    } finally {
      await rx.close();
    }
  });

  it("endpoint update --receiver-url to another origin says what it cleared; --keep-headers keeps the headers", async () => {
    const a = await startReceiver();
    const b = await startReceiver();
    try {
      await withServer({}, async ({ url, apiKey, api }) => {
        const env = { TOCSIN_URL: url, TOCSIN_API_KEY: apiKey };
        assert.equal((await api("POST", "/v1/tenants", { id: "acme" })).status, 201);
        const ep = await api<{ id: string }>("POST", "/v1/tenants/acme/endpoints", {
          url: `${a.url}/h`,
          eventTypes: ["*"],
          headers: { "X-Team": "soc" },
          auth: { type: "bearer", token: "tok-a" },
        });
        assert.equal(ep.status, 201);
        const moved = await runCli(["endpoint", "update", "--tenant", "acme", "--id", ep.body.id, "--receiver-url", `${b.url}/h`, "--keep-headers"], env);
        assert.equal(moved.code, 0, moved.err);
        assert.match(moved.err, /the URL moved to another origin, so these were cleared: auth; set them again/);
        const after = await api<{ auth: { type: string }; headers: Record<string, string> }>("GET", `/v1/tenants/acme/endpoints/${ep.body.id}`);
        assert.equal(after.body.auth.type, "none");
        assert.deepEqual(after.body.headers, { "X-Team": "soc" });
        // Within the same origin nothing is cleared, and nothing is said.
        const path = await runCli(["endpoint", "update", "--tenant", "acme", "--id", ep.body.id, "--receiver-url", `${b.url}/other`], env);
        assert.equal(path.code, 0, path.err);
        assert.doesNotMatch(path.err, /cleared/);
      });
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("sets alert lifecycle and batching, and sends alert updates with --fingerprint and --state", async () => {
    const rx = await startReceiver();
    try {
      await withServer({}, async ({ url, apiKey, api }) => {
        const env = { TOCSIN_URL: url, TOCSIN_API_KEY: apiKey };
        await runOk(["tenant", "create", "--id", "acme"], env);
        const add = await runOk(
          ["endpoint", "add", "--tenant", "acme", "--envelope", "ndjson", "--batch", "2/30000", "--ongoing-interval", "0", "--no-send-resolved", `${rx.url}/b`],
          env,
        );
        assert.match(add.out, /alert updates\s+every ongoing update, end not sent\n/);
        assert.match(add.out, /batch\s+up to 2 events, waiting at most 30000 ms\n/);
        const id = /created endpoint (ep_\w+) -> /.exec(add.out)![1];
        const ep = (await api<Record<string, unknown>>("GET", `/v1/tenants/acme/endpoints/${id}`)).body;
        assert.deepEqual(ep.lifecycle, { ongoingIntervalSec: 0, sendResolved: false });
        assert.deepEqual(ep.batch, { maxEvents: 2, maxWaitMs: 30_000 });
        assert.match((await runOk(["send", "--tenant", "acme", "--type", "ddos", "--fingerprint", "fp-9"], env, 0, "{}")).out, /: 1 delivery/);
        assert.match(
          (await runOk(["send", "--tenant", "acme", "--type", "ddos", "--fingerprint", "fp-9", "--state", "ongoing"], env, 0, "{}")).out,
          /: 1 delivery/,
        );
        assert.match(
          (await runOk(["send", "--tenant", "acme", "--type", "ddos", "--fingerprint", "fp-9", "--state", "end"], env, 0, "{}")).out,
          /: 0 deliveries/,
        );
        const [got] = await rx.waitFor(1);
        assert.equal(got.body, "{}\n{}\n", "both updates in one NDJSON batch");
        assert.match(String(got.headers["webhook-id"]), /^bat_/);
        const off = await runOk(["endpoint", "update", "--tenant", "acme", "--id", id, "--batch", "off", "--send-resolved"], env);
        assert.doesNotMatch(off.out, /batch\s+up to/);
        assert.equal((await api<{ batch: unknown }>("GET", `/v1/tenants/acme/endpoints/${id}`)).body.batch, null);
        const bad = await run(["endpoint", "update", "--tenant", "acme", "--id", id, "--batch", "2/x"], env);
        assert.equal(bad.code, 2);
        assert.match(bad.err, /--batch takes N or N\/MS/);
        const noFp = await run(["send", "--tenant", "acme", "--type", "ddos", "--state", "end"], env, "{}");
        assert.equal(noFp.code, 2);
        assert.match(noFp.err, /--state needs --fingerprint/);
      });
    } finally {
      await rx.close();
    }
  });

  it("sets a rate limit, shows health, and replays failed deliveries with a progress bar", async () => {
    let up = false;
    const rx = await startReceiver(() => (up ? {} : { status: 503 }));
    try {
      await withServer(
        { TOCSIN_RETRY_SCHEDULE: "50ms", TOCSIN_CIRCUIT_FAILURES: "6", TOCSIN_CIRCUIT_FAILURE_RATE: "0", TOCSIN_CIRCUIT_COOLDOWN: "60s" },
        async ({ url, apiKey, api }) => {
          const env = { TOCSIN_URL: url, TOCSIN_API_KEY: apiKey };
          await runOk(["tenant", "create", "--id", "acme"], env);
          const add = await runOk(["endpoint", "add", "--tenant", "acme", "--rate-limit", "2.5/4", rx.url], env);
          assert.match(add.out, /rate limit\s+2\.5 a second, bursts of 4\n/);
          assert.match(add.out, /health\s+unknown: no recent attempts; circuit closed\n/);
          const id = /created endpoint (ep_\w+) -> /.exec(add.out)![1];
          assert.deepEqual((await api<{ rateLimit: unknown }>("GET", `/v1/tenants/acme/endpoints/${id}`)).body.rateLimit, { perSecond: 2.5, burst: 4 });
          for (let i = 0; i < 3; i++) await runOk(["send", "--tenant", "acme", "--type", "scan.done"], env, 0, `{"i":${i}}`);
          await eventually(
            async () => (await api<{ data: { status: string }[] }>("GET", "/v1/tenants/acme/deliveries")).body.data.every((d) => d.status === "failed"),
            15_000,
            "the deliveries to fail",
          );
          const show = await runOk(["endpoint", "show", "--tenant", "acme", "--id", id], env);
          assert.match(show.out, /status\s+failing\n/);
          assert.match(show.out, /health\s+failing: 0% of the last \d+ attempts succeeded; circuit open until \d{4}-/);
          assert.match(show.out, /last failure \S+: HTTP 503\n/);
          assert.match(show.out, /failing since \S+ \(\d+ failed in a row\); disabled at \S+ unless it recovers/);
          const list = await runOk(["endpoint", "list", "--tenant", "acme"], env);
          assert.match(list.out, new RegExp(`${id}\\s+failing\\s+0%`));

          up = true;
          // Re-enabling by hand closes the circuit; the replay then queues the failed deliveries.
          await runOk(["endpoint", "pause", "--tenant", "acme", "--id", id], env);
          await runOk(["endpoint", "resume", "--tenant", "acme", "--id", id], env);
          const replay = await runOk(["endpoint", "replay", "--tenant", "acme", "--id", id, "--since", "1h"], env);
          assert.match(replay.err, /\[#{30}\] 100% {2}3\/3 looked at, 3 queued/);
          assert.match(replay.out, /replay rpl_\w+ completed: 3 deliveries queued, 0 skipped, of 3 looked at/);
          await rx.waitFor(3, 10_000, (r) => r.at > 0 && up);
          const again = await runOk(
            [
              "endpoint",
              "replay",
              "--tenant",
              "acme",
              "--id",
              id,
              "--since",
              new Date(Date.now() - 3_600_000).toISOString(),
              "--status",
              "all",
              "--yes",
              "--no-wait",
              "--json",
            ],
            env,
          );
          const job = JSON.parse(again.out) as { id: string; status: string; state: string };
          assert.equal(job.status, "all");
          const bad = await run(["endpoint", "replay", "--tenant", "acme", "--id", id, "--since", "last week"], env);
          assert.equal(bad.code, 2);
          assert.match(bad.err, /--since takes an ISO date-time/);
          const badRate = await run(["endpoint", "update", "--tenant", "acme", "--id", id, "--rate-limit", "fast"], env);
          assert.equal(badRate.code, 2);
          assert.match(badRate.err, /--rate-limit takes N or N\/BURST/);
          const off = await runOk(["endpoint", "update", "--tenant", "acme", "--id", id, "--rate-limit", "off"], env);
          assert.doesNotMatch(off.out, /rate limit/);
        },
      );
    } finally {
      await rx.close();
    }
  });

  it("refuses bad setting flags with exit 2 and a clear message, before talking to the server", async () => {
    const env = { TOCSIN_URL: "http://127.0.0.1:1", TOCSIN_API_KEY: "x" };
    const cases: [string[], RegExp][] = [
      [["endpoint", "add", "--tenant", "a", "--method", "PATCH", "http://r/x"], /--method must be POST or PUT, not "PATCH"/],
      [
        ["endpoint", "add", "--tenant", "a", "--headers", "X-A 1, X-B: 2", "http://r/x"],
        /--headers: "X-A 1" is not a header: expected "Name: value" \(missing colon\)/,
      ],
      [["endpoint", "add", "--tenant", "a", "--headers", ": v", "http://r/x"], /--headers: .*empty header name/],
      [["endpoint", "add", "--tenant", "a", "--headers", "X-A: 1", "--header", "x-a: 2", "http://r/x"], /header x-a is given twice/],
      [["endpoint", "add", "--tenant", "a", "--header", "nocolon", "http://r/x"], /--header: "nocolon" is not a header/],
      [["endpoint", "add", "--tenant", "a", "--basic-auth", "user-only", "http://r/x"], /--basic-auth must be USER:PASSWORD/],
      [["endpoint", "add", "--tenant", "a", "--basic-auth", "u:p", "--bearer-token", "t", "http://r/x"], /--basic-auth and --bearer-token cannot be combined/],
      [["endpoint", "add", "--tenant", "a", "--bearer-token-env", "TOCSIN_NO_SUCH_VAR", "http://r/x"], /environment variable TOCSIN_NO_SUCH_VAR is not set/],
      [["endpoint", "add", "--tenant", "a", "--signature-header", "X-S", "http://r/x"], /--signature-header applies to --signing hmac-sha256 only/],
      [["endpoint", "add", "--tenant", "a", "--signing", "hmac", "http://r/x"], /--signing must be standard, hmac-sha256, ed25519 or none/],
      [["endpoint", "add", "--tenant", "a", "--min-severity", "urgent", "http://r/x"], /--min-severity must be info, low, medium, high, critical or none/],
      [["endpoint", "add", "--tenant", "a", "--connect-timeout", "5s", "http://r/x"], /--connect-timeout must be a whole number of milliseconds/],
      [["endpoint", "add", "--tenant", "a", "--validation", "yes", "http://r/x"], /--validation must be none, token-path or challenge/],
      [["endpoint", "add", "--tenant", "a", "--skip-verify", "--no-skip-verify", "http://r/x"], /--skip-verify and --no-skip-verify cannot be combined/],
      [["endpoint", "add", "--tenant", "a", "--no-auth", "http://r/x"], /Unknown option '--no-auth'/],
      [["endpoint", "add", "--tenant", "a"], /give the receiver's URL once/],
      [["endpoint", "update", "--tenant", "a", "--id", "ep_1"], /nothing to change/],
      [["endpoint", "update", "--tenant", "a", "--id", "ep_1", "--enable", "--disable"], /--enable and --disable cannot be combined/],
      [["endpoint", "update", "--tenant", "a", "--id", "ep_1", "--method", "GET"], /--method must be POST or PUT/],
      [["endpoint", "update", "--tenant", "a", "--method", "PUT"], /missing --id/],
      [["endpoint", "test", "--tenant", "a"], /missing --id/],
      [["send", "--tenant", "a", "--type", "x", "--severity", "urgent"], /--severity must be info, low, medium, high or critical/],
      [["send", "--tenant", "a", "--severity", "high"], /--severity needs --type/],
    ];
    for (const [args, message] of cases) {
      const r = await run(args, env);
      assert.equal(r.code, 2, `tocsin ${args.join(" ")}: ${r.err}`);
      assert.match(r.err, message, `tocsin ${args.join(" ")}`);
      assert.match(r.err, /Run 'tocsin .*--help' for usage\./);
    }
    const missing = await run(["endpoint", "add", "--tenant", "a", "--client-cert", "/nonexistent/cert.pem", "http://r/x"], env);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /cannot read --client-cert \/nonexistent\/cert\.pem: ENOENT/);
  });

  it("exits 2 on usage errors, 1 on failures, and has --help everywhere", async () => {
    for (const args of [[], ["nope"], ["send"], ["endpoint", "frob"], ["deliveries", "--bogus"]]) {
      const r = await run(args, { TOCSIN_API_KEY: "x" });
      assert.equal(r.code, 2, `tocsin ${args.join(" ")}: ${r.err}`);
    }
    const helps = [["--help"], ["serve", "--help"], ["migrate", "--help"], ["tenant", "create", "--help"], ["send", "--help"], ["deliveries", "--help"]];
    for (const sub of ["add", "update", "show", "list", "test", "validate", "pause", "resume", "secret", "rotate-secret", "rm"])
      helps.push(["endpoint", sub, "--help"]);
    for (const args of helps) {
      const r = await run(args, {});
      assert.equal(r.code, 0, `tocsin ${args.join(" ")}`);
      assert.match(r.out, /Usage: tocsin/);
    }
    const down = await run(["tenant", "create", "--url", "http://127.0.0.1:1", "--api-key", "k"], {});
    assert.equal(down.code, 1);
    assert.match(down.err, /cannot reach Tocsin/);
    const badConfig = await run(["serve"], { TOCSIN_PORT: "eighty" });
    assert.equal(badConfig.code, 1);
    assert.match(badConfig.err, /TOCSIN_PORT must be a whole number/);
  });

  it("prints a clear message instead of a stack trace on a Node older than 24", () => {
    const old = spawnSync("/usr/bin/node", ["--version"], { encoding: "utf8" });
    if (old.status !== 0 || Number(old.stdout.slice(1).split(".")[0]) >= 24) {
      // No older Node on this machine: make the launcher see one.
      const r = spawnSync(
        process.execPath,
        ["--input-type=module", "-e", `Object.defineProperty(process.versions, "node", { value: "20.0.0" }); await import(${JSON.stringify(BIN)});`],
        {
          encoding: "utf8",
        },
      );
      assert.equal(r.status, 1);
      assert.match(r.stderr, /Tocsin needs Node.js 24 or newer; this is Node.js 20\.0\.0/);
      return;
    }
    const r = spawnSync("/usr/bin/node", [BIN, "--help"], { encoding: "utf8" });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /Tocsin needs Node.js 24 or newer/);
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/);
  });
});
