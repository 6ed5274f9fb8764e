import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { testBackends } from "../support/backends.ts";
import { type Receiver, withReceiver } from "../support/receiver.ts";
import { type Api, createApi, withBackendServer } from "../support/server.ts";

// Silences and maintenance windows end to end, on both backends, with a real receiver and the
// server's clock driven by the test: what matches is recorded as suppressed with the reason and
// never sent; what does not is sent; an alert still open when its silence ends is sent then, and
// its end after it; an end whose start the receiver never got is not sent; maintenance windows
// follow Europe/Berlin across both DST switches.

type Dlv = { id: string; status: string; eventId: string; endpointId: string; reason: { code: string; message: string; silenceId?: string } | null };
type Silence = {
  id: string;
  state: string;
  endsAt: string | null;
  expiredEarly: boolean;
  suppressed: number;
  currentWindow: { start: string; end: string } | null;
  nextWindow: { start: string; end: string } | null;
  createdBy: { kind: string; keyId: string; name: string | null };
};
type Problem = { errors?: { path: string; message: string }[] };

const T = "/v1/tenants/acme";

async function post(api: Api, events: unknown[]): Promise<string[]> {
  const r = await api<{ events: { id: string }[] }>("POST", `${T}/events`, events);
  assert.equal(r.status, 202, JSON.stringify(r.body));
  return r.body.events.map((e) => e.id);
}

async function deliveriesOf(api: Api, eventId: string): Promise<Dlv[]> {
  const r = await api<{ data: Dlv[] }>("GET", `${T}/deliveries?eventId=${eventId}`);
  assert.equal(r.status, 200);
  return r.body.data;
}

