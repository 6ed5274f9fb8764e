import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { testBackends } from "../support/backends.ts";
import { runCli } from "../support/cli.ts";
import { scrape, value } from "../support/prometheus.ts";
import { type ReceivedRequest, withReceiver } from "../support/receiver.ts";
import { type Api, eventually, withBackendServer, withServer } from "../support/server.ts";
import type { Problem } from "./endpoint-helpers.ts";

// Flap damping (`flapping`): an alert that starts again more than `transitions` times within
// `windowMin` minutes is held from the damping endpoint, which gets one tocsin.alert.flapping
// notice; its held events are recorded as suppressed with the reason; once the alert has gone
// `stableSec` without a start or an end, its current state is sent once. On every backend, with a
// real receiver. The server's clock runs with the real one plus an offset the test moves forward,
// so the hold ends when the test says, not when a busy machine gets round to it.

type Dlv = { id: string; status: string; eventId: string; reason: { code: string; message: string } | null };

const SMALL = { transitions: 2, windowMin: 1, stableSec: 60 };

async function deliveries(api: Api, endpointId: string): Promise<Dlv[]> {
  const r = await api<{ data: Dlv[] }>("GET", `/v1/tenants/acme/deliveries?endpointId=${endpointId}&limit=100`);
  assert.equal(r.status, 200);
  return r.body.data;
}

async function endpoint(api: Api, body: Record<string, unknown>): Promise<string> {
  const r = await api<{ id: string }>("POST", "/v1/tenants/acme/endpoints", body);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.id;
}

const bodyOf = (r: ReceivedRequest) => JSON.parse(r.body) as Record<string, unknown>;
const typeOf = (r: ReceivedRequest) => (bodyOf(r).fingerprint !== undefined && bodyOf(r).transitions !== undefined ? "flapping" : `n${String(bodyOf(r).n)}`);

