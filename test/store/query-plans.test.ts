import assert from "node:assert/strict";
import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import { after, before, describe, it } from "node:test";
import type pg from "pg";
import * as cp from "../../src/store/complete.ts";
import { RELEASE_EXPIRED, listDeliveriesQuery } from "../../src/store/crud.ts";
import { COUNT_UNBATCHED, FANOUT_ENDPOINTS, MARK_FULL_BATCHES_DUE } from "../../src/store/fanout.ts";
import { HELD } from "../../src/store/release-holds.ts";
import { LIVE_SILENCES } from "../../src/store/silence-match.ts";
import * as dg from "../../src/store/digest-steps.ts";
import { UPSERT_HEALTH, UPSERT_TOKENS } from "../../src/store/operations.ts";
import { toPg } from "../../src/store/postgres/pg-db.ts";
import * as cl from "../../src/store/claim.ts";
import * as fb from "../../src/store/claim-fallback.ts";
import * as ig from "../../src/store/ingest.ts";
import { ALERTS_FLAPPING, ENDPOINTS_BY_CIRCUIT, deliveryStatsQueries, queueStatement } from "../../src/store/stats.ts";
import { INSERT_OWN_NOTICE } from "../../src/store/flap-steps.ts";
import { STATS_MAX_ATTEMPTS, STATS_MAX_DELIVERIES } from "../../src/services/deliveries.ts";
import { pgAvailable } from "../support/pg.ts";
import { T0, mixedDataSet, seedPg, seedSqlite, withPgSchema, withSqliteFile } from "../support/plan-seed.ts";

// Every hot statement's plan, pinned over a seeded table (40,000 deliveries across 8 endpoints, 4
// tenants and every state): on SQLite the index each must use, no SCAN of deliveries, attempts or
// events and no temporary b-tree but the expected ones, both without statistics (SQLite keeps none
// until ANALYZE runs) and after ANALYZE; on PostgreSQL, after ANALYZE, no Seq Scan of those tables.

interface Hot {
  name: string;
  sql: string;
  params: unknown[];
  /** SQLite: indexes the plan must use (every one of them; `a|b`: either). */
  uses?: string[];
  /** SQLite: indexes of deliveries the statement may read whole (partial indexes that hold the backlog only). */
  scans?: RegExp;
  /**
   * PostgreSQL: a Seq Scan this statement may have on the seeded table (a choice the planner
   * makes only because the table is small next to the statement's own cap).
   */
  pgSeqScan?: RegExp;
  /** SQLite: temporary b-trees the plan may use (a sort bounded by the rows the statement returns). */
  temp?: RegExp;
}

const DLV = "dlv_01ZZZZZZZZZZZZZZZZZZZZZZZZ";
const ids = JSON.stringify([DLV, "dlv_01AAAAAAAAAAAAAAAAAAAAAAAA"]);
const PK_DELIVERIES = "sqlite_autoindex_deliveries_1";
const stats = { since: T0 - 86_400_000, until: T0, bucketMs: 3_600_000, maxDeliveries: STATS_MAX_DELIVERIES, maxAttempts: STATS_MAX_ATTEMPTS };

/** The delivery list with each of its filters, as GET …/deliveries builds it (shared by both backends). */
function lists(): Hot[] {
  const l = (name: string, f: Parameters<typeof listDeliveriesQuery>[1], uses: string[], temp?: RegExp): Hot => {
    const q = listDeliveriesQuery("t0", f, { limit: 50, cursor: null });
    return { name: `list deliveries ${name}`, sql: q.sql, params: q.params, uses, temp };
  };
  return [
    l("(no filter)", {}, ["deliveries_tenant"]),
    l("?status", { status: "failed" }, ["deliveries_tenant_status"]),
    l("?endpointId", { endpointId: "ep_t0b" }, ["deliveries_tenant_endpoint"]),
    // Either list index walks the tenant's deliveries newest first and stops when the page is full;
    // none holds both filters, so a rare status of one endpoint reads that endpoint's (or that status's) rows.
    l("?endpointId&status", { endpointId: "ep_t0b", status: "failed" }, ["deliveries_tenant_endpoint|deliveries_tenant_status"]),
    // An event has one delivery per endpoint: sorting them is bounded by the number of endpoints.
    l("?eventId", { eventId: "evt_01ZZZZZZZZZZZZZZZZZZZZZZZZ" }, ["deliveries_event"], /ORDER BY/),
    l("?eventType", { eventType: "db.down" }, ["deliveries_tenant"]),
    l("?since&until", { since: T0 - 86_400_000, until: T0 }, ["deliveries_tenant"]),
  ];
}

