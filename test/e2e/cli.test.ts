import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { startReceiver } from "../support/receiver.ts";
import { eventually, withServer } from "../support/server.ts";

const BIN = new URL("../../bin/tocsin.js", import.meta.url).pathname;

function run(args: string[], env: Record<string, string>, input?: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (c) => {
      out += c;
    });
    child.stderr.on("data", (c) => {
      err += c;
    });
    child.stdin.end(input ?? "");
    child.on("exit", (code) => resolve({ code, out, err }));
  });
}

describe("cli", () => {
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
        assert.match(list.out, /active\s+http:\/\/127\.0\.0\.1:\d+\/hook\s+alert\.\*/);
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

  it("exits 2 on usage errors, 1 on failures, and has --help everywhere", async () => {
    for (const args of [[], ["nope"], ["send"], ["endpoint", "frob"], ["deliveries", "--bogus"]]) {
      const r = await run(args, { TOCSIN_API_KEY: "x" });
      assert.equal(r.code, 2, `tocsin ${args.join(" ")}: ${r.err}`);
    }
    for (const args of [["--help"], ["serve", "--help"], ["migrate", "--help"], ["tenant", "create", "--help"], ["endpoint", "add", "--help"], ["send", "--help"], ["deliveries", "--help"]]) {
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
      const r = spawnSync(process.execPath, ["--input-type=module", "-e", `Object.defineProperty(process.versions, "node", { value: "20.0.0" }); await import(${JSON.stringify(BIN)});`], {
        encoding: "utf8",
      });
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
