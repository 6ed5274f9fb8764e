import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Webhook } from "standardwebhooks";
import { testBackends } from "../support/backends.ts";
import { runCli } from "../support/cli.ts";
import { type ReceivedRequest, startReceiver } from "../support/receiver.ts";
import { type Api, eventually, withBackendServer } from "../support/server.ts";

// An endpoint's fallback endpoint, end to end with real receivers: while the primary's circuit is
// open or it was disabled for failing or by a 410, its deliveries go to the fallback, shaped and
// signed by the fallback's own settings, with webhook-fallback-for; its failing and disabled
// notices reach the fallback too; when it recovers, its deliveries go to it again. One hop only.
// Cool-downs are short here so that the primary's probe comes within the test.

const SECRET_P = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SECRET_F = "whsec_dGhpcyBpcyB0aGUgZmFsbGJhY2sncyBzZWNyZXQ=";
const ENV = {
  TOCSIN_CIRCUIT_FAILURES: "2",
  TOCSIN_CIRCUIT_FAILURE_RATE: "0",
  TOCSIN_CIRCUIT_COOLDOWN: "2s",
  TOCSIN_CIRCUIT_MAX_COOLDOWN: "2s",
  TOCSIN_RETRY_SCHEDULE: Array(60).fill("100ms").join(","),
};

type Health = { circuit: string; circuitUntil: string | null; consecutiveFailures: number; lastSuccessAt: string | null };
type Ep = { id: string; enabled: boolean; disabledReason: string | null; fallbackEndpointId: string | null; health: Health };
type Att = { sentToEndpointId: string | null; statusCode: number | null; startedAt: string; request: { headers: Record<string, string> } | null };
type Dlv = { id: string; status: string; attemptCount: number; sentToEndpointId: string | null; waitingFor?: { reason: string } | null };
type Problem = { errors: { path: string; message: string }[] };

const fallbackFor = (id: string) => (r: ReceivedRequest) => r.headers["webhook-fallback-for"] === id;
const typeOf = (r: ReceivedRequest) => (JSON.parse(r.body) as { type?: string }).type;
const dataOf = (r: ReceivedRequest) => (JSON.parse(r.body) as { data: Record<string, unknown> }).data;
const signedWith = (secret: string, r: ReceivedRequest) => {
  try {
    new Webhook(secret).verify(r.body, r.headers as Record<string, string>);
    return true;
  } catch {
    return false;
  }
};