async function silence(api: Api, body: Record<string, unknown>): Promise<Silence> {
  const r = await api<Silence>("POST", `${T}/silences`, body);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

/** The requests that carried this event (webhook-id is the event id). */
const got = (rx: Receiver, eventId: string, path?: string) => rx.requests.filter((q) => q.headers["webhook-id"] === eventId && (!path || q.path === path));

for (const backend of await testBackends()) {
  describe(`silences (${backend})`, () => {
    it("suppresses what a silence matches, sends the rest, and releases open alerts when it ends", { timeout: 180_000 }, async (t) => {
      let offset = 0;
      const now = () => Date.now() + offset;
      const setClock = (iso: string) => {
        offset = Date.parse(iso) - Date.now();
      };
      await withReceiver(
        () => ({ status: 200 }),
        async (rx) => {
          await withBackendServer(
            backend,
            {},
            async ({ api: admin, url }) => {
              assert.equal((await admin("POST", "/v1/tenants", { id: "acme" })).status, 201);
              assert.equal((await admin("POST", "/v1/tenants", { id: "globex" })).status, 201);
              const ep = async (tenant: string, path: string) => {
                const r = await admin<{ id: string }>("POST", `/v1/tenants/${tenant}/endpoints`, { url: `${rx.url}${path}`, eventTypes: ["*"] });
                assert.equal(r.status, 201, JSON.stringify(r.body));
                return r.body.id;
              };
              const a = await ep("acme", "/a");
              const b = await ep("acme", "/b");
              const foreign = await ep("globex", "/g");
              const key = await admin<{ key: string; id: string }>("POST", `${T}/keys`, {
                name: "oncall",
                scopes: ["endpoints:write", "read", "events:write"],
              });
              const api = createApi(url, key.body.key);
              const globex = createApi(
                url,
                (await admin<{ key: string }>("POST", "/v1/tenants/globex/keys", { name: "g", scopes: ["endpoints:write", "read"] })).body.key,
              );
              /** Waits until an event posted now has arrived everywhere it goes: what was posted before it has been decided. */
              const settle = async () => {
                const [marker] = await post(api, [{ type: "marker", payload: {} }]);
                await rx.waitFor(2, 20_000, (q) => q.headers["webhook-id"] === marker);
              };

              await t.test("a maintenance window follows Europe/Berlin across the spring gap and the repeated autumn hour", async () => {
                setClock("2026-03-29T00:10:00Z");
                const w = await silence(api, {
                  endpointIds: [a],
                  schedule: { days: ["sun"], start: "02:00", end: "04:00", timeZone: "Europe/Berlin" },
                  comment: "weekly maintenance",
                });
                assert.equal(w.endsAt, null);
                assert.equal(w.state, "pending", "00:10Z is 01:10 CET, before the window");
                // 02:00–04:00 on the spring Sunday runs 03:00–04:00 CEST: 01:00Z–02:00Z.
                assert.deepEqual(w.nextWindow, { start: "2026-03-29T01:00:00.000Z", end: "2026-03-29T02:00:00.000Z" });
                const check = async (iso: string, inside: boolean) => {
                  setClock(iso);
                  const [id] = await post(api, [{ type: "maint.check", payload: { at: iso } }]);
                  const ds = await deliveriesOf(api, id!);
                  const toA = ds.find((d) => d.endpointId === a)!;
                  const toB = ds.find((d) => d.endpointId === b)!;
                  assert.equal(toA.status === "suppressed", inside, `${iso}: ${JSON.stringify(toA)}`);
                  assert.notEqual(toB.status, "suppressed", "the window names only endpoint a");
                  if (inside) {
                    assert.equal(toA.reason?.silenceId, w.id);
                    assert.match(toA.reason!.message, /maintenance window.*weekly maintenance/);
                  }
                  const now = (await api<Silence>("GET", `${T}/silences/${w.id}`)).body;
                  assert.equal(now.state, inside ? "active" : "pending", iso);
                  return now;
                };
                await check("2026-03-29T00:30:00Z", false);
                const spring = await check("2026-03-29T01:30:00Z", true);
                assert.deepEqual(spring.currentWindow, { start: "2026-03-29T01:00:00.000Z", end: "2026-03-29T02:00:00.000Z" });
                // 02:00–04:00 on the autumn Sunday runs from 02:00 CEST to 04:00 CET: 00:00Z–03:00Z.
                const autumn = await check("2026-10-25T00:30:00Z", true);
                assert.deepEqual(autumn.currentWindow, { start: "2026-10-25T00:00:00.000Z", end: "2026-10-25T03:00:00.000Z" });
                await check("2026-10-25T02:30:00Z", true);
                await check("2026-10-25T03:00:00Z", false);
                const windows = await api<{ data: Silence[] }>("GET", `${T}/silences?recurring=true`);
                assert.deepEqual(
                  windows.body.data.map((s) => s.id),
                  [w.id],
                );
                assert.equal((await api("POST", `${T}/silences/${w.id}/expire`)).status, 200);
                offset = 0;
                await settle();
              });

              await t.test("400s name each wrong field", async () => {
                const bad = async (body: Record<string, unknown>, path: string) => {
                  const r = await api<Problem>("POST", `${T}/silences`, body);
                  assert.equal(r.status, 400, JSON.stringify(r.body));
                  assert.ok(
                    r.body.errors?.some((e) => e.path === path || e.path.startsWith(`${path}/`)),
                    `${path} in ${JSON.stringify(r.body)}`,
                  );
                };
                await bad({ matchers: { "payload.x": { $regex: "a" } }, duration: "1h", comment: "c" }, "/matchers");
                await bad({ startsAt: "2030-01-02T00:00:00Z", endsAt: "2030-01-01T00:00:00Z", comment: "c" }, "/endsAt");
                await bad({ endpointIds: ["ep_nope"], duration: "1h", comment: "c" }, "/endpointIds/0");
                await bad({ endpointIds: [foreign], duration: "1h", comment: "c" }, "/endpointIds/0");
                await bad({ schedule: { days: ["sun"], start: "02:00", end: "04:00", timeZone: "Mars/Olympus" }, comment: "c" }, "/schedule/timeZone");
                await bad({ duration: "1h", comment: "" }, "/comment");
                await bad({ duration: "soon", comment: "c" }, "/duration");
                await bad({ duration: "99999999999d", comment: "c" }, "/duration");
                await bad({ startsAt: "9999-12-31T00:00:00Z", duration: "1h", comment: "c" }, "/startsAt");
                await bad({ comment: "no end" }, "/endsAt");
                // Every field at once.
                const r = await api<Problem>("POST", `${T}/silences`, { endpointIds: ["ep_nope"], duration: "soon", comment: " " });
                assert.deepEqual(r.body.errors?.map((e) => e.path).sort(), ["/comment", "/duration", "/endpointIds/0"]);
              });

              let tenantWide: Silence;
              await t.test("a matching event is suppressed with the reason on every endpoint, a non-matching one is sent", async () => {
                tenantWide = await silence(api, { matchers: { "payload.service": "db" }, duration: "1h", comment: "db migration" });
                assert.equal(tenantWide.state, "active");
                assert.deepEqual(tenantWide.createdBy, { kind: "tenant", keyId: key.body.id, name: "oncall" });
                const [muted, sent] = await post(api, [
                  { type: "app.alert", payload: { service: "db" } },
                  { type: "app.alert", payload: { service: "web" } },
                ]);
                await rx.waitFor(2, 20_000, (q) => q.headers["webhook-id"] === sent);
                const ds = await deliveriesOf(api, muted!);
                assert.deepEqual(
                  ds.map((d) => d.status),
                  ["suppressed", "suppressed"],
                );
                for (const d of ds) {
                  assert.equal(d.reason?.code, "silenced");
                  assert.equal(d.reason?.silenceId, tenantWide.id);
                  assert.match(d.reason!.message, new RegExp(`${tenantWide.id}.*db migration.*until ${tenantWide.endsAt!.slice(0, 19)}`));
                }
                await settle();
                assert.equal(got(rx, muted!).length, 0, "nothing was sent for the silenced event");
                const log = await api<{ data: Dlv[] }>("GET", `${T}/deliveries?status=suppressed&eventType=app.alert`);
                assert.deepEqual(
                  log.body.data.map((d) => d.eventId),
                  [muted, muted],
                );
                const since = encodeURIComponent(new Date(Date.now() - 3600_000).toISOString());
                const stats = await api<{ totals: Record<string, number> }>("GET", `${T}/stats/deliveries?since=${since}&endpointId=${a}`);
                assert.ok((stats.body.totals.suppressed ?? 0) >= 1, JSON.stringify(stats.body));
                assert.equal((await api<Silence>("GET", `${T}/silences/${tenantWide.id}`)).body.suppressed, 2);

                // Retry sends a suppressed delivery anyway.
                const toA = ds.find((d) => d.endpointId === a)!;
                assert.equal((await api("POST", `${T}/deliveries/${toA.id}/retry`)).status, 202);
                await rx.waitFor(1, 20_000, (q) => q.headers["webhook-id"] === muted && q.path === "/a");
              });

              await t.test("a silence of one endpoint leaves the others alone", async () => {
                const s = await silence(api, { matchers: { type: "app.deploy" }, endpointIds: [b], duration: "1h", comment: "b is noisy" });
                const [id] = await post(api, [{ type: "app.deploy", payload: {} }]);
                await rx.waitFor(1, 20_000, (q) => q.headers["webhook-id"] === id && q.path === "/a");
                const toB = (await deliveriesOf(api, id!)).find((d) => d.endpointId === b)!;
                assert.equal(toB.status, "suppressed");
                assert.equal(toB.reason?.silenceId, s.id);
                const forA = await api<{ data: Silence[] }>("GET", `${T}/silences?endpointId=${a}&state=active`);
                assert.ok(!forA.body.data.some((x) => x.id === s.id), "a silence of b does not apply to a");
                assert.ok(
                  forA.body.data.some((x) => x.id === tenantWide.id),
                  "a tenant-wide silence applies to a",
                );
              });

              await t.test("an alert still open when its silence ends is sent then, and its end after it", async () => {
                const s = await silence(api, { matchers: { fingerprint: "fp-disk" }, duration: "30m", comment: "disk work" });
                const [start] = await post(api, [{ type: "host.disk", fingerprint: "fp-disk", payload: { pct: 91 } }]);
                assert.deepEqual(
                  (await deliveriesOf(api, start!)).map((d) => d.status),
                  ["suppressed", "suppressed"],
                );
                const held = await api<{ holds: { endpointId: string; reason: { silenceId: string } }[] }>("GET", `${T}/alerts/fp-disk`);
                assert.deepEqual(held.body.holds.map((h) => [h.endpointId, h.reason.silenceId]).sort(), [a, b].map((e) => [e, s.id]).sort());
                // The silence runs out; the release job notices on its next run.
                offset += 31 * 60_000;
                await rx.waitFor(2, 20_000, (q) => q.headers["webhook-id"] === start);
                assert.deepEqual((await api<{ holds: unknown[] }>("GET", `${T}/alerts/fp-disk`)).body.holds, []);
                assert.equal((await api<Silence>("GET", `${T}/silences/${s.id}`)).body.state, "expired");
                const [end] = await post(api, [{ type: "host.disk", fingerprint: "fp-disk", state: "end", payload: {} }]);
                await rx.waitFor(2, 20_000, (q) => q.headers["webhook-id"] === end);
                const expired = await api<{ data: Silence[] }>("GET", `${T}/silences?state=expired`);
                assert.ok(
                  expired.body.data.some((x) => x.id === s.id),
                  "expired silences stay listed",
                );
              });

              await t.test("an alert that starts and ends while silenced is never sent, its end suppressed too", async () => {
                const whole = await silence(api, { matchers: { fingerprint: "fp-cpu" }, duration: "1h", comment: "cpu" });
                // Only the start matches this one: the end is held back because the receiver never saw the alert open.
                const startOnly = await silence(api, { matchers: { fingerprint: "fp-mem", state: "start" }, duration: "1h", comment: "mem" });
                const [cpuStart, memStart] = await post(api, [
                  { type: "host.cpu", fingerprint: "fp-cpu", payload: {} },
                  { type: "host.mem", fingerprint: "fp-mem", payload: {} },
                ]);
                const [cpuEnd, memEnd] = await post(api, [
                  { type: "host.cpu", fingerprint: "fp-cpu", state: "end", payload: {} },
                  { type: "host.mem", fingerprint: "fp-mem", state: "end", payload: {} },
                ]);
                for (const id of [cpuStart, memStart, cpuEnd, memEnd])
                  assert.deepEqual(
                    (await deliveriesOf(api, id!)).map((d) => d.status),
                    ["suppressed", "suppressed"],
                  );
                const memEndReason = (await deliveriesOf(api, memEnd!))[0]!.reason!;
                assert.equal(memEndReason.silenceId, startOnly.id, "the end says which silence held its start");
                for (const s of [whole, startOnly]) assert.equal((await api("POST", `${T}/silences/${s.id}/expire`)).status, 200);
                await settle();
                for (const id of [cpuStart, memStart, cpuEnd, memEnd])
                  assert.equal(got(rx, id!).length, 0, "a resolved alert the receiver never saw is not sent");
              });

              await t.test("expiring a silence early releases an open alert at once", async () => {
                const s = await silence(api, { matchers: { fingerprint: "fp-net" }, endpointIds: [a], duration: "1d", comment: "net" });
                const [start] = await post(api, [{ type: "host.net", fingerprint: "fp-net", payload: {} }]);
                await rx.waitFor(1, 20_000, (q) => q.headers["webhook-id"] === start && q.path === "/b");
                assert.equal(got(rx, start!, "/a").length, 0);
                const r = await api<Silence>("POST", `${T}/silences/${s.id}/expire`);
                assert.equal(r.status, 200, JSON.stringify(r.body));
                assert.equal(r.body.state, "expired");
                assert.equal(r.body.expiredEarly, true);
                await rx.waitFor(1, 20_000, (q) => q.headers["webhook-id"] === start && q.path === "/a");
                assert.equal((await api("POST", `${T}/silences/${s.id}/expire`)).status, 409);
              });

              await t.test("another tenant can neither see nor expire a silence", async () => {
                const s = await silence(api, { duration: "1h", matchers: { type: "nothing.here" }, comment: "private" });
                assert.equal((await globex("GET", `/v1/tenants/globex/silences/${s.id}`)).status, 404);
                assert.equal((await globex("POST", `/v1/tenants/globex/silences/${s.id}/expire`)).status, 404);
                assert.equal((await globex("GET", `${T}/silences/${s.id}`)).status, 404);
                assert.equal((await globex("POST", `${T}/silences/${s.id}/expire`)).status, 404);
                assert.deepEqual((await globex<{ data: unknown[] }>("GET", "/v1/tenants/globex/silences")).body.data, []);
                assert.equal((await api<Silence>("GET", `${T}/silences/${s.id}`)).body.state, "active");
                // A portal session is an author too.
                const portal = createApi(url, (await admin<{ token: string }>("POST", `${T}/portal-sessions`)).body.token);
                const byPortal = await silence(portal, { duration: "1h", matchers: { type: "nothing.here" }, comment: "from the portal" });
                assert.equal(byPortal.createdBy.kind, "portal");
                assert.equal((await portal("POST", `${T}/silences/${byPortal.id}/expire`)).status, 200);
              });

              await t.test("the metric counts silenced deliveries", async () => {
                const text = await (await fetch(`${url}/metrics`)).text();
                const line = text.split("\n").find((l) => l.startsWith('tocsin_events_silenced_total{recurring="false"}'));
                assert.ok(
                  line,
                  text
                    .split("\n")
                    .filter((l) => l.includes("silenced"))
                    .join("\n"),
                );
                assert.ok(Number(line.split(" ")[1]) >= 10, line);
                assert.match(text, /tocsin_events_silenced_total\{recurring="true"\} [1-9]/);
              });
            },
            now,
          );
        },
      );
    });
  });
}