function statsStatements(): Hot[] {
  const all = deliveryStatsQueries("t0", stats);
  const one = deliveryStatsQueries("t0", { ...stats, endpointId: "ep_t0b" });
  return [
    // Grouping by endpoint walks deliveries_pending in endpoint order; the top-N sort is over endpoints.
    // The metrics scrape counts the backlog: it reads the partial indexes of pending and in-flight
    // deliveries whole, never the finished ones.
    {
      name: "stats: queue",
      sql: queueStatement(2),
      params: [T0, T0, 10, "ep_big", "ep_t0b"],
      uses: ["deliveries_pending", "deliveries_leased"],
      scans: /INDEX (deliveries_pending|deliveries_leased)$/,
      temp: /ORDER BY|GROUP BY/,
    },
    { name: "stats: endpoints by circuit", sql: ENDPOINTS_BY_CIRCUIT, params: [], temp: /GROUP BY/ },
    // Only the rows that ever flapped, through their partial index.
    { name: "stats: alerts flapping", sql: ALERTS_FLAPPING, params: [T0], uses: ["alert_sends_flapping"] },
    // Bounded by the time range, maxDeliveries and maxAttempts. With one endpoint, a planner without
    // statistics walks all the tenant's deliveries of the range rather than the endpoint's.
    { name: "stats: deliveries by bucket", sql: all.counts.sql, params: all.counts.params, uses: ["deliveries_tenant"], temp: /GROUP BY/ },
    {
      name: "stats: deliveries by bucket, one endpoint",
      sql: one.counts.sql,
      params: one.counts.params,
      uses: ["deliveries_tenant_endpoint|deliveries_tenant"],
      temp: /GROUP BY/,
    },
    // Up to STATS_MAX_ATTEMPTS (20,000) attempts: against the 30,000 seeded ones PostgreSQL hashes
    // the whole table rather than probe attempts_delivery per delivery.
    {
      name: "stats: attempt durations",
      sql: all.durations.sql,
      params: all.durations.params,
      uses: ["deliveries_tenant", "attempts_delivery"],
      temp: /DISTINCT/,
      pgSeqScan: /Seq Scan on attempts a\b/,
    },
  ];
}

