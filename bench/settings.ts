// The benchmark's fixed sizes and targets (one place, so the modules agree).

import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));

export const CEILING_CONNECTIONS = 64;
export const CEILING_POSTS = 20_000;
/** The ceiling is the best of this many runs of CEILING_POSTS (it varies by tens of % run to run). */
export const CEILING_ROUNDS = 3;
export const WARMUP_POSTS = 10_000;
export const RATE_PER_S = 2_000;
/** A second, lower offered rate: the latency Tocsin adds when it is not saturated (report only). */
export const LOW_RATE_PER_S = 1_000;
export const RATE_DURATION_MS = 5_000;
export const TICK_MS = 10;
export const BATCH_MAX = 1_000;
export const INGEST_IN_FLIGHT = 2;
export const WAIT_TIMEOUT_MS = 120_000;
/** a and b against the same run's ceiling, and c's p99 over the ceiling's (the store's hot-path targets). */
export const THROUGHPUT_TARGET = 0.3;
export const P99_DELTA_TARGET_MS = 10;
export const EVENT_TYPE = "bench.alert";
/** PostgreSQL: worker processes per run, and the burst and paced loads (report only, no target). */
export const PG_URL = process.env.TOCSIN_BENCH_DATABASE_URL || process.env.TOCSIN_TEST_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";
export const PG_WORKERS = [1, 2, 4];
export const PG_EVENTS = 2_000;
export const PG_ENDPOINTS = 10;
/** Events per second offered in the paced PostgreSQL run, each to PG_ENDPOINTS endpoints. */
export const PG_RATE_PER_S = 100;
/** Statements and functions listed per profiled run. */
export const PROFILE_TOP = 15;