async function tenant(api: Api, id: string) {
  const r = await api("POST", "/v1/tenants", { id });
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

async function endpoint(api: Api, t: string, body: Record<string, unknown>): Promise<Ep> {
  const r = await api<Ep>("POST", `/v1/tenants/${t}/endpoints`, body);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

const getEp = async (api: Api, t: string, id: string) => (await api<Ep>("GET", `/v1/tenants/${t}/endpoints/${id}`)).body;
const deliveriesOf = async (api: Api, t: string, id: string) =>
  (await api<{ data: Dlv[] }>("GET", `/v1/tenants/${t}/deliveries?endpointId=${id}&limit=100`)).body.data;
const attemptsOf = async (api: Api, t: string, id: string) => (await api<{ attempts: Att[] }>("GET", `/v1/tenants/${t}/deliveries/${id}`)).body.attempts;

async function post(api: Api, t: string, type: string, payload: unknown) {
  const r = await api("POST", `/v1/tenants/${t}/events`, { type, payload });
  assert.equal(r.status, 202, JSON.stringify(r.body));
}

for (const backend of await testBackends()) {
  describe(`fallback endpoint (${backend})`, () => {
    it(
      "takes a failing endpoint's deliveries and notices, signed and shaped as itself, one hop only; the endpoint recovers",
      { timeout: 120_000 },
      async () => {
        let primaryDown = true;
        const rxP = await startReceiver(() => (primaryDown ? { status: 500 } : {}));
        const rxF = await startReceiver();
        const rxGone = await startReceiver(() => ({ status: 410 }));
        const rxA = await startReceiver(() => ({ status: 500 }));
        const rxB = await startReceiver(() => ({ status: 500 }));
        const rxC = await startReceiver();
        try {
          await withBackendServer(backend, ENV, async ({ api, url, apiKey }) => {
            for (const t of ["acme", "beta", "gamma", "delta", "other"]) await tenant(api, t);

            // --- 400s: the fallback must be another endpoint of the same tenant.
            const foreign = await endpoint(api, "other", { url: `${rxC.url}/other`, eventTypes: ["x.*"] });
            const f = await endpoint(api, "acme", { url: `${rxF.url}/f`, eventTypes: ["other.*"], secret: SECRET_F, format: { envelope: "standard" } });
            const refused = async (method: string, path: string, body: Record<string, unknown>) => {
              const r = await api<Problem>(method, path, body);
              assert.equal(r.status, 400, JSON.stringify(r.body));
              assert.equal(r.body.errors[0].path, "/fallbackEndpointId", JSON.stringify(r.body));
              return r.body.errors[0].message;
            };
            const base = { url: `${rxP.url}/p`, eventTypes: ["alert.*"], secret: SECRET_P };
            const unknownMsg = await refused("POST", "/v1/tenants/acme/endpoints", { ...base, fallbackEndpointId: "ep_doesnotexist" });
            const foreignMsg = await refused("POST", "/v1/tenants/acme/endpoints", { ...base, fallbackEndpointId: foreign.id });
            // Another tenant's endpoint is answered exactly like an unknown one.
            assert.equal(foreignMsg.replace(foreign.id, "ID"), unknownMsg.replace("ep_doesnotexist", "ID"));
            const p = await endpoint(api, "acme", { ...base, fallbackEndpointId: f.id });
            assert.equal(p.fallbackEndpointId, f.id);
            await refused("PATCH", `/v1/tenants/acme/endpoints/${p.id}`, { fallbackEndpointId: p.id });
            await refused("PATCH", `/v1/tenants/acme/endpoints/${p.id}`, { fallbackEndpointId: foreign.id });

            // --- The CLI sets and clears it.
            const env = { TOCSIN_URL: url, TOCSIN_API_KEY: apiKey };
            const spare = await endpoint(api, "acme", { url: `${rxC.url}/spare`, eventTypes: ["none.*"] });
            const set = await runCli(["endpoint", "update", "--tenant", "acme", "--id", spare.id, "--fallback", f.id], env);
            assert.equal(set.code, 0, set.err);
            assert.match(set.out, new RegExp(`fallback\\s+${f.id}`));
            assert.equal((await getEp(api, "acme", spare.id)).fallbackEndpointId, f.id);
            const cleared = await runCli(["endpoint", "update", "--tenant", "acme", "--id", spare.id, "--no-fallback"], env);
            assert.equal(cleared.code, 0, cleared.err);
            assert.equal((await getEp(api, "acme", spare.id)).fallbackEndpointId, null);

            // --- The primary fails until its circuit opens: its deliveries go to the fallback.
            await post(api, "acme", "alert.fired", { n: 1 });
            await post(api, "acme", "alert.fired", { n: 2 });
            const viaF = await rxF.waitFor(2, 20_000, (r) => fallbackFor(p.id)(r) && typeOf(r) === "alert.fired");
            for (const r of viaF) {
              assert.ok(signedWith(SECRET_F, r), "signed with the fallback's secret");
              assert.ok(!signedWith(SECRET_P, r), "not with the primary's");
              // The fallback's body shape (standard envelope), where the primary sends the payload as is.
              assert.equal(typeof dataOf(r).n, "number");
            }
            await eventually(async () => (await getEp(api, "acme", f.id)).health.lastSuccessAt, 10_000, "the fallback's health to take the results");
            const opened = await getEp(api, "acme", p.id);
            assert.notEqual(opened.health.circuit, "closed", "successes at the fallback do not close the primary's circuit");
            assert.equal(opened.health.lastSuccessAt, null);
            // The notice about the primary reaches the fallback, which does not subscribe to tocsin.*.
            const notice = await rxF.waitFor(1, 20_000, (r) => typeOf(r) === "tocsin.endpoint.failing");
            assert.equal((dataOf(notice[0]).endpoint as { id: string }).id, p.id);
            assert.ok(signedWith(SECRET_F, notice[0]));
            // The deliveries and their attempts say where they went.
            const ds = await eventually(
              async () => {
                const list = await deliveriesOf(api, "acme", p.id);
                return list.length === 2 && list.every((d) => d.status !== "delivering") && list;
              },
              10_000,
              "the outcomes to be recorded",
            );
            for (const d of ds) {
              assert.equal(d.status, "succeeded");
              assert.equal(d.sentToEndpointId, f.id);
              const atts = await attemptsOf(api, "acme", d.id);
              const last = atts.at(-1)!;
              assert.equal(last.sentToEndpointId, f.id);
              assert.equal(last.statusCode, 200);
              assert.equal(last.request?.headers["webhook-fallback-for"], p.id);
              assert.ok(
                atts.some((a) => a.sentToEndpointId === null && a.statusCode === 500),
                "the first attempts went to the primary",
              );
            }
            const toPrimaryBefore = rxP.requests.length;

            // --- The primary answers again: after its cool-down a probe goes to it, the circuit
            // closes, and its deliveries go to it again; the fallback's deliveries are not sent again.
            primaryDown = false;
            await eventually(
              async () => {
                const h = (await getEp(api, "acme", p.id)).health;
                return h.circuit === "open" && h.circuitUntil !== null && Date.parse(h.circuitUntil) <= Date.now();
              },
              20_000,
              "the primary's cool-down to end",
            );
            await post(api, "acme", "alert.fired", { n: 3 });
            await eventually(async () => (await getEp(api, "acme", p.id)).health.circuit === "closed", 20_000, "the primary's circuit to close");
            await post(api, "acme", "alert.fired", { n: 4 });
            const back = await rxP.waitFor(toPrimaryBefore + 2, 20_000);
            const bodies = back.slice(toPrimaryBefore).map((r) => JSON.parse(r.body) as { n: number });
            assert.deepEqual(bodies.map((b) => b.n).sort(), [3, 4], "only the new deliveries reach the primary");
            assert.ok(back.slice(toPrimaryBefore).every((r) => r.headers["webhook-fallback-for"] === undefined && signedWith(SECRET_P, r)));
            assert.equal(rxF.requests.filter((r) => typeOf(r) === "alert.fired").length, 2, "the fallback got only what it took");

            // --- A primary disabled by a 410: its deliveries (new ones too) and its notice go to the fallback.
            const fb = await endpoint(api, "beta", { url: `${rxF.url}/fb`, eventTypes: ["other.*"], secret: SECRET_F, format: { envelope: "standard" } });
            const gone = await endpoint(api, "beta", { url: `${rxGone.url}/gone`, eventTypes: ["alert.*"], fallbackEndpointId: fb.id });
            await post(api, "beta", "alert.fired", { n: 1 });
            await eventually(async () => (await getEp(api, "beta", gone.id)).disabledReason === "gone", 20_000, "the 410 to disable the primary");
            await post(api, "beta", "alert.fired", { n: 2 });
            const took = await rxF.waitFor(1, 20_000, fallbackFor(gone.id));
            assert.equal(dataOf(took[0]).n, 2);
            assert.ok(signedWith(SECRET_F, took[0]));
            const disabledNotice = await rxF.waitFor(1, 20_000, (r) => typeOf(r) === "tocsin.endpoint.disabled");
            assert.equal((dataOf(disabledNotice[0]).endpoint as { id: string }).id, gone.id);
            assert.equal(rxGone.requests.length, 1, "the 410'd delivery is not sent again");
            // A batching endpoint's deliveries go to the fallback one by one, shaped by the fallback.
            const batching = await endpoint(api, "beta", {
              url: `${rxGone.url}/batching`,
              eventTypes: ["batch.*"],
              format: { envelope: "array" },
              batch: { maxEvents: 10, maxWaitMs: 200 },
              fallbackEndpointId: fb.id,
            });
            await post(api, "beta", "batch.fired", { n: 0 });
            await eventually(async () => (await getEp(api, "beta", batching.id)).disabledReason === "gone", 20_000, "the 410 to disable the batching endpoint");
            await post(api, "beta", "batch.fired", { n: 1 });
            await post(api, "beta", "batch.fired", { n: 2 });
            const singles = await rxF.waitFor(2, 20_000, fallbackFor(batching.id));
            assert.deepEqual(singles.map((r) => dataOf(r).n).sort(), [1, 2], "one request each, in the fallback's standard envelope");

            // --- A primary disabled by a person: its deliveries wait.
            const fg = await endpoint(api, "gamma", { url: `${rxF.url}/fg`, eventTypes: ["other.*"] });
            const rxManual = rxB; // answers 500
            const manual = await endpoint(api, "gamma", {
              url: `${rxManual.url}/manual`,
              eventTypes: ["alert.*"],
              fallbackEndpointId: fg.id,
              retry: { scheduleMs: [1500, 1500] },
            });
            await post(api, "gamma", "alert.fired", { n: 1 });
            await rxManual.waitFor(1, 20_000, (r) => r.path === "/manual");
            const off = await api<Ep>("PATCH", `/v1/tenants/gamma/endpoints/${manual.id}`, { enabled: false });
            assert.equal(off.body.disabledReason, "manual");
            const [waiting] = await deliveriesOf(api, "gamma", manual.id);
            // Once it is due, and after a later delivery to the fallback went out, it still waits.
            await eventually(
              async () =>
                Date.now() > Date.parse((await api<{ nextAttemptAt: string }>("GET", `/v1/tenants/gamma/deliveries/${waiting.id}`)).body.nextAttemptAt) + 300,
              10_000,
              "the delivery to be due",
            );
            await post(api, "gamma", "other.ping", { n: 1 });
            await rxF.waitFor(1, 20_000, (r) => r.path === "/fg");
            const still = (await deliveriesOf(api, "gamma", manual.id))[0];
            assert.equal(still.status, "pending");
            assert.equal(still.attemptCount, 1);
            assert.equal(still.waitingFor?.reason, "endpoint_disabled");
            assert.equal(rxF.requests.filter(fallbackFor(manual.id)).length, 0);

            // --- One hop: A falls back on B, B on C. With B's circuit open, A's deliveries wait
            // for B (its cool-down) and never go on to C.
            const c = await endpoint(api, "delta", { url: `${rxC.url}/c`, eventTypes: ["none.*"] });
            const b = await endpoint(api, "delta", { url: `${rxB.url}/b`, eventTypes: ["b.*"], fallbackEndpointId: c.id });
            const a = await endpoint(api, "delta", { url: `${rxA.url}/a`, eventTypes: ["a.*"], fallbackEndpointId: b.id });
            await post(api, "delta", "b.fired", { n: 1 });
            await post(api, "delta", "b.fired", { n: 2 });
            await eventually(async () => (await getEp(api, "delta", b.id)).health.circuit === "open", 20_000, "B's circuit to open");
            const bOpenUntil = Date.parse((await getEp(api, "delta", b.id)).health.circuitUntil!);
            await post(api, "delta", "a.fired", { n: 1 });
            await post(api, "delta", "a.fired", { n: 2 });
            await eventually(async () => (await getEp(api, "delta", a.id)).health.circuit === "open", 20_000, "A's circuit to open");
            // Once B's cool-down is over, one of A's deliveries is B's probe: nothing went to B before.
            const probe = await eventually(
              async () => {
                for (const d of await deliveriesOf(api, "delta", a.id)) {
                  const at = (await attemptsOf(api, "delta", d.id)).find((x) => x.sentToEndpointId === b.id);
                  if (at) return at;
                }
                return null;
              },
              20_000,
              "an attempt of A's at B",
            );
            assert.ok(
              Date.parse(probe.startedAt) >= bOpenUntil - 5,
              `sent to B at ${probe.startedAt}, while B was open until ${new Date(bOpenUntil).toISOString()}`,
            );
            assert.equal(rxC.requests.filter(fallbackFor(a.id)).length, 0, "a fallback's fallback is never followed");
            assert.ok(rxC.requests.filter(fallbackFor(b.id)).length >= 1, "B's own deliveries went to C");

            // --- Deleting a fallback leaves its primaries without one.
            assert.equal((await api("DELETE", `/v1/tenants/delta/endpoints/${c.id}`)).status, 204);
            assert.equal((await getEp(api, "delta", b.id)).fallbackEndpointId, null);
          });
        } finally {
          await Promise.all([rxP, rxF, rxGone, rxA, rxB, rxC].map((r) => r.close()));
        }
      },
    );
  });
}
