import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runCli } from "../support/cli.ts";
import { withServer } from "../support/server.ts";

// `tocsin silences create|list|show|expire` against a real server.

describe("cli: silences", () => {
  it("creates a one-off silence and a maintenance window, lists, shows and expires them; bad input is refused", async () => {
    await withServer({}, async ({ url, apiKey, api }) => {
      const env = { TOCSIN_URL: url, TOCSIN_API_KEY: apiKey };
      const run = async (args: string[], code = 0) => {
        const r = await runCli(args, env);
        assert.equal(r.code, code, `tocsin ${args.join(" ")} -> ${r.code}\nstdout: ${r.out}\nstderr: ${r.err}`);
        return r;
      };
      assert.equal((await api("POST", "/v1/tenants", { id: "acme" })).status, 201);
      const ep = (await api<{ id: string }>("POST", "/v1/tenants/acme/endpoints", { url: "https://hooks.example/", eventTypes: ["*"] })).body.id;

      const oneOff = await run([
        "silences",
        "create",
        "--tenant",
        "acme",
        "--match",
        '{"payload.service": "db"}',
        "--endpoint",
        ep,
        "--duration",
        "2h",
        "--comment",
        "db migration",
      ]);
      assert.match(oneOff.out, /created silence sil_\w+ \(active\)/);
      assert.match(oneOff.out, /matches: +\{"payload.service":"db"\}/);
      assert.match(oneOff.out, new RegExp(`endpoints: +${ep}`));
      assert.match(oneOff.out, /created by: admin key bootstrap/);
      const id = /sil_\w+/.exec(oneOff.out)![0];

      const window = await run([
        "silences",
        "create",
        "--tenant",
        "acme",
        "--schedule",
        "days=sat,sun start=22:00 end=02:00 tz=Europe/Berlin",
        "--comment",
        "weekend nights",
        "--json",
      ]);
      const w = JSON.parse(window.out) as { id: string; schedule: unknown; endsAt: string | null; nextWindow: unknown };
      assert.deepEqual(w.schedule, { days: ["sat", "sun"], start: "22:00", end: "02:00", timeZone: "Europe/Berlin" });
      assert.equal(w.endsAt, null);

      const list = await run(["silences", "list", "--tenant", "acme"]);
      assert.match(list.out, new RegExp(`${id} +active .* ${ep} +0 +db migration`));
      assert.match(list.out, /sat,sun 22:00-02:00 Europe\/Berlin +all/);
      const recurring = JSON.parse((await run(["silences", "list", "--tenant", "acme", "--recurring", "--json"])).out) as { data: { id: string }[] };
      assert.deepEqual(
        recurring.data.map((s) => s.id),
        [w.id],
      );

      const show = await run(["silences", "show", "--tenant", "acme", "--id", id]);
      assert.match(show.out, /comment: +db migration/);
      assert.match(show.out, /suppressed: 0/);

      const expired = await run(["silences", "expire", "--tenant", "acme", "--id", id]);
      assert.match(expired.out, new RegExp(`expired silence ${id} at \\d{4}-`));
      assert.match((await run(["silences", "expire", "--tenant", "acme", "--id", id], 1)).err, /already expired/);
      assert.match((await run(["silences", "list", "--tenant", "acme", "--state", "expired"])).out, new RegExp(id));

      // Refused before asking the server, and by the server naming the field.
      assert.match((await run(["silences", "create", "--tenant", "acme", "--duration", "1h"], 2)).err, /missing --comment/);
      assert.match(
        (await run(["silences", "create", "--tenant", "acme", "--ends", "2030-01-01T00:00:00Z", "--duration", "1h", "--comment", "x"], 2)).err,
        /cannot be combined/,
      );
      assert.match((await run(["silences", "create", "--tenant", "acme", "--schedule", "sundays", "--comment", "x"], 2)).err, /--schedule/);
      assert.match((await run(["silences", "create", "--tenant", "acme", "--comment", "x", "--match", "{"], 2)).err, /--match is not JSON/);
      assert.match(
        (await run(["silences", "create", "--tenant", "acme", "--comment", "x", "--endpoint", "ep_nope", "--duration", "1h"], 1)).err,
        /endpointIds\/0/,
      );
    });
  });
});
