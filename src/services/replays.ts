import { invalid, notFound } from "../core/errors.ts";
import type { Replay, ReplayScope } from "../core/types.ts";
import type { Page, PageResult } from "../store/store.ts";
import type { ServiceDeps } from "./deps.ts";
import { getTenant } from "./tenants.ts";

/** The same replay asked for again within this window is the same job. */
export const SAME_REPLAY_WINDOW_MS = 24 * 3600_000;

export interface ReplayInput {
  since: string;
  until?: string;
  status?: ReplayScope;
}

function time(v: string, path: string): number {
  const ms = Date.parse(v);
  if (!Number.isFinite(ms)) throw invalid(path, "must be an RFC 3339 date-time, e.g. 2026-11-23T08:00:00Z");
  return ms;
}

/**
 * Starts replaying an endpoint's deliveries of [since, until): `failed` queues its failed
 * deliveries again; `all` sends every event of the range that the endpoint subscribes to now, except
 * those already on their way. Asking again for the same replay (same since, until and status; an
 * omitted until matches an omitted until) within a day returns the first job.
 */
export async function startReplay(d: ServiceDeps, tenantId: string, endpointId: string, input: ReplayInput): Promise<{ replay: Replay; created: boolean }> {
  await getTenant(d, tenantId);
  const now = d.now();
  const since = time(input.since, "/since");
  const until = input.until === undefined ? now : time(input.until, "/until");
  if (until <= since) throw invalid("/until", "must be after since");
  const scope = input.status ?? "failed";
  if (scope !== "failed" && scope !== "all") throw invalid("/status", "must be failed or all");
  const r = await d.store.createReplay({ tenantId, endpointId, since, until, untilGiven: input.until !== undefined, scope }, now, SAME_REPLAY_WINDOW_MS);
  if (!r) throw notFound("endpoint", endpointId);
  if (r.created) {
    d.logger.info({ replay: r.replay.id, tenant: tenantId, endpoint: endpointId, scope, total: r.replay.total }, "replay started");
    d.nudgeReplays?.();
  }
  return r;
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