for (const backend of await testBackends()) {
  describe(`flap damping (${backend})`, () => {
    it(
      "sends the first pairs, one tocsin.alert.flapping notice, nothing of the held pairs, and the current state once the alert is stable",
      { timeout: 120_000 },
      async () => {
        let offset = 0;
        await withReceiver(
          () => ({ status: 200 }),
          async (rx) => {
            await withBackendServer(
              backend,
              { TOCSIN_METRICS_TOKEN: "flapping-metrics" },
              async ({ api, url }) => {
                assert.equal((await api("POST", "/v1/tenants", { id: "acme" })).status, 201);
                const damped = await endpoint(api, { url: `${rx.url}/damped`, eventTypes: ["alert.*"], flapping: SMALL });
                const plain = await endpoint(api, { url: `${rx.url}/plain`, eventTypes: ["alert.*"] });
                await endpoint(api, { url: `${rx.url}/watch`, eventTypes: ["tocsin.alert.*"] });
                assert.deepEqual((await api<{ flapping: unknown }>("GET", `/v1/tenants/acme/endpoints/${damped}`)).body.flapping, SMALL);
                assert.equal((await api<{ flapping: unknown }>("GET", `/v1/tenants/acme/endpoints/${plain}`)).body.flapping, null);

                const send = async (n: number, fingerprint: string, state: string) => {
                  const r = await api<{ id: string }>("POST", "/v1/tenants/acme/events", {
                    type: "alert.disk",
                    fingerprint,
                    state,
                    severity: "high",
                    payload: { n },
                  });
                  assert.equal(r.status, 202, JSON.stringify(r.body));
                  return r.body.id;
                };
                const states = ["start", "end", "start", "end", "start", "end", "start", "end", "start"];
                const ids: string[] = [];
                for (const [n, state] of states.entries()) ids.push(await send(n, "disk db-1", state));
                // Another alert restarts only twice, not more: never damped.
                for (const [n, state] of ["start", "end", "start", "end", "start", "end"].entries()) await send(100 + n, "cpu db-2", state);

                const at = (path: string) => rx.requests.filter((r) => r.path === path);
                await rx.waitFor(1, 30_000, (r) => r.path === "/watch");
                await rx.waitFor(9 + 6, 30_000, (r) => r.path === "/plain");
                await rx.waitFor(6 + 1 + 6, 30_000, (r) => r.path === "/damped");
                await eventually(
                  async () => (await deliveries(api, damped)).every((d) => d.status !== "pending" && d.status !== "delivering"),
                  30_000,
                  "the damped endpoint's deliveries to settle",
                );
                const damp = at("/damped").map(typeOf);
                // Sent one after another, not necessarily received in order: compare what arrived.
                assert.deepEqual(
                  damp.filter((t) => !/^n1\d\d$/.test(t)).sort(),
                  ["flapping", "n0", "n1", "n2", "n3", "n4", "n5"],
                  "the first three pairs, then the notice; the start that made it flapping and the held pair are not sent",
                );
                assert.deepEqual(
                  damp.filter((t) => /^n1\d\d$/.test(t)).sort(),
                  ["n100", "n101", "n102", "n103", "n104", "n105"],
                  "an alert that does not restart more than twice is not damped",
                );
                assert.equal(at("/plain").length, 15, "an endpoint without the setting gets every event");

                const notice = bodyOf(at("/watch")[0]!);
                assert.deepEqual(
                  { ...notice, heldSince: typeof notice.heldSince },
                  {
                    tenantId: "acme",
                    endpoint: { id: damped, name: null, url: `${rx.url}/damped` },
                    fingerprint: "disk db-1",
                    transitions: 3,
                    windowMin: 1,
                    stableSec: 60,
                    heldSince: "string",
                  },
                );
                assert.deepEqual(
                  bodyOf(at("/damped").find((r) => typeOf(r) === "flapping")!),
                  notice,
                  "the damping endpoint gets the notice without subscribing",
                );

                const held = (await deliveries(api, damped)).filter((d) => d.status === "suppressed");
                assert.deepEqual(held.map((d) => d.eventId).sort(), ids.slice(6).sort(), "the start that made it flapping and the pair after it");
                for (const d of held) {
                  assert.equal(d.reason?.code, "flapping");
                  assert.match(d.reason!.message, /flapping/);
                }
                const filtered = await api<{ data: Dlv[] }>("GET", `/v1/tenants/acme/deliveries?endpointId=${damped}&status=suppressed`);
                assert.equal(filtered.body.data.length, 3);
                const events = await api<{ data: { type: string }[] }>("GET", "/v1/tenants/acme/events?limit=100");
                assert.equal(events.body.data.filter((e) => e.type === "tocsin.alert.flapping").length, 1, "one notice event");

                const flapping = async () => value(await scrape(url, "flapping-metrics"), "tocsin_alerts_flapping");
                assert.equal(await flapping(), 1);
                type Alert = { status: string; holds: { endpointId: string; reason: { code: string }; until: string | null }[] };
                const alert = async () => (await api<Alert>("GET", `/v1/tenants/acme/alerts/${encodeURIComponent("disk db-1")}`)).body;
                const shown = await alert();
                assert.deepEqual(
                  shown.holds.map((h) => [h.endpointId, h.reason.code, typeof h.until]),
                  [[damped, "flapping", "string"]],
                  "the alerts API shows the hold",
                );

                // Stable: nothing happens until stableSec has passed, then the current state goes, once.
                const before = at("/damped").length;
                offset += 61_000;
                await rx.waitFor(before + 1, 30_000, (r) => r.path === "/damped");
                assert.equal(typeOf(at("/damped").at(-1)!), "n8", "the alert's current state: its last event, a start");
                await eventually(async () => (await flapping()) === 0, 10_000, "the gauge to drop");
                await eventually(
                  async () => (await deliveries(api, damped)).every((d) => d.status !== "pending" && d.status !== "delivering"),
                  30_000,
                  "the release to be delivered",
                );
                assert.equal(at("/damped").length, before + 1, "sent once");
                assert.deepEqual((await alert()).holds, [], "the hold is lifted");
                assert.equal(at("/watch").length, 1, "one notice in all");
              },
              () => Date.now() + offset,
            );
          },
        );
      },
    );

    it("checks flapping on create and PATCH with a 400 naming the member; PATCH merges it and null turns damping off", { timeout: 60_000 }, async () => {
      await withBackendServer(backend, {}, async ({ api }) => {
        assert.equal((await api("POST", "/v1/tenants", { id: "acme" })).status, 201);
        const id = await endpoint(api, { url: "https://receiver.example/hook", eventTypes: ["*"], flapping: {} });
        const path = `/v1/tenants/acme/endpoints/${id}`;
        assert.deepEqual(
          (await api<{ flapping: unknown }>("GET", path)).body.flapping,
          { transitions: 5, windowMin: 30, stableSec: 600 },
          "{} takes the defaults",
        );
        const bad: [unknown, string][] = [
          [{ transitions: 0 }, "/flapping/transitions"],
          [{ transitions: 101 }, "/flapping/transitions"],
          [{ windowMin: 1441 }, "/flapping/windowMin"],
          [{ windowMin: 1.5 }, "/flapping/windowMin"],
          [{ stableSec: 0 }, "/flapping/stableSec"],
          [{ stableSec: "60" }, "/flapping/stableSec"],
          [{ window: 5 }, "/flapping/window"],
          ["often", "/flapping"],
        ];
        for (const [flapping, at] of bad) {
          const r = await api<Problem>("PATCH", path, { flapping });
          assert.equal(r.status, 400, JSON.stringify(flapping));
          assert.equal(r.body.errors[0]!.path, at, JSON.stringify(r.body));
        }
        const merged = await api<{ flapping: unknown }>("PATCH", path, { flapping: { stableSec: 120 } });
        assert.equal(merged.status, 200, JSON.stringify(merged.body));
        assert.deepEqual(merged.body.flapping, { transitions: 5, windowMin: 30, stableSec: 120 });
        assert.deepEqual((await api<{ flapping: unknown }>("PATCH", path, { name: "renamed" })).body.flapping, {
          transitions: 5,
          windowMin: 30,
          stableSec: 120,
        });
        assert.equal((await api<{ flapping: unknown }>("PATCH", path, { flapping: null })).body.flapping, null);
      });
    });
  });
}

