// `node bench/transform.ts`: the cost of a transformed delivery's body, a measurement, not a test.
//
// It shapes a body the way the delivery worker does (shapeBody with an endpoint's
// `format.transform`, a ~1 KB payload, a short renaming transform) N times, one at a time and
// 16 at a time, and reports wall-clock time and this process's CPU time per body. When the
// in-thread evaluation is importable (transform-eval.ts), the same work done on this thread is the
// baseline and the ratio is printed.

import { cpus } from "node:os";
import { type EventForShaping, compileShaping, shapeBody } from "../src/delivery/request.ts";
import type { EndpointSettings } from "../src/core/types.ts";

const N = Number(process.argv[2] ?? 5000);
const CONCURRENT = 16;
const EXPRESSION = '{"alert_id": id, "kind": type, "sev": severity, "ip": payload.srcip, "metrics": payload.metrics, "tags": payload.tags}';

const payload = JSON.stringify({
  srcip: "198.51.100.7",
  dstip: "203.0.113.10",
  metrics: { pps: 1250000.0, bps: 9876543210, avg: 0.0, samples: [1.5, 2.25, 3.125, 4.0625] },
  tags: ["ddos", "udp", "amplification", "dns"],
  note: "x".repeat(700),
});
const event = (i: number): EventForShaping => ({
  id: `msg_${i}`,
  tenantId: i % 2 ? "acme" : "globex",
  type: "ddos",
  severity: "high",
  fingerprint: "fp-1",
  state: "start",
  createdAt: 1_767_225_600_000,
  startedAt: 1_767_225_600_000,
  updateCount: 0,
  payload,
});

interface Figures {
  wallUsPerBody: number;
  cpuUsPerBody: number;
  /** Runs that failed (on one thread, JSONata's 100 ms clock also counts the other runs' steps). */
  failed: number;
}

async function measure(n: number, inFlight: number, one: (i: number) => Promise<string>): Promise<Figures> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  let failed = 0;
  const lane = async () => {
    while (next < n) await one(next++).catch(() => failed++);
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wallUsPerBody: (wall * 1000) / n, cpuUsPerBody: (cpu.user + cpu.system) / n, failed };
}

const settings = { format: { envelope: "standard", transform: EXPRESSION } } as unknown as EndpointSettings;
const shaping = compileShaping(settings);
const viaShapeBody = (i: number) => shapeBody(shaping, event(i), 1024 * 1024);

// The baseline: the same evaluation and serialisation on this thread (absent before it was split out).
let inThread: ((i: number) => Promise<string>) | null = null;
try {
  const m = (await import("../src/delivery/transform-eval.ts" as string)) as {
    evaluateToJson(expression: string, input: unknown, maxBytes: number, payloadText?: string): Promise<string>;
  };
  inThread = async (i) => {
    const e = event(i);
    const doc = {
      id: e.id,
      type: e.type,
      severity: e.severity,
      state: e.state,
      fingerprint: e.fingerprint,
      tenant: e.tenantId,
      createdAt: "",
      startedAt: "",
      updateCount: 0,
      payload: JSON.parse(e.payload),
    };
    return `{"type":"ddos","timestamp":"2026-01-01T00:00:00.000Z","data":${await m.evaluateToJson(EXPRESSION, doc, 1024 * 1024, e.payload)}}`;
  };
} catch {
  // Older code: shapeBody itself evaluates on this thread.
}

await measure(Math.min(N, 500), 1, viaShapeBody); // warm-up: compile caches, JIT, transform processes started
if (inThread) await measure(Math.min(N, 500), 1, inThread);

const rows: [string, Figures][] = [];
if (inThread) {
  rows.push(["in-thread evaluation, 1 at a time", await measure(N, 1, inThread)]);
  rows.push([`in-thread evaluation, ${CONCURRENT} at a time`, await measure(N, CONCURRENT, inThread)]);
}
rows.push(["shapeBody, 1 at a time", await measure(N, 1, viaShapeBody)]);
rows.push([`shapeBody, ${CONCURRENT} at a time`, await measure(N, CONCURRENT, viaShapeBody)]);

console.log(`${N} transformed bodies per row; ${cpus().length} CPUs; Node ${process.versions.node}`);
console.log(`${"".padEnd(40)}${"wall µs/body".padStart(14)}${"this process CPU µs/body".padStart(26)}${"failed".padStart(8)}`);
for (const [name, f] of rows)
  console.log(`${name.padEnd(40)}${f.wallUsPerBody.toFixed(1).padStart(14)}${f.cpuUsPerBody.toFixed(1).padStart(26)}${String(f.failed).padStart(8)}`);
if (inThread) {
  const [seqIn, parIn, seqPool, parPool] = rows.map(([, f]) => f);
  if (!seqIn || !parIn || !seqPool || !parPool) throw new Error(`expected four rows of figures, got ${rows.length}`);
  console.log(
    `ratio shapeBody / in-thread, wall: ${(seqPool.wallUsPerBody / seqIn.wallUsPerBody).toFixed(2)} (1 at a time), ${(parPool.wallUsPerBody / parIn.wallUsPerBody).toFixed(2)} (${CONCURRENT} at a time)`,
  );
  console.log(
    `ratio shapeBody / in-thread, this process's CPU: ${(seqPool.cpuUsPerBody / seqIn.cpuUsPerBody).toFixed(2)} (1 at a time), ${(parPool.cpuUsPerBody / parIn.cpuUsPerBody).toFixed(2)} (${CONCURRENT} at a time)`,
  );
}
