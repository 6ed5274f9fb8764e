// `npm run bench`: Tocsin's delivery throughput and ingest-to-receive latency against a ceiling.
//
// The ceiling is this process posting Standard-Webhooks-signed bodies straight to the receiver
// through an undici Pool (no persistence). Tocsin end to end is the real server (`tocsin serve`)
// in a child process with a fresh data folder, fed by HTTP batch ingest. The receiver is another
// child process (bench/receiver.ts). A benchmark, not a test: it exits 0 whether or not the
// targets are met, and 1 only when the run itself fails (a timeout, a missing delivery).
//
// `--profile`: every Tocsin process also times each SQL statement (TOCSIN_PROFILE_STATEMENTS) and
// runs under `node --cpu-prof`; the report adds the statements and the functions that took longest.

import { mkdtempSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { Pool } from "undici";
import { type CeilingMax, ceilingMax, waitForReceiver } from "./load.ts";
import { otherCpu, procStatusKiB, revision } from "./machine.ts";
import { type PgRun, pgRun } from "./postgres.ts";
import type { LatencySummary } from "./protocol.ts";
import { cleanupNow, setTempDir, startReceiver, startTocsin, tocsinOverrides } from "./processes.ts";
import { collectProfile, printProfile, profileDirectory, profiled, setProfileDir } from "./profiling.ts";
import { f, log, pad, padL, step, verdict } from "./report.ts";
import { type ScenarioResult, apiClient, burstScenario, checkReceived, pacedCeiling, pacedTocsin } from "./scenarios.ts";
import {
  CEILING_CONNECTIONS,
  CEILING_POSTS,
  CEILING_ROUNDS,
  LOW_RATE_PER_S,
  P99_DELTA_TARGET_MS,
  PG_ENDPOINTS,
  PG_RATE_PER_S,
  PG_URL,
  PG_WORKERS,
  PROFILE_TOP,
  RATE_PER_S,
  THROUGHPUT_TARGET,
  WARMUP_POSTS,
} from "./settings.ts";

const USAGE = `usage: node bench/run.ts [--profile]

  --profile  time every SQL statement in the Tocsin processes (TOCSIN_PROFILE_STATEMENTS) and run
             them under node --cpu-prof; print the ${PROFILE_TOP} statements and functions that took
             longest, and keep the raw files (.cpuprofile opens in Chrome DevTools)
`;

const ARGS = process.argv.slice(2);
for (const a of ARGS) {
  if (a === "--help" || a === "-h") {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (a !== "--profile") {
    process.stderr.write(`unknown argument ${JSON.stringify(a)}\n${USAGE}`);
    process.exit(2);
  }
}
const PROFILE = ARGS.includes("--profile");

async function main(): Promise<number> {
  const overrides = tocsinOverrides();
  const started = new Date();
  log(`Tocsin benchmark, ${started.toISOString()}`);
  log(`machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? "unknown"}), Node ${process.version}, ${process.platform}/${process.arch}`);
  const rev = revision();
  log(`code: ${rev}`);
  if (Object.keys(overrides).length) log(`server settings from the environment: ${JSON.stringify(overrides)}`);
  log();

  const tempDir = setTempDir(mkdtempSync(join(tmpdir(), "tocsin-bench-")));
  if (PROFILE) {
    setProfileDir(mkdtempSync(join(tmpdir(), "tocsin-bench-profile-")));
    log(`--profile: Tocsin processes time every SQL statement and run under node --cpu-prof, which slows them; raw files in ${profileDirectory()}`);
    log();
  }
  const rx = await startReceiver();
  step(`receiver (pid ${rx.child.pid}) on ${rx.url}`);

  // 1. Ceiling.
  const ceilingNoise = otherCpu(() => [rx.child.pid]);
  const ceilPool = new Pool(rx.url, { connections: CEILING_CONNECTIONS, pipelining: 1 });
  await ceilingMax(ceilPool, "/cwarm/ep0", WARMUP_POSTS);
  await waitForReceiver(rx, "cwarm", WARMUP_POSTS);
  step(`ceiling warm-up: ${WARMUP_POSTS} posts`);
  const rounds: CeilingMax[] = [];
  for (let i = 1; i <= CEILING_ROUNDS; i++) {
    const r = await ceilingMax(ceilPool, `/cmax${i}/ep0`, CEILING_POSTS);
    await waitForReceiver(rx, `cmax${i}`, CEILING_POSTS);
    checkReceived(await rx.stats(`cmax${i}`), CEILING_POSTS, [`/cmax${i}/ep0`]);
    step(`ceiling max, run ${i}: ${CEILING_POSTS} posts in ${f(r.seconds, 2)} s = ${f(r.perSecond, 0)}/s`);
    rounds.push(r);
  }
  const cmax = rounds.reduce((best, r) => (r.perSecond > best.perSecond ? r : best));
  const crate = await pacedCeiling(ceilPool, rx, "crate", `ceiling @${RATE_PER_S}/s`);
  step(`ceiling at ${RATE_PER_S}/s: p50 ${f(crate.latency?.p50, 2)} ms, p99 ${f(crate.latency?.p99, 2)} ms`);
  const crateLow = await pacedCeiling(ceilPool, rx, "clow", `ceiling @${LOW_RATE_PER_S}/s`, LOW_RATE_PER_S);
  step(`ceiling at ${LOW_RATE_PER_S}/s: p50 ${f(crateLow.latency?.p50, 2)} ms, p99 ${f(crateLow.latency?.p99, 2)} ms`);
  await ceilPool.close();
  const ceilingOther = ceilingNoise();

  // 2. Tocsin end to end.
  const serveProfile = profiled("serve");
  const server = await startTocsin(join(tempDir, "data"), "serve", {}, undefined, serveProfile);
  const tocsinNoise = otherCpu(() => [rx.child.pid, server.pid]);
  step(`Tocsin server (pid ${server.pid}) on ${server.url}, RSS after start ${f((procStatusKiB(server.pid, "VmRSS") ?? Number.NaN) / 1024)} MiB`);
  const api = apiClient(server);
  const results: ScenarioResult[] = [];
  try {
    await burstScenario(api, rx, [server], "w", "warm-up", 1_000, 1);
    step("Tocsin warm-up: 1000 events delivered");
    const ra = await burstScenario(api, rx, [server], "a", "a: 20,000 events -> 1 endpoint", 20_000, 1);
    results.push(ra);
    step(`a: ${f(ra.perSecond, 0)} deliveries/s`);
    const rb = await burstScenario(api, rx, [server], "b", "b: 2,000 events -> 10 endpoints", 2_000, 10);
    results.push(rb);
    step(`b: ${f(rb.perSecond, 0)} deliveries/s`);
    const rc = await pacedTocsin(api, rx, [server], "c", `c: @${RATE_PER_S}/s -> 1 endpoint`);
    results.push(rc);
    step(`c: p50 ${f(rc.latency?.p50, 2)} ms, p99 ${f(rc.latency?.p99, 2)} ms`);
    const rd = await pacedTocsin(api, rx, [server], "d", `d: @${LOW_RATE_PER_S}/s -> 1 endpoint`, LOW_RATE_PER_S);
    results.push(rd);
    step(`d: p50 ${f(rd.latency?.p50, 2)} ms, p99 ${f(rd.latency?.p99, 2)} ms`);
  } finally {
    await api.pool.close().catch(() => {});
  }
  const tocsinOther = tocsinNoise();
  const peakKiB = procStatusKiB(server.pid, "VmHWM");
  const rxPeakKiB = rx.child.pid === undefined ? null : procStatusKiB(rx.child.pid, "VmHWM");
  const stopped = await server.stop();
  step(`Tocsin server stopped ${stopped.graceful ? "gracefully" : "by SIGKILL"} in ${f(stopped.ms, 0)} ms`);
  const serveReport = serveProfile
    ? collectProfile("tocsin serve on SQLite (warm-up and scenarios a-d, start-up and stop included)", [
        { name: "serve", profile: serveProfile, pid: server.pid },
      ])
    : null;
  // 3. PostgreSQL, 1, 2 and 4 worker processes (report only: they share the 2 cores with the
  // database, the API process and the receiver).
  const pgRuns: PgRun[] = [];
  for (const n of PG_WORKERS) {
    const r = await pgRun(tempDir, rx, n);
    if (!r) break;
    pgRuns.push(r);
    step(
      `PostgreSQL, ${n} worker process${n > 1 ? "es" : ""}: ${f(r.burst.perSecond, 0)} deliveries/s; @${PG_RATE_PER_S * PG_ENDPOINTS}/s p99 ${f(r.paced.latency?.p99, 1)} ms`,
    );
  }
  await rx.stop();
  cleanupNow();

  const [a, b, c, d] = results;
  if (!a || !b || !c || !d) throw new Error(`expected the results of scenarios a-d, got ${results.length}`);
  const ratioA = a.perSecond / cmax.perSecond;
  const ratioB = b.perSecond / cmax.perSecond;
  const p99Delta = (c.latency?.p99 ?? Number.NaN) - (crate.latency?.p99 ?? Number.NaN);

  log();
  const head = `${pad("scenario", 36)}${padL("deliveries", 11)}${padL("seconds", 9)}${padL("deliv/s", 10)}${padL("p50 ms", 9)}${padL("p99 ms", 9)}${padL("max ms", 9)}${padL("ingest s", 10)}${padL("srv CPU s", 11)}`;
  log(head);
  log("-".repeat(head.length));
  log(
    `${pad(`ceiling max (${CEILING_CONNECTIONS} conns, best of ${CEILING_ROUNDS})`, 36)}${padL(String(cmax.posts), 11)}${padL(f(cmax.seconds, 2), 9)}${padL(f(cmax.perSecond, 0), 10)}${padL("-", 9)}${padL("-", 9)}${padL("-", 9)}${padL("-", 10)}${padL("-", 11)}`,
  );
  for (const r of [crate, crateLow, a, b, c, d]) {
    log(
      `${pad(r.label, 36)}${padL(String(r.deliveries), 11)}${padL(f(r.seconds, 2), 9)}${padL(f(r.perSecond, 0), 10)}${padL(f(r.latency?.p50, 1), 9)}${padL(f(r.latency?.p99, 1), 9)}${padL(f(r.latency?.max, 1), 9)}${padL(f(r.ingestSeconds, 2), 10)}${padL(f(r.serverCpuSeconds, 2), 11)}`,
    );
  }
  log();
  log(
    `ingest request round trip: a p50 ${f(a.ingestLatency?.p50)} / p99 ${f(a.ingestLatency?.p99)} ms (1000-event batches); c p50 ${f(c.ingestLatency?.p50)} / p99 ${f(c.ingestLatency?.p99)} ms (~20-event batches)`,
  );
  log(
    `receiver CPU: a ${f(a.receiverCpuSeconds, 2)} s, b ${f(b.receiverCpuSeconds, 2)} s, c ${f(c.receiverCpuSeconds, 2)} s; ceiling @${RATE_PER_S}/s ${f(crate.receiverCpuSeconds, 2)} s`,
  );
  log(`ceiling runs (posts/s): ${rounds.map((r) => f(r.perSecond, 0)).join(", ")}; the best is the ceiling`);
  log(
    `deliveries already in the database at the start: a ${a.rowsBefore}, b ${b.rowsBefore}, c ${c.rowsBefore}; ` +
      `delivery rate 1,000th-6,000th arrival vs last 5,000: a ${f(a.earlyRate, 0)} vs ${f(a.lateRate, 0)}/s, b ${f(b.earlyRate, 0)} vs ${f(b.lateRate, 0)}/s`,
  );
  log(
    `last arrival -> every delivery shown succeeded in GET /deliveries: a ${f(a.recordLagSeconds, 2)} s, b ${f(b.recordLagSeconds, 2)} s, c ${f(c.recordLagSeconds, 2)} s`,
  );
  log(`deliveries with more than one attempt: a ${a.retried}, b ${b.retried}, c ${c.retried}; server warn/error log lines: ${server.problems.length}`);
  for (const p of server.problems.slice(0, 5)) log(`  ${p}`);
  const noisy = (o: { seconds: number; other: number }) => o.other > 0.1 * o.seconds;
  log(
    `CPU used by other processes on this machine: ${f(ceilingOther.other, 1)} s during the ${f(ceilingOther.seconds, 0)} s of ceiling runs, ` +
      `${f(tocsinOther.other, 1)} s during the ${f(tocsinOther.seconds, 0)} s of Tocsin runs` +
      (noisy(ceilingOther) || noisy(tocsinOther) ? "  WARNING: the machine was busy with other work; figures are disturbed" : " (quiet)"),
  );
  log(`peak RSS (VmHWM) of the Tocsin server: ${f((peakKiB ?? Number.NaN) / 1024)} MiB (receiver ${f((rxPeakKiB ?? Number.NaN) / 1024)} MiB)`);
  log();
  log(
    `end-to-end / ceiling throughput, a (1 endpoint):   ${f(ratioA * 100)} %  (target >= ${THROUGHPUT_TARGET * 100} %)  ${verdict(ratioA >= THROUGHPUT_TARGET)}`,
  );
  log(
    `end-to-end / ceiling throughput, b (10 endpoints): ${f(ratioB * 100)} %  (target >= ${THROUGHPUT_TARGET * 100} %)  ${verdict(ratioB >= THROUGHPUT_TARGET)}`,
  );
  log(
    `p99 at ${RATE_PER_S}/s, Tocsin - ceiling: ${f(c.latency?.p99, 2)} - ${f(crate.latency?.p99, 2)} = ${f(p99Delta, 2)} ms  (target <= ${P99_DELTA_TARGET_MS} ms)  ${verdict(p99Delta <= P99_DELTA_TARGET_MS)}`,
  );
  const lowDelta = (d.latency?.p99 ?? Number.NaN) - (crateLow.latency?.p99 ?? Number.NaN);
  log(`p99 at ${LOW_RATE_PER_S}/s, Tocsin - ceiling: ${f(d.latency?.p99, 2)} - ${f(crateLow.latency?.p99, 2)} = ${f(lowDelta, 2)} ms  (report only)`);
  if (c.perSecond < RATE_PER_S * 0.95)
    log(`note: c delivered ${f(c.perSecond, 0)}/s of the ${RATE_PER_S}/s offered, so its latency is mostly queueing behind the backlog`);
  if (pgRuns.length) {
    log();
    log(`PostgreSQL (${PG_URL.replace(/\/\/[^@/]*@/, "//")}), 1 API process + N worker processes, a fresh schema each; report only:`);
    log(head);
    log("-".repeat(head.length));
    for (const r of pgRuns.flatMap((x) => [x.burst, x.paced])) {
      log(
        `${pad(r.label, 36)}${padL(String(r.deliveries), 11)}${padL(f(r.seconds, 2), 9)}${padL(f(r.perSecond, 0), 10)}${padL(f(r.latency?.p50, 1), 9)}${padL(f(r.latency?.p99, 1), 9)}${padL(f(r.latency?.max, 1), 9)}${padL(f(r.ingestSeconds, 2), 10)}${padL(f(r.serverCpuSeconds, 2), 11)}`,
      );
    }
    for (const r of pgRuns) {
      log(
        `PostgreSQL, ${r.workers} worker process${r.workers > 1 ? "es" : ""}: ${f((r.burst.perSecond / cmax.perSecond) * 100)} % of the ceiling; ` +
          `p99 at ${PG_RATE_PER_S * PG_ENDPOINTS}/s ${f(r.paced.latency?.p99, 1)} ms (CPU column: API + workers)`,
      );
    }
  } else {
    log();
    log("PostgreSQL: not measured (no database answered)");
  }
  if (serveReport) printProfile(serveReport);
  for (const r of pgRuns) if (r.profile) printProfile(r.profile);
  const profileDir = profileDirectory();
  if (profileDir) {
    log();
    log(`raw profiles (per process: <name>.statements.json, <name>/*.cpuprofile): ${profileDir}`);
  }
  log();
  const r2 = (n: number | undefined | null) => (n === undefined || n === null || Number.isNaN(n) ? null : Math.round(n * 100) / 100);
  const lat = (l: LatencySummary | null | undefined) => (l ? { p50: r2(l.p50), p99: r2(l.p99), max: r2(l.max) } : null);
  const summary = {
    bench: "tocsin",
    date: started.toISOString(),
    cpus: cpus().length,
    node: process.version,
    code: rev,
    serverEnv: overrides,
    ...(profileDir ? { profileDir } : {}),
    ceiling: { maxPerSecond: r2(cmax.perSecond), runs: rounds.map((r) => r2(r.perSecond)), at2000: lat(crate.latency), at1000: lat(crateLow.latency) },
    tocsin: Object.fromEntries(
      results.map((r) => [
        r.name,
        {
          deliveries: r.deliveries,
          rowsBefore: r.rowsBefore,
          seconds: r2(r.seconds),
          perSecond: r2(r.perSecond),
          latency: lat(r.latency),
          ingestSeconds: r2(r.ingestSeconds),
          serverCpuSeconds: r2(r.serverCpuSeconds),
        },
      ]),
    ),
    postgres: pgRuns.map((r) => ({
      workers: r.workers,
      perSecond: r2(r.burst.perSecond),
      ratioToCeiling: r2((r.burst.perSecond / cmax.perSecond) * 100),
      burstLatency: lat(r.burst.latency),
      pacedRate: PG_RATE_PER_S * PG_ENDPOINTS,
      pacedLatency: lat(r.paced.latency),
    })),
    otherCpuSeconds: { ceiling: r2(ceilingOther.other), tocsin: r2(tocsinOther.other) },
    peakRssMiB: r2((peakKiB ?? Number.NaN) / 1024),
    throughputRatioA: r2(ratioA * 100),
    throughputRatioB: r2(ratioB * 100),
    p99DeltaMs: r2(p99Delta),
    p99DeltaLowRateMs: r2(lowDelta),
    pass: { throughputA: ratioA >= THROUGHPUT_TARGET, throughputB: ratioB >= THROUGHPUT_TARGET, p99Delta: p99Delta <= P99_DELTA_TARGET_MS },
  };
  log(JSON.stringify(summary));
  return 0;
}

main().then(
  (code) => {
    cleanupNow();
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`\nbenchmark failed: ${e instanceof Error ? e.message : String(e)}\n`);
    cleanupNow();
    // Pools and timers of the interrupted scenario may still be pending: do not wait for them.
    process.exit(1);
  },
);