function sqliteHot(): Hot[] {
  const health = ["ep_big", "t0", 0, "[]", T0, null, null, null, "closed", null, 0, null, T0];
  return [
    // Ingest
    { name: "ingest: fan-out endpoints", sql: FANOUT_ENDPOINTS, params: ["t0"], uses: ["endpoints_tenant"] },
    { name: "ingest: silences", sql: LIVE_SILENCES, params: ["t0", T0], uses: ["silences_live"] },
    // The release job, every 2 s in every worker: only the held rows, never all of alert_sends.
    { name: "release: held alerts", sql: `${HELD} ORDER BY endpoint_id, fingerprint LIMIT ?`, params: ["", "", "", 500], uses: ["alert_sends_held"] },
    { name: "ingest: tenant", sql: ig.TENANT_EXISTS.sqlite, params: ["t0"], uses: ["sqlite_autoindex_tenants_1"] },
    { name: "ingest: take key", sql: ig.TAKE_KEY, params: ["t0", "k", "evt_x", T0, T0] },
    { name: "ingest: prior deliveries", sql: ig.COUNT_EVENT_DELIVERIES, params: ["evt_x"], uses: ["deliveries_event"] },
    { name: "ingest: event insert", sql: ig.INSERT_EVENTS.sqlite.eachRow, params: Array(12).fill(null) },
    { name: "ingest: delivery insert", sql: ig.INSERT_DELIVERIES.sqlite.eachRow, params: Array(9).fill(null) },
    {
      name: "ingest: own flap notice",
      sql: INSERT_OWN_NOTICE,
      params: ["dlv_x", "t0", "evt_x", "ep_big", "tocsin.alert.flapping", T0, T0, T0, "evt_x", "ep_big"],
      uses: ["deliveries_event"],
    },
    { name: "ingest: unbatched count", sql: COUNT_UNBATCHED, params: ["ep_bat1", 80], uses: ["deliveries_unbatched"] },
    { name: "ingest: full batches due", sql: MARK_FULL_BATCHES_DUE, params: [T0, "ep_bat1", 20, T0], uses: ["deliveries_unbatched", PK_DELIVERIES] },
    {
      name: "ingest: digest window",
      sql: dg.SELECT_WINDOW,
      params: ["ep_big", "db-1"],
      uses: ["sqlite_autoindex_digest_windows_1", "sqlite_autoindex_batches_1"],
    },
    { name: "ingest: digest window upsert", sql: dg.UPSERT_WINDOW, params: Array(6).fill(null) },
    { name: "ingest: digest upsert", sql: dg.UPSERT_DIGEST, params: Array(10).fill(null) },
    // The sort is over one digest's pending members: at most its maxEvents (1000) and the call's.
    {
      name: "ingest: digest unlist",
      sql: dg.UNLIST_OLDEST,
      params: ["{}", T0, "bat_ep_bat1_1", 5],
      uses: ["deliveries_batch", PK_DELIVERIES],
      temp: /ORDER BY/,
    },
    { name: "ingest: digest members", sql: dg.INSERT_MEMBERS.sqlite.eachRow, params: Array(10).fill(null) },
    // Claim
    { name: "claim: endpoints with pending work", sql: cl.DUE_ENDPOINTS.sqlite, params: [T0, "[]"], uses: ["deliveries_pending"], temp: /ORDER BY/ },
    { name: "claim: in-flight count", sql: cl.INFLIGHT.sqlite.eachRow, params: ["ep_big"], temp: /count\(DISTINCT\)/ },
    { name: "claim: endpoint with due batches", sql: cl.WITH_DUE_BATCHES.sqlite.eachRow, params: ["ep_big", T0], uses: ["deliveries_batch_due"] },
    { name: "claim: due deliveries", sql: cl.PICK_SINGLES.sqlite, params: ["ep_big", 16, T0] },
    { name: "claim: due batches", sql: cl.DUE_BATCHES.sqlite, params: ["ep_big", T0, 16], uses: ["deliveries_batch_due"], temp: /DISTINCT/ },
    { name: "claim: batch members", sql: cl.BATCH_MEMBERS, params: ["bat_ep_bat1_1"], uses: ["deliveries_batch"] },
    { name: "claim: unbatched", sql: cl.UNBATCHED.sqlite, params: ["ep_bat1", 10], uses: ["deliveries_unbatched"] },
    { name: "claim: batch insert", sql: cl.INSERT_BATCH, params: Array(5).fill(null) },
    { name: "claim: batch assignment", sql: cl.ASSIGN_BATCH.sqlite, params: ["bat_x", ids], uses: [PK_DELIVERIES] },
    { name: "claim: lease", sql: cl.LEASE.sqlite, params: [ids, "w", T0, T0], uses: [PK_DELIVERIES] },
    { name: "claim: fallbacks", sql: fb.FALLBACK_GATES.sqlite, params: [JSON.stringify(["ep_big"]), T0], uses: ["sqlite_autoindex_endpoints_1"] },
    { name: "claim: sent to fallback", sql: fb.MARK_SENT_TO.sqlite, params: ["ep_t0b", ids], uses: [PK_DELIVERIES] },
    { name: "claim: claimed rows", sql: cl.SELECT_CLAIMED, params: [ids], uses: [PK_DELIVERIES, "sqlite_autoindex_events_1"] },
    { name: "claim: rate-limit bucket", sql: UPSERT_TOKENS, params: ["ep_big", "t0", 1, T0, T0] },
    // Complete
    { name: "complete: delivery update", sql: cp.COMPLETE.sqlite.eachRow, params: [DLV, "succeeded", null, 200, null, T0, "w"], uses: [PK_DELIVERIES] },
    { name: "complete: attempt insert", sql: cp.INSERT_ATTEMPTS.sqlite.eachRow, params: Array(19).fill(null) },
    { name: "complete: health read", sql: cp.SELECT_HEALTH.sqlite, params: [JSON.stringify(["ep_big"])] },
    { name: "complete: endpoints", sql: cp.ENDPOINT_FACTS.sqlite, params: [JSON.stringify(["ep_big"])], uses: ["sqlite_autoindex_endpoints_1"] },
    { name: "complete: exhausted deliveries", sql: cp.READ_EXHAUSTED.sqlite, params: [ids], uses: [PK_DELIVERIES], temp: /ORDER BY/ },
    { name: "complete: health upsert", sql: UPSERT_HEALTH, params: health },
    { name: "expired leases", sql: RELEASE_EXPIRED, params: [T0], uses: ["deliveries_leased"] },
    ...lists(),
    ...statsStatements(),
  ];
}