describe("flap damping: the CLI", () => {
  it("endpoint add and update set, show, merge and clear flapping with --flap-* and --no-flap-damping", { timeout: 60_000 }, async () => {
    await withServer({}, async ({ url, apiKey, api }) => {
      const env = { TOCSIN_URL: url, TOCSIN_API_KEY: apiKey };
      const run = async (args: string[], code = 0) => {
        const r = await runCli(args, env);
        assert.equal(r.code, code, `tocsin ${args.join(" ")} -> ${r.code}\nstdout: ${r.out}\nstderr: ${r.err}`);
        return r;
      };
      await run(["tenant", "create", "--id", "acme"]);
      const add = await run(["endpoint", "add", "--tenant", "acme", "--flap-transitions", "3", "--flap-window", "10m", "http://127.0.0.1:9/x"]);
      assert.match(add.out, /flap damping\s+held after more than 3 restarts within 10m, until stable for 10m\n/);
      const id = /created endpoint (ep_\w+) -> /.exec(add.out)![1]!;
      const flapping = async () => (await api<{ flapping: unknown }>("GET", `/v1/tenants/acme/endpoints/${id}`)).body.flapping;
      assert.deepEqual(await flapping(), { transitions: 3, windowMin: 10, stableSec: 600 });

      await run(["endpoint", "update", "--tenant", "acme", "--id", id, "--flap-stable", "90s"]);
      assert.deepEqual(await flapping(), { transitions: 3, windowMin: 10, stableSec: 90 }, "the flags merge onto the setting");
      const show = await run(["endpoint", "show", "--tenant", "acme", "--id", id]);
      assert.match(show.out, /flap damping\s+held after more than 3 restarts within 10m, until stable for 90s\n/);

      const both = await run(["endpoint", "update", "--tenant", "acme", "--id", id, "--flap-stable", "90s", "--no-flap-damping"], 2);
      assert.match(both.err, /--no-flap-damping and --flap-stable cannot be combined/);
      const minutes = await run(["endpoint", "update", "--tenant", "acme", "--id", id, "--flap-window", "90s"], 2);
      assert.match(minutes.err, /--flap-window: must be whole minutes/);
      const refused = await run(["endpoint", "update", "--tenant", "acme", "--id", id, "--flap-transitions", "500"], 1);
      assert.match(refused.err, /\/flapping\/transitions/);

      const off = await run(["endpoint", "update", "--tenant", "acme", "--id", id, "--no-flap-damping"]);
      assert.doesNotMatch(off.out, /flap damping/);
      assert.equal(await flapping(), null);
    });
  });
});
