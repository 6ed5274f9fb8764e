import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { describe, it } from "node:test";
import { startReceiver } from "../support/receiver.ts";
import { type Api, type ChildServer, eventually, setupTenant, spawnServer, tempDir } from "../support/server.ts";

// A tenant's transform is code we run for them. However it behaves (catastrophic regex
// backtracking inside one built-in call, a half-gigabyte string), it may fail only that tenant's
// own attempts and previews: another tenant's ingest, /healthz and deliveries keep answering.
// The server runs as its own process, so this test's clock keeps running whatever the server's
// event loop does, and its peak memory is read from /proc.

type Problem = { errors: { path: string; message: string }[]; detail: string };
type Listed = { data: { id: string; attemptCount: number }[] };
type Detail = { attempts: { errorClass: string | null; errorMessage: string | null }[] };

/** Exponential backtracking: about 8 s on this thread at 27 characters (each one more doubles it). */
const BACKTRACKING = `$match("${"a".repeat(27)}!", /(a+)+$/)`;
/** A 500-million-character string, built inside one built-in call. */
const HUGE_PAD = '$length($pad("", 500000000))';

const SLA_MS = 1000;

async function timed<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const v = await fn();
  const took = performance.now() - started;
  assert.ok(took < SLA_MS, `${what} took ${Math.round(took)} ms while another tenant's transform ran (limit ${SLA_MS} ms)`);
  return v;
}

/** A process's resident memory in bytes: now (VmRSS) or its peak so far (VmHWM). */
function memoryOf(pid: number, field: "VmRSS" | "VmHWM"): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  assert.ok(m, `no ${field} for process ${pid}`);
  return Number(m[1]) * 1024;
}

async function firstAttempt(api: Api, tenant: string, eventId: string) {
  return eventually(
    async () => {
      const l = await api<Listed>("GET", `/v1/tenants/${tenant}/deliveries?eventId=${eventId}`);
      const d = l.body.data[0];
      return d && d.attemptCount > 0 ? (await api<Detail>("GET", `/v1/tenants/${tenant}/deliveries/${d.id}`)).body.attempts[0] : null;
    },
    15_000,
    `the first attempt of ${eventId}`,
  );
}

describe("transform isolation between tenants", () => {
  it(
    "a tenant's runaway transforms fail its own attempts and previews while another tenant's ingest, /healthz and deliveries stay under 1 s",
    { timeout: 180_000 },
    async () => {
      const rx = await startReceiver();
      const dir = tempDir();
      let server: ChildServer | null = null;
      try {
        server = await spawnServer(dir, `tsk_test_${randomBytes(8).toString("hex")}`, { TOCSIN_RETRY_SCHEDULE: "1h" });
        const { api, url } = server;
        const pid = server.child.pid!;
        {
          const [aEndpoint] = await setupTenant(api, "tenant-a", [{ url: `${rx.url}/a` }]);
          await setupTenant(api, "tenant-b", [{ url: `${rx.url}/b` }]);
          const toB = (r: { path: string }) => r.path === "/b";
          // B's path is warm before anything is timed.
          assert.equal((await api("POST", "/v1/tenants/tenant-b/events", { type: "warm", payload: { n: 0 } })).status, 202);
          await rx.waitFor(1, 10_000, toB);
          let bSent = 1;
          const baseRss = memoryOf(pid, "VmRSS");

          for (const [expression, limit] of [
            [BACKTRACKING, /ran longer than 100 ms/],
            [HUGE_PAD, /ran longer than 100 ms|more than \d+ MB of memory/],
          ] as const) {
            const set = await api("PATCH", `/v1/tenants/tenant-a/endpoints/${aEndpoint}`, { format: { transform: expression } });
            assert.equal(set.status, 200, JSON.stringify(set.body));
            // A: two events (each delivery runs the transform) and a preview, left running.
            const aEvents: string[] = [];
            for (let i = 0; i < 2; i++) {
              const ev = await api<{ id: string }>("POST", "/v1/tenants/tenant-a/events", { type: "ddos", payload: { n: i } });
              assert.equal(ev.status, 202);
              aEvents.push(ev.body.id);
            }
            const preview = api<Problem>("POST", `/v1/tenants/tenant-a/endpoints/${aEndpoint}/preview`, { payload: { n: 9 } });

            // Meanwhile B ingests, /healthz answers and B's deliveries arrive, each within the limit.
            const until = Date.now() + 2000;
            for (let i = 0; i < 100 && Date.now() < until; i++) {
              const ev = await timed("tenant B's ingest", () => api("POST", "/v1/tenants/tenant-b/events", { type: "ddos", payload: { n: i } }));
              assert.equal(ev.status, 202);
              bSent++;
              const health = await timed("GET /healthz", () => fetch(`${url}/healthz`));
              assert.equal(health.status, 200);
              await health.arrayBuffer();
              await timed("tenant B's delivery", () => rx.waitFor(bSent, SLA_MS, toB));
            }

            const pv = await preview;
            assert.equal(pv.status, 400, JSON.stringify(pv.body));
            assert.equal(pv.body.errors[0].path, "/format/transform");
            assert.match(pv.body.errors[0].message, limit);
            for (const id of aEvents) {
              const att = await firstAttempt(api, "tenant-a", id);
              assert.equal(att.errorClass, "transform");
              assert.match(att.errorMessage ?? "", limit);
            }
          }

          assert.equal(rx.requests.filter((r) => r.path === "/a").length, 0, "nothing was sent for tenant A's failing transforms");
          const grew = memoryOf(pid, "VmHWM") - baseRss;
          assert.ok(grew < 512 * 1024 * 1024, `the server process grew by ${Math.round(grew / 1048576)} MB at its peak`);
          // A's endpoint works again once its transform is sane.
          await api("PATCH", `/v1/tenants/tenant-a/endpoints/${aEndpoint}`, { format: { transform: '{"n": payload.n}' } });
          await api("POST", "/v1/tenants/tenant-a/events", { type: "ddos", payload: { n: 42 } });
          const [got] = await rx.waitFor(1, 10_000, (r) => r.path === "/a");
          assert.equal(got.body, '{"n":42}');
        }
      } finally {
        if (server) {
          server.child.kill("SIGTERM");
          let timer: NodeJS.Timeout | undefined;
          const code = await Promise.race([server.exited, new Promise((r) => (timer = setTimeout(r, 15_000, "still running")))]);
          clearTimeout(timer);
          if (code === "still running") server.child.kill("SIGKILL");
        }
        await rx.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
