import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { generateKeyPair, privateKeyObject, signV1a } from "../../src/signing/ed25519.ts";
import { runCli } from "../support/cli.ts";
import { withReceiver } from "../support/receiver.ts";
import { eventually, tempDir, withServer } from "../support/server.ts";
import { verifyWebhook } from "../../packages/verify/src/index.ts";

// The CLI with signing.scheme ed25519: tocsin verify with a whpk_ key, and tocsin endpoint add,
// secret and rotate-secret printing the public key (never a private key).

describe("tocsin verify with a whpk_ public key", () => {
  it("verifies a v1a request with the public key alone, exits 1 on a changed body or another key, and 2 on a wrong key", async () => {
    const dir = tempDir();
    try {
      const pair = generateKeyPair();
      const ts = Math.floor(Date.now() / 1000);
      const body = '{"score":9.50}';
      const headers = {
        "webhook-id": "evt_1",
        "webhook-timestamp": String(ts),
        "webhook-signature": signV1a(privateKeyObject(pair.secretKey), "evt_1", ts, body),
      };
      writeFileSync(join(dir, "h.json"), JSON.stringify(headers));
      writeFileSync(join(dir, "b"), body);
      writeFileSync(join(dir, "forged"), body.replace("9.50", "9.51"));
      const args = (...more: string[]) => ["verify", "--request-headers", join(dir, "h.json"), ...more];

      for (const flags of [
        ["--public-key", pair.publicKey],
        ["--public-key", pair.publicKey, "--scheme", "ed25519"],
        ["--secret", pair.publicKey],
      ]) {
        const ok = await runCli(args("--body", join(dir, "b"), ...flags), {});
        assert.equal(ok.code, 0, `${flags.join(" ")}: ${ok.err}`);
        assert.match(ok.out, /^verified: the signature matches \(webhook-id evt_1, signed /);
      }
      const two = await runCli(args("--body", join(dir, "b"), "--public-key", generateKeyPair().publicKey, "--public-key", pair.publicKey), {});
      assert.match(two.out, /key #2/);

      const forged = await runCli(args("--body", join(dir, "forged"), "--public-key", pair.publicKey), {});
      assert.equal(forged.code, 1);
      assert.match(forged.err, /^not verified \(bad_signature\): no signature in webhook-signature matches the given public key/);
      const other = await runCli(args("--body", join(dir, "b"), "--public-key", generateKeyPair().publicKey), {});
      assert.equal(other.code, 1);
      const hmacOnly = await runCli(args("--body", join(dir, "b"), "--secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), {});
      assert.equal(hmacOnly.code, 1);
      assert.match(hmacOnly.err, /holds no v1 signature/);

      for (const [flags, re] of [
        [["--scheme", "ed25519", "--secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], /--scheme ed25519 verifies with the endpoint's public key/],
        [["--public-key", "whpk_AAAA"], /--public-key must be whpk_ followed by base64 of 32 bytes/],
        [["--secret", "whpk_AAAA"], /a whpk_ public key must be whpk_ \+ base64 of 32 bytes/],
        [["--public-key", pair.publicKey, "--scheme", "hmac-sha256", "--signature-header", "x-sig"], /--public-key applies to --scheme ed25519 or standard/],
      ] as [string[], RegExp][]) {
        const r = await runCli(args("--body", join(dir, "b"), ...flags), {});
        assert.equal(r.code, 2, `${flags.join(" ")}: ${r.err}`);
        assert.match(r.err, re);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("tocsin endpoint with --signing ed25519", () => {
  it("add prints the public key, secret prints it, rotate-secret prints the new one; the delivery verifies with it", async () => {
    await withReceiver(
      () => ({}),
      async (rx) => {
        await withServer({}, async ({ url, apiKey, api }) => {
          const env = { TOCSIN_URL: url, TOCSIN_API_KEY: apiKey };
          const ok = async (args: string[]) => {
            const r = await runCli(args, env);
            assert.equal(r.code, 0, `${args.join(" ")}: ${r.err}`);
            assert.doesNotMatch(r.out, /whsk_|whsec_/, "no private key and no secret");
            return r.out;
          };
          await ok(["tenant", "create", "--id", "acme"]);
          const added = await ok(["endpoint", "add", "--tenant", "acme", "--signing", "ed25519", `${rx.url}/hook`, "--json"]);
          const ep = JSON.parse(added) as { id: string; publicKey: string; signing: { scheme: string } };
          assert.equal(ep.signing.scheme, "ed25519");
          assert.match(ep.publicKey, /^whpk_/);
          const shown = await ok(["endpoint", "show", "--tenant", "acme", "--id", ep.id]);
          assert.match(shown, /ed25519 \(Standard Webhooks v1a/);
          assert.equal((await ok(["endpoint", "secret", "--tenant", "acme", "--id", ep.id])).trim(), ep.publicKey);
          const rotated = await ok(["endpoint", "rotate-secret", "--tenant", "acme", "--id", ep.id]);
          const newKey = /^new public key: (whpk_\S+)$/m.exec(rotated)?.[1];
          assert.ok(newKey && newKey !== ep.publicKey, rotated);
          assert.match(rotated, /a new key pair was made/);
          const refused = await runCli(
            ["endpoint", "rotate-secret", "--tenant", "acme", "--id", ep.id, "--secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
            env,
          );
          assert.equal(refused.code, 1);
          assert.match(refused.err, /\/secret/);

          await api("POST", "/v1/tenants/acme/events", { type: "x", payload: { a: 1 } });
          const [r] = await rx.waitFor(1);
          for (const key of [newKey, ep.publicKey]) {
            const v = verifyWebhook({ secret: key, signing: { scheme: "ed25519" }, headers: r!.headers as Record<string, string>, body: r!.body });
            assert.ok(v.ok, JSON.stringify(v));
          }
        });
      },
    );
  });
});

describe("tocsin listen --scheme ed25519", () => {
  it("registers an ed25519 endpoint, shows its public key, and verifies the webhook with it", { timeout: 90_000 }, async () => {
    await withServer({}, async (s) => {
      const bin = new URL("../../bin/tocsin.js", import.meta.url).pathname;
      const child = spawn(
        process.execPath,
        [bin, "listen", "--port", "0", "--json", "--tenant", "demo", "--scheme", "ed25519", "--url", s.url, "--api-key", s.apiKey],
        {
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      const out: string[] = [];
      let err = "";
      child.stdout.on("data", (c: Buffer) => out.push(...c.toString("utf8").split("\n").filter(Boolean)));
      child.stderr.on("data", (c: Buffer) => (err += c.toString("utf8")));
      const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
      const kill = setTimeout(() => child.kill("SIGKILL"), 60_000);
      try {
        const ready = JSON.parse(await eventually(async () => out[0] ?? null, 15_000, "tocsin listen to start")) as { endpointId: string };
        const { publicKey } = (await s.api<{ publicKey: string }>("GET", `/v1/tenants/demo/endpoints/${ready.endpointId}/public-key`)).body;
        assert.match(err, new RegExp(`Public key: ${publicKey.replace(/[+/]/g, "\\$&")}`));
        assert.match(err, /Signatures: ed25519 \(Standard Webhooks v1a/);
        await s.api("POST", "/v1/tenants/demo/events", { type: "alert.fired", payload: { a: 1 } });
        const seen = await eventually(async () => out.find((l) => l.startsWith('{"n":')) ?? null, 15_000, "the webhook at tocsin listen");
        assert.equal((JSON.parse(seen) as { verification: { ok: boolean } }).verification.ok, true, seen);
      } finally {
        child.kill("SIGINT");
        assert.equal(await exited, 0, err);
        clearTimeout(kill);
      }
    });
  });
});
