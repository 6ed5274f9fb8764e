import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { describe, it } from "node:test";
import { freePort } from "../support/receiver.ts";
import { type Api, type TestServer, eventually, startServer, tempDir } from "../support/server.ts";

// The receiver snippets of examples/receivers/, run as real processes against what a real Tocsin
// server sends under each signing scheme (ed25519 included), and the copies of them in docs/signing.md.

const SNIPPETS = new URL("../../examples/receivers/", import.meta.url);
const FILES = { typescript: "typescript/receiver.ts", python: "python/receiver.py", go: "go/main.go" } as const;
const SIGNING_DOC = new URL("../../docs/signing.md", import.meta.url);
const WAIT_MS = 10_000;

type Signing = { scheme: string; header?: string; encoding?: string; prefix?: string; timestampHeader?: string };
interface Case {
  name: string;
  signing: Signing;
  /** The signature covers a timestamp, so an old one is refused. */
  timestamped: boolean;
  /** The header carries one signature per secret while a rotation overlaps. */
  overlaps: boolean;
}

const CASES: Case[] = [
  { name: "standard", signing: { scheme: "standard" }, timestamped: true, overlaps: true },
  { name: "GitHub form", signing: { scheme: "hmac-sha256", header: "X-Hub-Signature-256", prefix: "sha256=" }, timestamped: false, overlaps: false },
  {
    name: "base64 with a timestamp header",
    signing: { scheme: "hmac-sha256", header: "X-Signature", encoding: "base64", timestampHeader: "X-Signature-Timestamp" },
    timestamped: true,
    overlaps: false,
  },
  { name: "mon1tor", signing: { scheme: "hmac-sha256", header: "x-mon1tor-sha256-wh" }, timestamped: false, overlaps: false },
  { name: "PagerDuty form", signing: { scheme: "hmac-sha256", header: "X-PagerDuty-Signature", prefix: "v1=" }, timestamped: false, overlaps: true },
];

/** The snippet's environment for one endpoint's `signing` (empty means unset in every snippet). */
function snippetEnv(secret: string, s: Signing): Record<string, string> {
  return {
    TOCSIN_SECRET: secret,
    SIGNING_SCHEME: s.scheme,
    SIGNATURE_HEADER: s.header ?? "",
    SIGNATURE_ENCODING: s.encoding ?? "hex",
    SIGNATURE_PREFIX: s.prefix ?? "",
    TIMESTAMP_HEADER: s.timestampHeader ?? "",
  };
}

interface Snippet {
  child: ChildProcess;
  url: string;
  lines: string[];
  /** Resolves with the first stdout line after index `from` that matches; rejects after WAIT_MS. */
  waitForLine(match: (line: string) => boolean, from?: number): Promise<string>;
  stop(): Promise<void>;
}

/** Starts `command` on a free loopback port and resolves once it prints that it listens. */
async function startSnippet(command: string[], env: Record<string, string>): Promise<Snippet> {
  const port = await freePort();
  const child = spawn(command[0], command.slice(1), {
    env: { ...process.env, ...env, HOST: "127.0.0.1", PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const errors: string[] = [];
  const listeners = new Set<() => void>();
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code) => {
      exitCode = code;
      for (const l of listeners) l();
      resolve();
    }),
  );
  createInterface({ input: child.stdout! }).on("line", (line) => {
    lines.push(line);
    for (const l of listeners) l();
  });
  createInterface({ input: child.stderr! }).on("line", (line) => errors.push(line));
  const waitForLine = (match: (line: string) => boolean, from = 0) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const found = lines.slice(from).find(match);
        if (found !== undefined || exitCode !== undefined) {
          clearTimeout(timer);
          listeners.delete(check);
          if (found !== undefined) resolve(found);
          else reject(new Error(`${command.join(" ")} exited with ${exitCode}:\n${[...lines, ...errors].join("\n")}`));
        }
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`no matching line from ${command.join(" ")} within ${WAIT_MS} ms; it printed:\n${[...lines, ...errors].join("\n")}`));
      }, WAIT_MS);
      listeners.add(check);
      check();
    });
  const stop = async () => {
    if (exitCode === undefined) child.kill("SIGKILL");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
  };
  try {
    await waitForLine((l) => l.startsWith("listening on "));
  } catch (e) {
    await stop();
    throw e;
  }
  return { child, url: `http://127.0.0.1:${port}`, lines, waitForLine, stop };
}

interface TestCall {
  request: { method: string; url: string; headers: Record<string, string>; body: string };
  response: { status: number; body: string } | null;
  error: { class: string; message: string } | null;
}