/** `deliveries`, `attempts` and `events`, and the aliases the statement gives them. */
function bigTableNames(sql: string): Set<string> {
  const names = new Set(["deliveries", "attempts", "events"]);
  const keywords = /^(where|set|on|join|left|group|order|limit|using|indexed|not|values|select|and|as)$/i;
  for (const m of sql.matchAll(/\b(deliveries|attempts|events)\s+(?:AS\s+)?([a-z_][a-z0-9_]*)/gi)) {
    if (!keywords.test(m[2])) names.add(m[2]);
  }
  return names;
}

function sqlitePlan(db: DatabaseSync, h: Hot): string[] {
  return (db.prepare(`EXPLAIN QUERY PLAN ${h.sql}`).all(...(h.params as SQLInputValue[])) as { detail: string }[]).map((r) => r.detail);
}

/** What is wrong with the plan of `h` on SQLite (empty: nothing). */
function sqliteProblems(db: DatabaseSync, h: Hot): string[] {
  const plan = sqlitePlan(db, h);
  const big = bigTableNames(h.sql);
  const out: string[] = [];
  for (const line of plan) {
    const scan = /^SCAN (\S+)/.exec(line);
    if (scan && big.has(scan[1]) && !(h.scans?.test(line) ?? false)) out.push(`scans a large table: ${line}`);
    if (/USE TEMP B-TREE/.test(line) && !(h.temp?.test(line) ?? false)) out.push(`unexpected temporary b-tree: ${line}`);
  }
  for (const index of h.uses ?? []) {
    if (!plan.some((l) => new RegExp(`USING (COVERING )?INDEX (${index})\\b`).test(l))) out.push(`does not use ${index}`);
  }
  return out.length ? [...out, `plan:\n    ${plan.join("\n    ")}`] : [];
}

// Known before the first describe() is registered: node:test runs the file's after() hooks (and
// the leak check) once every test registered so far has finished, which a top-level await between
// two describe()s can let happen before the second is registered.
const withPostgres = await pgAvailable();

