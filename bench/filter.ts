// `node bench/filter.ts [N]`: the cost of an endpoint's filter at fan-out, a measurement, not a test.
//
// 1. The compiled filter of the example (payload.severity in high/critical and
//    payload.asset.env prod) evaluated N times on a parsed ~1 KiB payload, passing and failing,
//    and the one JSON.parse of the payload text that fan-out makes per event when an endpoint it
//    reaches has a filter.
// 2. Ingest into SQLite (synchronous NORMAL, a temporary file) of batches of 100 events for a tenant
//    with two endpoints: neither filtered; one filtered with a filter every event passes (the same
//    deliveries, so the difference is the filter's cost); one filtered with the example,
//    which half the events pass. Events a second, each run after a warm-up, the three in turn, each round starting with another.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { defaultSettings } from "../src/core/endpoint-settings.ts";
import { type FilterSubject, checkFilter, compileFilter, filterSubject } from "../src/core/filter.ts";
import { newId } from "../src/core/ids.ts";
import type { NewEvent } from "../src/store/store.ts";
import { createSqliteStore } from "../src/store/sqlite/sqlite-store.ts";

const N = Number(process.argv[2] ?? 1_000_000);
const FILTER = { "payload.severity": { $in: ["high", "critical"] }, "payload.asset.env": "prod" };
const payload = (severity: string, env: string) =>
  JSON.stringify({ severity, asset: { env, id: "db-1", tags: ["pci", "prod"] }, rule: "ssh-brute-force", score: 9.5, note: "x".repeat(900) });

function nsPerCall(fn: () => boolean, n: number): number {
  let sink = 0;
  for (let i = 0; i < Math.min(n, 100_000); i++) if (fn()) sink++; // warm-up
  const start = performance.now();
  for (let i = 0; i < n; i++) if (fn()) sink++;
  const ns = ((performance.now() - start) * 1e6) / n;
  if (sink < 0) throw new Error("unreachable");
  return ns;
}

const f = compileFilter(checkFilter(FILTER));
const text = payload("high", "prod");
const subject = (p: string): FilterSubject => filterSubject({ type: "alert.raised", severity: "high", fingerprint: null, state: null, payload: p });
const passing = subject(text);
const failing = subject(payload("low", "prod"));
console.log(`endpoint filter at fan-out (${text.length}-byte payload), Node ${process.version}`);
console.log("| step | ns |");
console.log("|---|---:|");
console.log(`| filter evaluation, passes | ${nsPerCall(() => f(passing), N).toFixed(0)} |`);
console.log(`| filter evaluation, fails at the first condition | ${nsPerCall(() => f(failing), N).toFixed(0)} |`);
console.log(
  `| JSON.parse of the payload (once per event, at the first filter that reads it) | ${nsPerCall(() => subject(text).payload !== null, N / 20).toFixed(0)} |`,
);

async function ingestRate(filter: Record<string, unknown> | null, batches: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "tocsin-filter-bench-"));
  const store = await createSqliteStore({ path: join(dir, "tocsin.db"), synchronous: "NORMAL" });
  try {
    const now = Date.now();
    await store.createTenant({ id: "acme", name: null, metadata: {}, createdAt: now, updatedAt: now });
    for (const [i, f] of [null, filter].entries()) {
      await store.createEndpoint(
        {
          id: `ep_${i}`,
          tenantId: "acme",
          url: "https://receiver.example/hook",
          name: null,
          description: null,
          eventTypes: ["*"],
          enabled: true,
          secretEnc: "x",
          settings: { ...defaultSettings(), filter: f },
        },
        now,
      );
    }
    // Half the events pass the filter.
    const texts = [payload("high", "prod"), payload("low", "prod")];
    const batch = (b: number): NewEvent[] =>
      Array.from({ length: 100 }, (_, i) => ({
        id: newId("evt", now),
        type: "alert.raised",
        severity: "high",
        payload: texts[(b + i) % 2]!,
        idempotencyKey: null,
      }));
    for (let b = 0; b < 20; b++) await store.ingest("acme", batch(b), Date.now(), 60_000);
    const start = performance.now();
    for (let b = 0; b < batches; b++) await store.ingest("acme", batch(b), Date.now(), 60_000);
    return (batches * 100 * 1000) / (performance.now() - start);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const BATCHES = 200;
const ROUNDS = 5;
// A filter every event passes: the same deliveries as none, so the difference is the filter's cost.
const PASS_ALL = { "payload.asset.env": "prod" };
const rates: Record<"none" | "passAll" | "half", number[]> = { none: [], passAll: [], half: [] };
const modes = [
  ["none", null],
  ["passAll", PASS_ALL],
  ["half", FILTER],
] as const;
for (let round = 0; round < ROUNDS; round++) {
  // Each round starts with another mode, so that none always runs right after the same one.
  for (let k = 0; k < modes.length; k++) {
    const [name, filter] = modes[(round + k) % modes.length]!;
    rates[name].push(await ingestRate(filter, BATCHES));
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log("");
console.log(`SQLite ingest, batches of 100 events, 2 endpoints, ${BATCHES} batches a run, median of ${ROUNDS} runs`);
console.log("| endpoints | events/s | deliveries made |");
console.log("|---|---:|---:|");
console.log(`| neither filtered | ${median(rates.none).toFixed(0)} | 2 per event |`);
console.log(`| one filtered, every event passes | ${median(rates.passAll).toFixed(0)} | 2 per event |`);
console.log(`| one filtered (the issue's example), half the events pass | ${median(rates.half).toFixed(0)} | 1.5 per event |`);