/** Sends `request` (as Tocsin's test call reports it) again, with `body` and `headers` changed as given. */
async function resend(request: TestCall["request"], body: string, headers = request.headers): Promise<{ status: number; text: string }> {
  const res = await fetch(request.url, { method: request.method, headers, body, signal: AbortSignal.timeout(WAIT_MS) });
  return { status: res.status, text: (await res.text()).trim() };
}

async function testCall(api: Api, endpointId: string): Promise<TestCall> {
  const r = await api<TestCall>("POST", `/v1/tenants/acme/endpoints/${endpointId}/test`, {});
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

/** Every delivery of `eventId`, once each is final; asserts each succeeded with a 204 from the snippet. */
async function assertDelivered(api: Api, eventId: string, count: number): Promise<void> {
  type D = { status: string; lastStatusCode: number | null };
  const list = await eventually(
    async () => {
      const r = await api<{ data: D[] }>("GET", `/v1/tenants/acme/deliveries?eventId=${eventId}`);
      return r.body.data.length === count && r.body.data.every((d) => d.status === "succeeded") ? r.body.data : null;
    },
    WAIT_MS,
    `${count} deliveries of ${eventId} to succeed`,
  );
  assert.deepEqual(
    list.map((d) => d.lastStatusCode),
    Array(count).fill(204),
  );
}

/** Runs one language's snippet against a real Tocsin server, once per signing case. */
async function exerciseSnippet(command: string[]): Promise<void> {
  const secret = `whsec_${randomBytes(32).toString("base64")}`;
  let clockOffsetMs = 0;
  const dataDir = tempDir();
  // The server and the snippets start side by side: each takes a moment.
  const serverStarting = startServer({}, dataDir, () => Date.now() + clockOffsetMs);
  serverStarting.catch(() => {}); // awaited below, after the snippets
  const started = await Promise.allSettled(CASES.map((c) => startSnippet(command, snippetEnv(secret, c.signing))));
  const snippets = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  let server: TestServer | undefined;
  try {
    server = await serverStarting;
    for (const s of started) if (s.status === "rejected") throw s.reason;
    const { api } = server;
    assert.equal((await api("POST", "/v1/tenants", { id: "acme" })).status, 201);
    const ids: string[] = [];
    for (const [i, c] of CASES.entries()) {
      const eventTypes = c.overlaps ? ["alert.*", "rotation.*"] : ["alert.*"];
      const r = await api<{ id: string }>("POST", "/v1/tenants/acme/endpoints", {
        url: `${snippets[i].url}/hooks/tocsin`,
        eventTypes,
        signing: c.signing,
        secret,
      });
      assert.equal(r.status, 201, `${c.name}: ${JSON.stringify(r.body)}`);
      ids.push(r.body.id);
    }

    // A real event, posted as text: "0.90" and the non-ASCII note reach the snippet as these bytes.
    const ev = await api<{ id: string }>(
      "POST",
      "/v1/tenants/acme/events",
      '{"type":"alert.fired","payload":{"host":"db-1","usage":0.90,"note":"disque plein ☕"}}',
    );
    assert.equal(ev.status, 202, JSON.stringify(ev.body));
    for (const [i, c] of CASES.entries()) {
      await snippets[i].waitForLine((l) => l.startsWith(`verified ${ev.body.id} `)).catch((e: Error) => assert.fail(`${c.name}: ${e.message}`));
    }
    await assertDelivered(api, ev.body.id, CASES.length);

    for (const [i, c] of CASES.entries()) {
      const snippet = snippets[i];
      const call = await testCall(api, ids[i]);
      assert.equal(call.response?.status, 204, `${c.name}: ${JSON.stringify(call)}`);
      const { request } = call;
      await snippet.waitForLine((l) => l.startsWith(`verified ${request.headers["webhook-id"]} `));

      // Within the tolerance an unchanged copy passes (receivers dedupe on webhook-id); changed bytes do not.
      assert.equal((await resend(request, request.body)).status, 204, c.name);
      const tampered = [request.body.replace("tocsin.test", "tocsin.tampered"), JSON.stringify(JSON.parse(request.body), null, 2)];
      for (const body of tampered) assert.notEqual(body, request.body);
      for (const body of tampered) {
        const mark = snippet.lines.length;
        assert.deepEqual(await resend(request, body), { status: 401, text: "bad signature" }, `${c.name}: ${body}`);
        await snippet.waitForLine((l) => l === "rejected: bad signature", mark);
      }
      const signatureHeader = c.signing.header ?? "webhook-signature";
      const unsigned = Object.fromEntries(Object.entries(request.headers).filter(([k]) => k.toLowerCase() !== signatureHeader.toLowerCase()));
      const missing = await resend(request, request.body, unsigned);
      assert.equal(missing.status, 401, c.name);
      assert.match(missing.text, /^missing /, c.name);

      if (c.timestamped) {
        // Tocsin's clock ten minutes behind: a correct signature over a timestamp outside the 300 s tolerance.
        const mark = snippet.lines.length;
        clockOffsetMs = -600_000;
        const old = await testCall(api, ids[i]).finally(() => (clockOffsetMs = 0));
        assert.equal(old.response?.status, 401, `${c.name}: ${JSON.stringify(old)}`);
        assert.equal(old.response?.body.trim(), "timestamp outside tolerance", c.name);
        await snippet.waitForLine((l) => l === "rejected: timestamp outside tolerance", mark);
      }
    }

    // A rotation: the snippets keep the previous secret, which still signs beside the new one.
    const overlapping = CASES.flatMap((c, i) => (c.overlaps ? [i] : []));
    for (const i of overlapping) {
      const r = await api<{ overlap: boolean }>("POST", `/v1/tenants/acme/endpoints/${ids[i]}/secret/rotate`, {});
      assert.equal(r.body.overlap, true, `${CASES[i].name}: ${JSON.stringify(r.body)}`);
      const call = await testCall(api, ids[i]);
      const header = call.request.headers[CASES[i].signing.header ?? "webhook-signature"];
      assert.equal(header.split(CASES[i].signing.scheme === "standard" ? " " : ",").length, 2, `${CASES[i].name}: ${header}`);
      assert.equal(call.response?.status, 204, `${CASES[i].name}: ${JSON.stringify(call)}`);
    }
    const ev2 = await api<{ id: string }>("POST", "/v1/tenants/acme/events", { type: "rotation.check", payload: { n: 2 } });
    for (const i of overlapping) await snippets[i].waitForLine((l) => l.startsWith(`verified ${ev2.body.id} `));
    await assertDelivered(api, ev2.body.id, overlapping.length);
  } finally {
    await Promise.all(snippets.map((s) => s.stop()));
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * signing.scheme ed25519 (Standard Webhooks v1a): the snippet gets only the endpoint's whpk_ public
 * key. It verifies deliveries and test calls, refuses tampered, unsigned and old requests, and
 * after a rotation still verifies with the key it holds (the previous one signs beside the new).
 */
async function exerciseEd25519(command: string[]): Promise<void> {
  let clockOffsetMs = 0;
  const dataDir = tempDir();
  const server = await startServer({}, dataDir, () => Date.now() + clockOffsetMs);
  let snippet: Snippet | undefined;
  try {
    const { api } = server;
    assert.equal((await api("POST", "/v1/tenants", { id: "acme" })).status, 201);
    // Made paused first: its URL is the snippet's, which needs the public key to start.
    const ep = await api<{ id: string }>("POST", "/v1/tenants/acme/endpoints", {
      url: "http://127.0.0.1:9/",
      eventTypes: ["*"],
      signing: { scheme: "ed25519" },
      enabled: false,
    });
    assert.equal(ep.status, 201, JSON.stringify(ep.body));
    const id = ep.body.id;
    const { publicKey } = (await api<{ publicKey: string }>("GET", `/v1/tenants/acme/endpoints/${id}/public-key`)).body;
    snippet = await startSnippet(command, { SIGNING_SCHEME: "ed25519", TOCSIN_PUBLIC_KEY: publicKey, TOCSIN_SECRET: "" });
    const s = snippet;
    assert.equal((await api("PATCH", `/v1/tenants/acme/endpoints/${id}`, { url: `${s.url}/hooks/tocsin`, enabled: true })).status, 200);

    const ev = await api<{ id: string }>("POST", "/v1/tenants/acme/events", '{"type":"alert.fired","payload":{"usage":0.90,"note":"disque plein ☕"}}');
    await s.waitForLine((l) => l.startsWith(`verified ${ev.body.id} `));
    await assertDelivered(api, ev.body.id, 1);

    const call = await testCall(api, id);
    assert.equal(call.response?.status, 204, JSON.stringify(call));
    const { request } = call;
    assert.match(request.headers["webhook-signature"], /^v1a,\S+$/);
    assert.equal((await resend(request, request.body)).status, 204);
    for (const body of [request.body.replace("tocsin.test", "tocsin.tampered"), JSON.stringify(JSON.parse(request.body), null, 2)]) {
      assert.notEqual(body, request.body);
      assert.deepEqual(await resend(request, body), { status: 401, text: "bad signature" }, body);
    }
    // A v1 (HMAC) entry where the v1a one was: the snippet checks only v1a.
    const asV1 = { ...request.headers, "webhook-signature": request.headers["webhook-signature"].replace(/^v1a,/, "v1,") };
    assert.deepEqual(await resend(request, request.body, asV1), { status: 401, text: "bad signature" });
    const { "webhook-signature": _gone, ...unsigned } = request.headers;
    assert.match((await resend(request, request.body, unsigned)).text, /^missing /);
    clockOffsetMs = -600_000;
    const old = await testCall(api, id).finally(() => (clockOffsetMs = 0));
    assert.equal(old.response?.status, 401, JSON.stringify(old));
    assert.equal(old.response?.body.trim(), "timestamp outside tolerance");

    // A rotation: the snippet keeps the previous public key, whose signature still comes second.
    const rot = await api<{ overlap: boolean; publicKey: string }>("POST", `/v1/tenants/acme/endpoints/${id}/secret/rotate`, {});
    assert.equal(rot.body.overlap, true);
    assert.notEqual(rot.body.publicKey, publicKey);
    const after = await testCall(api, id);
    assert.equal(after.request.headers["webhook-signature"].split(" ").length, 2);
    assert.equal(after.response?.status, 204, JSON.stringify(after));
    const ev2 = await api<{ id: string }>("POST", "/v1/tenants/acme/events", { type: "rotation.check", payload: { n: 2 } });
    await s.waitForLine((l) => l.startsWith(`verified ${ev2.body.id} `));
    await assertDelivered(api, ev2.body.id, 1);
  } finally {
    await snippet?.stop();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The command's output, or null when it cannot be run (not installed). */
function probe(command: string, args: string[]): string | null {
  const r = spawnSync(command, args, { encoding: "utf8", timeout: 10_000 });
  return r.status === 0 ? r.stdout.trim() : null;
}

describe("receiver snippets verify what Tocsin sends", () => {
  it("typescript: standard, GitHub, base64 + timestamp, mon1tor and PagerDuty forms; refuses tampered and old requests", { timeout: 60_000 }, async () => {
    await exerciseSnippet([process.execPath, new URL(FILES.typescript, SNIPPETS).pathname]);
  });

  it("python: the same cases", { timeout: 60_000 }, async () => {
    // The interpreter itself (not a version manager's shim), so the PID we kill is the receiver's.
    const python = probe("python3", ["-c", "import sys; print(sys.executable)"]);
    assert.ok(python, "python3 is needed to check examples/receivers/python/receiver.py; install it");
    await exerciseSnippet([python, new URL(FILES.python, SNIPPETS).pathname]);
  });

  it("typescript: ed25519 verified with the public key alone, through a rotation", { timeout: 60_000 }, async () => {
    await exerciseEd25519([process.execPath, new URL(FILES.typescript, SNIPPETS).pathname]);
  });

  it("python: ed25519 (skipped without the cryptography package: apt install python3-cryptography)", { timeout: 60_000 }, async (t) => {
    const python = probe("python3", ["-c", "import sys, cryptography; print(sys.executable)"]);
    if (python === null) {
      t.skip("python3 cannot import cryptography (Debian: python3-cryptography): the ed25519 case of examples/receivers/python/receiver.py was not checked");
      return;
    }
    await exerciseEd25519([python, new URL(FILES.python, SNIPPETS).pathname]);
  });

  it("go: the same cases and ed25519 (skipped without a Go toolchain)", { timeout: 120_000 }, async (t) => {
    if (probe("go", ["version"]) === null) {
      t.skip("go is not installed: examples/receivers/go/main.go was not checked");
      return;
    }
    const dir = tempDir("tocsin-go-receiver-");
    try {
      const binary = join(dir, "receiver");
      // A built binary, not `go run`, so that killing the PID we hold stops the receiver itself.
      await new Promise<void>((resolve, reject) =>
        execFile("go", ["build", "-o", binary, "main.go"], { cwd: new URL("go/", SNIPPETS).pathname, timeout: 90_000 }, (err, _out, stderr) =>
          err ? reject(new Error(`go build failed: ${stderr}`, { cause: err })) : resolve(),
        ),
      );
      await exerciseSnippet([binary]);
      await exerciseEd25519([binary]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("docs/signing.md shows each snippet byte for byte", () => {
    const doc = readFileSync(SIGNING_DOC, "utf8");
    const blocks = [...doc.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1], text: m[2] }));
    for (const [lang, file] of Object.entries(FILES)) {
      const shown = blocks.filter((b) => b.lang === lang);
      assert.equal(shown.length, 1, `docs/signing.md should have exactly one \`\`\`${lang} block, the copy of examples/receivers/${file}`);
      assert.equal(
        shown[0].text,
        readFileSync(new URL(file, SNIPPETS), "utf8"),
        `the \`\`\`${lang} block of docs/signing.md differs from examples/receivers/${file}: copy the file into it`,
      );
    }
  });
});