describe("sqlite: plans of the hot statements", () => {
  let ctx: { db: DatabaseSync; done: () => void } | null = null;
  let open: Promise<void> | null = null;
  before(async () => {
    await new Promise<void>((ready) => {
      open = withSqliteFile(async (db) => {
        seedSqlite(db, mixedDataSet().tables);
        await new Promise<void>((done) => {
          ctx = { db, done };
          ready();
        });
      });
    });
  });
  after(async () => {
    ctx?.done();
    await open;
  });

  for (const stage of ["without statistics", "after ANALYZE"] as const) {
    describe(stage, () => {
      before(() => {
        if (stage === "after ANALYZE") ctx!.db.exec("ANALYZE");
        else assert.equal((ctx!.db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'sqlite_stat1'").get() as { n: number }).n, 0);
      });
      for (const h of sqliteHot()) {
        it(`${h.name} reads what it needs through its index`, () => {
          assert.deepEqual(sqliteProblems(ctx!.db, h), []);
        });
      }
    });
  }
});

function pgHot(): Hot[] {
  const eps = ["ep_big", "ep_t0b", "ep_bat1"];
  const arr = (n: number) => Array.from({ length: n }, () => []);
  const health = ["ep_big", "t0", 0, "[]", T0, null, null, null, "closed", null, 0, null, T0];
  const shared = (h: Hot): Hot => ({ ...h, sql: toPg(h.sql) });
  return [
    shared({ name: "ingest: fan-out endpoints", sql: FANOUT_ENDPOINTS, params: ["t0"] }),
    { name: "ingest: tenant", sql: ig.TENANT_EXISTS.pg, params: ["t0"] },
    shared({ name: "ingest: take key", sql: ig.TAKE_KEY, params: ["t0", "k", "evt_x", T0, T0] }),
    shared({ name: "ingest: prior deliveries", sql: ig.COUNT_EVENT_DELIVERIES, params: ["evt_x"] }),
    { name: "ingest: event insert", sql: ig.INSERT_EVENTS.pg, params: arr(12) },
    { name: "ingest: delivery insert", sql: ig.INSERT_DELIVERIES.pg, params: arr(9) },
    shared({ name: "ingest: unbatched count", sql: COUNT_UNBATCHED, params: ["ep_bat1", 80] }),
    shared({ name: "ingest: full batches due", sql: MARK_FULL_BATCHES_DUE, params: [T0, "ep_bat1", 20, T0] }),
    shared({ name: "ingest: digest window", sql: dg.SELECT_WINDOW, params: ["ep_big", "db-1"] }),
    shared({ name: "ingest: digest unlist", sql: dg.UNLIST_OLDEST, params: ["{}", T0, "bat_ep_bat1_1", 5] }),
    { name: "ingest: digest members", sql: dg.INSERT_MEMBERS.pg, params: arr(10) },
    { name: "claim: lock due endpoints", sql: cl.DUE_ENDPOINTS.pg, params: [T0, []] },
    { name: "claim: in-flight counts", sql: cl.INFLIGHT.pg, params: [eps] },
    { name: "claim: endpoints with due batches", sql: cl.WITH_DUE_BATCHES.pg, params: [eps, T0] },
    { name: "claim: due batches", sql: cl.DUE_BATCHES.pg, params: ["ep_big", T0, 16] },
    shared({ name: "claim: batch members", sql: cl.BATCH_MEMBERS, params: ["bat_ep_bat1_1"] }),
    { name: "claim: unbatched", sql: cl.UNBATCHED.pg, params: ["ep_bat1", 10] },
    { name: "claim: due deliveries", sql: cl.CLAIM_SINGLES.pg, params: [["ep_big", "ep_t0b"], [16, 16], T0, 32, "w", T0] },
    { name: "claim: lease batch members", sql: cl.LEASE.pg, params: [[DLV], "w", T0, T0] },
    { name: "claim: fallbacks", sql: fb.FALLBACK_GATES.pg, params: [["ep_big"], T0] },
    { name: "claim: pick deliveries for a fallback", sql: cl.PICK_SINGLES.pg, params: ["ep_big", 16, T0] },
    { name: "claim: sent to fallback", sql: fb.MARK_SENT_TO.pg, params: ["ep_t0b", [DLV]] },
    { name: "complete: delivery update", sql: cp.COMPLETE.pg, params: [[DLV], ["succeeded"], [null], [200], [null], T0, "w"] },
    { name: "complete: attempt insert", sql: cp.INSERT_ATTEMPTS.pg, params: arr(19) },
    { name: "complete: exhausted deliveries", sql: cp.READ_EXHAUSTED.pg, params: [[DLV]] },
    { name: "complete: health write", sql: cp.WRITE_HEALTH.pg, params: health.map((v) => [v]) },
    { name: "complete: health read", sql: cp.SELECT_HEALTH.pg, params: [["ep_big"]] },
    shared({ name: "expired leases", sql: RELEASE_EXPIRED, params: [T0] }),
    ...lists().map(shared),
    ...statsStatements().map(shared),
  ];
}

if (withPostgres) {
  describe("postgres: plans of the hot statements", () => {
    let ctx: { c: pg.Client; done: () => void } | null = null;
    let open: Promise<void> | null = null;
    before(async () => {
      await new Promise<void>((ready) => {
        open = withPgSchema(async (c) => {
          await seedPg(c, mixedDataSet().tables);
          await c.query("VACUUM ANALYZE");
          await new Promise<void>((done) => {
            ctx = { c, done };
            ready();
          });
        });
      });
    });
    after(async () => {
      ctx?.done();
      await open;
    });

    for (const h of pgHot()) {
      it(`${h.name} reads no large table from end to end`, async () => {
        const plan = (await ctx!.c.query(`EXPLAIN ${h.sql}`, h.params as unknown[])).rows.map((r) => r["QUERY PLAN"] as string);
        const seq = plan.filter((l) => /Seq Scan on (deliveries|attempts|events)\b/.test(l) && !(h.pgSeqScan?.test(l) ?? false));
        assert.deepEqual(seq, [], `plan:\n${plan.join("\n")}`);
      });
    }
  });
}
