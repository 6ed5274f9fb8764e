import { invalid, notFound } from "../core/errors.ts";
import { parseDuration } from "../core/retry-policy.ts";
import type { Replay, ReplayScope } from "../core/types.ts";
import type { Page, PageResult } from "../store/store.ts";
import type { ServiceDeps } from "./deps.ts";
import { getTenant } from "./tenants.ts";

/** The same replay asked for again within this window is the same job. */
export const SAME_REPLAY_WINDOW_MS = 24 * 3600_000;

/** A dry run of "retry all failed" counts this many matching deliveries at most. */
export const RETRY_FAILED_COUNT_CAP = 100_000;

export interface ReplayInput {
  since: string;
  until?: string;
  status?: ReplayScope;
}

export interface RetryFailedInput {
  endpointId?: string;
  eventType?: string;
  since?: string;
  until?: string;
  dryRun?: boolean;
}

/** A point in time as a request gives it: an RFC 3339 date-time, or a duration before `now` ("1h"). */
interface GivenTime {
  ms: number;
  /** The duration as given, when it was one: the request's identity keeps it as text. */
  ago: string | null;
}

const DURATION = /^\d+(?:\.\d+)?(?:ms|s|m|h|d)$/;
const RFC3339 = /^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(?:\.\d+)?(?:[Zz]|[+-]\d\d:\d\d)$/;

function time(v: string, path: string, now: number): GivenTime {
  if (DURATION.test(v)) return { ms: now - parseDuration(v), ago: v };
  const ms = Date.parse(v);
  if (!RFC3339.test(v) || !Number.isFinite(ms)) {
    throw invalid(path, "must be an RFC 3339 date-time (2026-11-23T08:00:00Z) or a duration before now (30m, 1h, 3d)");
  }
  return { ms, ago: null };
}

/** The range [since, until) of a request; an omitted start is the beginning, an omitted end is now. */
function range(input: { since?: string; until?: string }, now: number) {
  const since = input.since === undefined ? { ms: 0, ago: null } : time(input.since, "/since", now);
  const until = input.until === undefined ? { ms: now, ago: null } : time(input.until, "/until", now);
  if (until.ms <= since.ms) throw invalid("/until", "must be after since");
  return { since: since.ms, sinceAgo: since.ago, until: until.ms, untilAgo: until.ago, untilGiven: input.until !== undefined };
}

/**
 * Starts replaying an endpoint's deliveries of [since, until): `failed` queues its failed
 * deliveries again; `all` sends every event of the range that the endpoint subscribes to now, except
 * those already on their way. since and until are date-times or durations before the request.
 * Asking again for the same replay within a day returns the first job: the same request as made
 * (same scope, and since and until as given: "1h" matches "1h" whenever it was asked in that day,
 * a date-time matches the same time, an omitted until an omitted until).
 */
export async function startReplay(d: ServiceDeps, tenantId: string, endpointId: string, input: ReplayInput): Promise<{ replay: Replay; created: boolean }> {
  await getTenant(d, tenantId);
  const now = d.now();
  const r = range(input, now);
  const scope = input.status ?? "failed";
  if (scope !== "failed" && scope !== "all") throw invalid("/status", "must be failed or all");
  const res = await d.store.createReplay({ tenantId, endpointId, eventType: null, ...r, scope }, now, SAME_REPLAY_WINDOW_MS);
  if (!res) throw notFound("endpoint", endpointId);
  if (res.created) {
    d.logger.info({ replay: res.replay.id, tenant: tenantId, endpoint: endpointId, scope, total: res.replay.total }, "replay started");
    d.nudgeReplays?.();
  }
  return res;
}

/**
 * "Retry all failed" for the delivery log's filter: counts (dryRun) or queues again the tenant's
 * failed deliveries created in [since, until), of one endpoint or all, of one event type or all.
 * It is a replay job of scope failed, so it resumes after a restart and the same request within a
 * day is the same job.
 */
export async function retryFailed(
  d: ServiceDeps,
  tenantId: string,
  input: RetryFailedInput,
): Promise<{ matched: number } | { replay: Replay; created: boolean }> {
  await getTenant(d, tenantId);
  const now = d.now();
  const r = range(input, now);
  const endpointId = input.endpointId ?? null;
  if (endpointId !== null && !(await d.store.getEndpoint(tenantId, endpointId))) throw notFound("endpoint", endpointId);
  const eventType = input.eventType === undefined || input.eventType === "*" ? null : input.eventType;
  const filter = { tenantId, endpointId, eventType, since: r.since, until: r.until };
  if (input.dryRun) return { matched: await d.store.countFailed(filter, RETRY_FAILED_COUNT_CAP) };
  const res = await d.store.createReplay({ ...filter, ...r, scope: "failed" }, now, SAME_REPLAY_WINDOW_MS);
  if (!res) throw notFound(endpointId === null ? "tenant" : "endpoint", endpointId ?? tenantId);
  if (res.created) {
    d.logger.info({ replay: res.replay.id, tenant: tenantId, endpoint: endpointId, eventType, total: res.replay.total }, "retry of failed deliveries started");
    d.nudgeReplays?.();
  }
  return res;
}

export async function getReplay(d: ServiceDeps, tenantId: string, id: string): Promise<Replay> {
  const r = await d.store.getReplay(tenantId, id);
  if (!r) throw notFound("replay", id);
  return r;
}

export async function listReplays(d: ServiceDeps, tenantId: string, endpointId: string, page: Page): Promise<PageResult<Replay>> {
  if (!(await d.store.getEndpoint(tenantId, endpointId))) throw notFound("endpoint", endpointId);
  return d.store.listReplays(tenantId, endpointId, page);
}
