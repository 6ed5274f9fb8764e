// Silences of a tenant: created (checked field by field), listed, read and expired early.
import type { Principal } from "../core/api-keys.ts";
import { ApiError, type FieldError, notFound } from "../core/errors.ts";
import { type FilterDoc, checkFilter } from "../core/filter.ts";
import { newId } from "../core/ids.ts";
import { parseDuration } from "../core/retry-policy.ts";
import { type Schedule, scheduleProblems } from "../core/schedule.ts";
import { BOOTSTRAP_KEY_ID, COMMENT_MAX, type Silence } from "../core/silences.ts";
import type { Page, PageResult, SilenceFilter } from "../store/store.ts";
import type { ServiceDeps } from "./deps.ts";
import { getTenant } from "./tenants.ts";

export interface SilenceInput {
  matchers?: unknown;
  endpointIds?: unknown;
  startsAt?: string;
  endsAt?: string;
  duration?: string;
  schedule?: unknown;
  comment?: unknown;
}

/** Endpoints one silence may name at most. */
export const SILENCE_MAX_ENDPOINTS = 100;

const RFC3339 = /^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(?:\.\d+)?(?:[Zz]|[+-]\d\d:\d\d)$/;
const DURATION = /^\d{1,6}(?:s|m|h|d)$/;

/** Times a silence may name: its windows and end then stay four-digit years, as RFC 3339 writes them. */
const LATEST = Date.parse("9000-01-01T00:00:00Z");

function instant(v: string): number | null {
  const ms = Date.parse(v);
  return RFC3339.test(v) && Number.isFinite(ms) && ms >= 0 && ms < LATEST ? ms : null;
}

/** Checks a silence as a client sent it; a 400 lists every field that is wrong. */
async function checkSilence(d: ServiceDeps, tenantId: string, input: SilenceInput, now: number) {
  const errors: FieldError[] = [];
  const bad = (path: string, message: string) => errors.push({ path, message });

  let comment = "";
  if (typeof input.comment !== "string" || input.comment.trim() === "") bad("/comment", "is required: say why nothing should be sent (1 to 1000 characters)");
  else if (input.comment.length > COMMENT_MAX) bad("/comment", `is ${input.comment.length} characters; the limit is ${COMMENT_MAX}`);
  else comment = input.comment.trim();

  let matchers: FilterDoc = {};
  if (input.matchers !== undefined && input.matchers !== null) {
    try {
      matchers = checkFilter(input.matchers, "/matchers");
    } catch (e) {
      if (!(e instanceof ApiError) || !e.errors) throw e;
      errors.push(...e.errors);
    }
  }

  let endpointIds: string[] | null = null;
  if (input.endpointIds !== undefined && input.endpointIds !== null) {
    if (!Array.isArray(input.endpointIds) || input.endpointIds.length === 0) {
      bad("/endpointIds", "must list at least one endpoint id; leave it out to silence the whole tenant");
    } else if (input.endpointIds.length > SILENCE_MAX_ENDPOINTS) {
      bad("/endpointIds", `lists ${input.endpointIds.length} endpoints; the limit is ${SILENCE_MAX_ENDPOINTS}`);
    } else {
      endpointIds = [];
      for (const [i, id] of (input.endpointIds as unknown[]).entries()) {
        // Another tenant's endpoint is answered like one that does not exist.
        if (typeof id !== "string" || id.length > 100 || !(await d.store.getEndpoint(tenantId, id)))
          bad(`/endpointIds/${i}`, `no endpoint ${JSON.stringify(id)} in this tenant`);
        else if (!endpointIds.includes(id)) endpointIds.push(id);
      }
    }
  }

  let startsAt = now;
  if (input.startsAt !== undefined) {
    const ms = instant(input.startsAt);
    if (ms === null) bad("/startsAt", "must be an RFC 3339 date-time between 1970 and 9000, e.g. 2026-12-06T22:00:00Z");
    else startsAt = ms;
  }

  let schedule: Schedule | null = null;
  if (input.schedule !== undefined && input.schedule !== null) {
    const problems = scheduleProblems(input.schedule);
    for (const p of problems) bad(`/schedule${p.path}`, p.message);
    if (problems.length === 0) schedule = input.schedule as Schedule;
  }

  let endsAt: number | null = null;
  if (input.endsAt !== undefined && input.duration !== undefined) bad("/duration", "give endsAt or duration, not both");
  else if (input.endsAt !== undefined) {
    const ms = instant(input.endsAt);
    if (ms === null) bad("/endsAt", "must be an RFC 3339 date-time between 1970 and 9000, e.g. 2026-12-06T23:00:00Z");
    else endsAt = ms;
  } else if (input.duration !== undefined) {
    if (!DURATION.test(input.duration) || parseDuration(input.duration) <= 0) bad("/duration", "must be a duration such as 30m, 2h or 3d");
    else endsAt = startsAt + parseDuration(input.duration);
  } else if (input.schedule === undefined || input.schedule === null) {
    bad("/endsAt", "a one-off silence needs endsAt or duration (only a recurring one, with a schedule, may go on without an end)");
  }
  if (endsAt !== null) {
    const at = input.endsAt !== undefined ? "/endsAt" : "/duration";
    if (endsAt <= startsAt) bad(at, "must end after startsAt");
    else if (endsAt >= LATEST) bad(at, "must end before the year 9000");
    else if (endsAt <= now) bad(at, "is in the past: the silence would never apply");
  }

  if (errors.length) throw new ApiError(400, "validation_failed", errors.map((e) => `${e.path}: ${e.message}`).join("; "), errors);
  return { matchers, endpointIds, startsAt, endsAt, schedule, comment };
}

/** Creates a silence authored by the calling key. */
export async function createSilence(d: ServiceDeps, tenantId: string, input: SilenceInput, by: Principal): Promise<Silence> {
  await getTenant(d, tenantId);
  const now = d.now();
  const s = await checkSilence(d, tenantId, input, now);
  const silence = await d.store.createSilence({
    id: newId("sil", now),
    tenantId,
    ...s,
    createdBy: { kind: by.kind, keyId: by.keyId ?? BOOTSTRAP_KEY_ID, name: by.name ?? null },
    createdAt: now,
    expiredEarly: false,
    suppressed: 0,
  });
  d.logger.info({ tenant: tenantId, silence: silence.id, recurring: s.schedule !== null, endpoints: s.endpointIds }, "silence created");
  return silence;
}

export async function getSilence(d: ServiceDeps, tenantId: string, id: string): Promise<Silence> {
  const s = await d.store.getSilence(tenantId, id);
  if (!s) throw notFound("silence", id);
  return s;
}

export async function listSilences(d: ServiceDeps, tenantId: string, filter: SilenceFilter, page: Page): Promise<PageResult<Silence>> {
  await getTenant(d, tenantId);
  return d.store.listSilences(tenantId, filter, page, d.now());
}

/**
 * Ends a silence now. The alerts it held are released at once: an alert still open is sent to the
 * endpoints that did not get it (the release job's rule), without waiting for the job's next run.
 */
export async function expireSilence(d: ServiceDeps, tenantId: string, id: string): Promise<Silence> {
  const now = d.now();
  const r = await d.store.expireSilence(tenantId, id, now);
  if (r === null) throw notFound("silence", id);
  if (r === "expired") throw new ApiError(409, "conflict", `silence ${JSON.stringify(id)} has already expired`);
  const released = await d.store.releaseHolds(now, { tenantId });
  if (released.queued > 0) d.wake();
  d.logger.info({ tenant: tenantId, silence: id, ...released }, "silence expired early");
  return r;
}
