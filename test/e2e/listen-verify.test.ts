import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runCli, runShell } from "../support/cli.ts";
import { startReceiver } from "../support/receiver.ts";
import { eventually, tempDir, type TestServer, withServer } from "../support/server.ts";

// `tocsin listen` and `tocsin verify`, run as processes against a real server.

const BIN = new URL("../../bin/tocsin.js", import.meta.url).pathname;

interface Seen {
  n: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  validation: string | null;
  verification: { ok: boolean; reason?: string; message?: string; id?: string } | null;
  answer: { status: number; reason: string };
  forwarded: { status: number | null; body: string; error: string | null } | null;
  saved: string | null;
}

interface Listener {
  child: ChildProcess;
  out: string[];
  err: string[];
  /** The JSON lines printed so far (with --json). */
  seen(): Seen[];
  ready: { listening: string; endpointId: string | null; tenantId: string | null };
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

/** Spawns `tocsin listen --port 0 ...` and waits for it to listen (its first --json line). */
async function listen(args: string[], env: Record<string, string> = {}): Promise<Listener> {
  const child = spawn(process.execPath, [BIN, "listen", "--port", "0", ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const out: string[] = [];
  const err: string[] = [];
  let buffered = "";
  child.stdout!.on("data", (c: Buffer) => {
    buffered += c.toString("utf8");
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    out.push(...lines);
  });
  child.stderr!.on("data", (c: Buffer) => err.push(c.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const kill = setTimeout(() => child.kill("SIGKILL"), 60_000);
  void exited.then(() => clearTimeout(kill));
  const first = await Promise.race([
    eventually(async () => (args.includes("--json") ? out[0] : err.join("").includes("Listening on ") && "text"), 15_000, "tocsin listen to start"),
    exited.then((code) => {
      throw new Error(`tocsin listen exited ${code}: ${err.join("")}`);
    }),
  ]);
  const ready = first === "text" ? { listening: /Listening on (\S+)/.exec(err.join(""))![1], endpointId: null, tenantId: null } : JSON.parse(first);
  return {
    child,
    out,
    err,
    ready,
    exited,
    seen: () => out.filter((l) => l.startsWith('{"n":')).map((l) => JSON.parse(l) as Seen),
    async stop() {
      child.kill("SIGINT");
      return await exited;
    },
  };
}

/** Runs `command` with bash in the repository's root, as a user pastes it there; killed after 60 s. */
async function tenantWith(s: TestServer, tenant: string, endpoint: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  if ((await s.api("GET", `/v1/tenants/${tenant}`)).status === 404) assert.equal((await s.api("POST", "/v1/tenants", { id: tenant })).status, 201);
  const r = await s.api<{ id: string; secret: string }>("POST", `/v1/tenants/${tenant}/endpoints`, endpoint);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

describe("tocsin listen and tocsin verify", () => {
  it("registers itself with --tenant, shows a verified webhook, saves it for verify, and removes its endpoint on Ctrl-C", { timeout: 90_000 }, async () => {
    const dir = tempDir("tocsin-listen-");
    try {
      await withServer({}, async (s) => {
        const l = await listen(["--json", "--tenant", "demo", "--save", dir, "--url", s.url, "--api-key", s.apiKey]);
        try {
          assert.equal(l.ready.tenantId, "demo");
          assert.match(l.ready.endpointId ?? "", /^ep_/);
          const sent = await s.api<{ id: string }>("POST", "/v1/tenants/demo/events", {
            type: "alert.fired",
            severity: "high",
            payload: { score: 9.5, host: "db-1" },
          });
          assert.equal(sent.status, 202, JSON.stringify(sent.body));
          const [got] = await eventually(async () => (l.seen().length ? l.seen() : null), 15_000, "the webhook at tocsin listen");
          assert.equal(got.method, "POST");
          assert.equal(got.verification?.ok, true, JSON.stringify(got.verification));
          assert.equal(got.answer.status, 200);
          assert.deepEqual(JSON.parse(got.body), { score: 9.5, host: "db-1" });
          assert.equal(got.saved, join(dir, "0001"));
          const d = await eventually(
            async () => {
              const list = (await s.api<{ data: { status: string }[] }>("GET", `/v1/tenants/demo/deliveries?endpointId=${l.ready.endpointId}`)).body.data;
              return list[0]?.status === "succeeded" ? list[0] : null;
            },
            10_000,
            "the delivery to succeed",
          );
          assert.ok(d);
        } finally {
          assert.equal(await l.stop(), 0, l.err.join(""));
        }
        assert.match(l.err.join(""), /Deleted endpoint ep_/);
        assert.match(l.err.join(""), /Stopped\. 1 request\(s\): 1 webhook\(s\), 1 verified, 0 not verified/);
        assert.equal((await s.api("GET", `/v1/tenants/demo/endpoints/${l.ready.endpointId}`)).status, 404, "the endpoint is gone");

        // verify: the saved request verifies with the secret the server gave the endpoint; the tenant kept nothing.
        const secret = /Secret: (\S+)/.exec(l.err.join(""))![1];
        const headers = join(dir, "0001.headers.json");
        const body = join(dir, "0001.body");
        const ok = await runCli(["verify", "--secret", secret, "--request-headers", headers, "--body", body], {});
        assert.equal(ok.code, 0, ok.err);
        assert.match(ok.out, /^verified: the signature matches \(webhook-id evt_\w+, signed \d{4}-/);
        const other = await runCli(
          ["verify", "--secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "--secret", secret, "--request-headers", headers, "--body", "-", "--json"],
          {},
          { input: readFileSync(body, "utf8") },
        );
        assert.equal(other.code, 0, other.err);
        assert.equal((JSON.parse(other.out) as { secretIndex: number }).secretIndex, 1);

        // Each failure exits 1 with its precise reason.
        const changed = await runCli(
          ["verify", "--secret", secret, "--request-headers", headers, "--body", "-"],
          {},
          { input: readFileSync(body, "utf8").replace("db-1", "db-2") },
        );
        assert.equal(changed.code, 1);
        assert.match(changed.err, /^not verified \(bad_signature\): no signature in webhook-signature matches/);
        const h = JSON.parse(readFileSync(headers, "utf8")) as Record<string, string>;
        writeFileSync(join(dir, "old.json"), JSON.stringify({ ...h, "webhook-timestamp": String(Number(h["webhook-timestamp"]) - 3600) }));
        const old = await runCli(["verify", "--secret", secret, "--request-headers", join(dir, "old.json"), "--body", body], {});
        assert.equal(old.code, 1);
        assert.match(old.err, /timestamp_out_of_tolerance\): webhook-timestamp \d+ is 36\d\d s in the past, more than the tolerance of 300 s/);
        const anyAge = await runCli(["verify", "--secret", secret, "--request-headers", join(dir, "old.json"), "--body", body, "--tolerance-sec", "0"], {});
        assert.equal(anyAge.code, 1, "an old timestamp that was changed no longer matches the signature");
        assert.match(anyAge.err, /bad_signature/);
        const { "webhook-signature": _dropped, ...unsigned } = h;
        writeFileSync(join(dir, "unsigned.json"), JSON.stringify(unsigned));
        const missing = await runCli(["verify", "--secret", secret, "--request-headers", join(dir, "unsigned.json"), "--body", body], {});
        assert.equal(missing.code, 1);
        assert.match(missing.err, /\(missing_header\): missing header webhook-signature/);

        // Usage errors exit 2 and name the flag.
        for (const [args, re] of [
          [["verify", "--request-headers", headers, "--body", body], /--secret is required/],
          [["verify", "--secret", secret, "--body", body], /--request-headers FILE is required/],
          [["verify", "--secret", secret, "--request-headers", body, "--body", body], /header "score" must be a string or a list of strings/],
          [["verify", "--secret", secret, "--request-headers", join(dir, "nope.json"), "--body", body], /cannot read --request-headers .*nope.json: ENOENT/],
          [["verify", "--secret", secret, "--request-headers", headers, "--body", body, "--scheme", "hmac-sha256"], /needs --signature-header/],
          [
            ["verify", "--secret", secret, "--request-headers", headers, "--body", body, "--prefix", "sha256="],
            /--prefix applies to --scheme hmac-sha256 only/,
          ],
          [["verify", "--secret", secret, "--request-headers", headers, "--body", body, "--tolerance-sec", "5m"], /--tolerance-sec must be whole seconds/],
          [["listen", "--port", "70000"], /--port must be a whole number from 0 to 65535/],
          [["listen", "--forward", "http://127.0.0.1:9/", "--status", "202"], /--status does not apply with --forward/],
        ] as [string[], RegExp][]) {
          const r = await runCli(args, {});
          assert.equal(r.code, 2, `${args.join(" ")}: ${r.err}`);
          assert.match(r.err, re);
        }
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("prints a Try: command that, pasted as is into a shell in the checkout, sends an event that arrives verified", { timeout: 90_000 }, async () => {
    await withServer({}, async (s) => {
      // The shell of a user whose key is in their environment; the hint brings the --url it was given.
      const env = { TOCSIN_API_KEY: s.apiKey };
      for (const [tenant, eventTypes] of [
        ["demo", []],
        ["scans", ["--event-types", "scan.*"]],
      ] as [string, string[]][]) {
        const l = await listen(["--tenant", tenant, "--url", s.url, ...eventTypes], env);
        try {
          const hint = /^Try: (.+)$/m.exec(l.err.join(""))?.[1];
          assert.ok(hint, l.err.join(""));
          const sent = await runShell(hint, env);
          assert.equal(sent.code, 0, `${hint}\n${sent.out}`);
          const id = /^event (evt_\w+): 1 delivery$/m.exec(sent.out)?.[1];
          assert.ok(id, `the event reaches the listening endpoint: ${sent.out}`);
          await eventually(async () => /✔ signature verified/.test(l.out.join("\n")), 15_000, "the hint's webhook at tocsin listen");
          assert.match(l.out.join("\n"), /"score": 9\.50/);
          const event = await s.api<{ severity: string | null; type: string }>("GET", `/v1/tenants/${tenant}/events/${id}`);
          assert.equal(event.body.severity, "high", "the severity is the event's, which endpoints filter on");
        } finally {
          assert.equal(await l.stop(), 0, l.err.join(""));
        }
      }
    });
  });

  it("verifies hmac-sha256 forms, answers both validation modes, fails the first N, and prints a readable display", { timeout: 90_000 }, async () => {
    await withServer({ TOCSIN_RETRY_SCHEDULE: "200ms,200ms,200ms,1h" }, async (s) => {
      const hmacSecret = "gh-style-secret-0123456789";
      const l = await listen([
        "--json",
        "--scheme",
        "hmac-sha256",
        "--signature-header",
        "X-Hub-Signature-256",
        "--prefix",
        "sha256=",
        "--secret",
        hmacSecret,
        "--fail-first",
        "2",
      ]);
      try {
        const url = l.ready.listening;
        const signing = { scheme: "hmac-sha256", header: "X-Hub-Signature-256", encoding: "hex", prefix: "sha256=" };
        const challenged = await tenantWith(s, "acme", {
          url: `${url}challenge`,
          eventTypes: ["alert.*"],
          signing,
          secret: hmacSecret,
          validation: { mode: "challenge" },
        });
        const tokened = await tenantWith(s, "acme", {
          url: `${url}token`,
          eventTypes: ["none.*"],
          signing,
          secret: hmacSecret,
          validation: { mode: "token-path" },
        });
        for (const ep of [challenged, tokened]) {
          const e = await eventually(
            async () => {
              const b = (await s.api<{ validation: { status: string } }>("GET", `/v1/tenants/acme/endpoints/${ep.id}`)).body;
              return b.validation.status === "pending" ? null : b;
            },
            15_000,
            "validation to finish",
          );
          assert.equal(e.validation.status, "passed", JSON.stringify(e));
        }
        const validations = l.seen().filter((x) => x.validation);
        assert.deepEqual(validations.map((x) => x.validation).sort(), ["challenge", "token-path"]);
        assert.ok(
          validations.every((x) => x.answer.status === 200 && x.verification?.ok),
          JSON.stringify(validations),
        );

        // --fail-first 2: the webhook is answered 500 twice, then 200; the same webhook-id each time.
        await s.api("POST", "/v1/tenants/acme/events", { type: "alert.fired", payload: { score: 9.5 } });
        const tries = await eventually(
          async () => {
            const w = l.seen().filter((x) => !x.validation);
            return w.length >= 3 ? w : null;
          },
          15_000,
          "three tries of the webhook",
        );
        assert.deepEqual(
          tries.map((x) => x.answer.status),
          [500, 500, 200],
        );
        assert.ok(
          tries.every((x) => x.verification?.ok),
          JSON.stringify(tries.map((x) => x.verification)),
        );
        assert.equal(new Set(tries.map((x) => x.headers["webhook-id"])).size, 1);
        const d = await eventually(
          async () => {
            const list = (await s.api<{ data: { status: string; attemptCount: number }[] }>("GET", `/v1/tenants/acme/deliveries?endpointId=${challenged.id}`))
              .body.data;
            return list[0]?.status === "succeeded" ? list[0] : null;
          },
          10_000,
          "the delivery to succeed on its third attempt",
        );
        assert.equal(d.attemptCount, 3);
      } finally {
        assert.equal(await l.stop(), 0);
      }

      // Text display: headers, the body indented with numbers as sent, the verdict, the answer.
      const t = await listen([
        "--secret",
        "wrong-secret-000000000",
        "--scheme",
        "hmac-sha256",
        "--signature-header",
        "X-Hub-Signature-256",
        "--prefix",
        "sha256=",
      ]);
      try {
        const ep = await tenantWith(s, "acme", {
          url: `${t.ready.listening}text`,
          eventTypes: ["text.*"],
          signing: { scheme: "hmac-sha256", header: "X-Hub-Signature-256", encoding: "hex", prefix: "sha256=" },
          secret: hmacSecret,
          auth: { type: "basic", username: "ops", password: "pa55word" },
        });
        // Raw text, so that 9.50 reaches Tocsin as written.
        const posted = await fetch(`${s.url}/v1/tenants/acme/events`, {
          method: "POST",
          headers: { authorization: `Bearer ${s.apiKey}`, "content-type": "application/json" },
          body: '{"type": "text.shown", "payload": {"score": 9.50, "tags": [], "nested": {"a": [1, 2]}}}',
        });
        assert.equal(posted.status, 202);
        const shown = await eventually(async () => (t.out.join("\n").includes("answered 200") ? t.out.join("\n") : null), 15_000, "the text display");
        assert.match(shown, /── #1 {2}\d\d:\d\d:\d\d\.\d{3} {2}POST \/text {2}\(\d+ bytes\)/);
        assert.match(shown, /^ {2}x-hub-signature-256: sha256=[0-9a-f]{64}$/m);
        assert.match(shown, /^ {2}authorization: Basic ops:•••• \(password hidden\)$/m);
        assert.ok(!shown.includes("pa55word"));
        assert.match(shown, /^ {4}"score": 9\.50,$/m, shown);
        assert.match(shown, /^ {4}"tags": \[\],$/m);
        assert.match(shown, /✘ signature NOT verified: bad_signature: the signature in X-Hub-Signature-256 does not match/);
        assert.ok(ep.id);
      } finally {
        assert.equal(await t.stop(), 0);
      }
      assert.match(t.err.join(""), /Stopped\. 1 request\(s\): 1 webhook\(s\), 0 verified, 1 not verified\./);
    });
  });

  it("relays to the app with --forward and answers with the app's answer, or 502 when it is down", { timeout: 60_000 }, async () => {
    const app = await startReceiver(() => ({ status: 201, body: '{"stored":true}', headers: { "content-type": "application/json" } }));
    try {
      await withServer({ TOCSIN_RETRY_SCHEDULE: "1h" }, async (s) => {
        const l = await listen(["--json", "--forward", `${app.url}/webhooks`]);
        try {
          const ep = await tenantWith(s, "acme", { url: `${l.ready.listening}in`, eventTypes: ["*"] });
          await s.api("POST", "/v1/tenants/acme/events", { type: "alert.fired", payload: { n: 1 } });
          const [got] = await app.waitFor(1, 15_000);
          assert.equal(got.path, "/webhooks");
          assert.match(String(got.headers["webhook-signature"]), /^v1,/, "the signature headers are relayed");
          assert.deepEqual(JSON.parse(got.body), { n: 1 });
          const [seen] = await eventually(async () => (l.seen().length ? l.seen() : null), 10_000, "the relay shown");
          assert.deepEqual([seen.forwarded?.status, seen.forwarded?.body, seen.answer.status], [201, '{"stored":true}', 201]);
          const attempt = await eventually(
            async () => {
              const list = (await s.api<{ data: { id: string; status: string }[] }>("GET", `/v1/tenants/acme/deliveries?endpointId=${ep.id}`)).body.data;
              if (list[0]?.status !== "succeeded") return null;
              return (await s.api<{ attempts: { statusCode: number }[] }>("GET", `/v1/tenants/acme/deliveries/${list[0].id}`)).body.attempts[0];
            },
            10_000,
            "the delivery to succeed",
          );
          assert.equal(attempt.statusCode, 201);
        } finally {
          assert.equal(await l.stop(), 0);
        }
      });
    } finally {
      await app.close();
    }
    const down = await listen(["--json", "--forward", `${app.url}/gone`]);
    try {
      const r = await fetch(`${down.ready.listening}x`, { method: "POST", body: "{}" });
      assert.equal(r.status, 502);
      assert.match(await r.text(), /could not reach/);
      const [seen] = await eventually(async () => (down.seen().length ? down.seen() : null), 5_000, "the failed relay shown");
      assert.equal(seen.forwarded?.error, "ECONNREFUSED");
    } finally {
      assert.equal(await down.stop(), 0);
    }
  });

  it("says which port is taken and exits 1", { timeout: 30_000 }, async () => {
    const a = await listen(["--json"]);
    try {
      const port = new URL(a.ready.listening).port;
      const r = await runCli(["listen", "--port", port], {}, { timeoutMs: 15_000 });
      assert.equal(r.code, 1);
      assert.match(r.err, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use: choose another with --port`));
    } finally {
      assert.equal(await a.stop(), 0);
    }
  });
});
