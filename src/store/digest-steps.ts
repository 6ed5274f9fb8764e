import { type DigestWindow, digestStep, foldedMessage, groupKey, groupPath, openWindow, unlistedMessage } from "../core/digest.ts";
import { matchesEventType } from "../core/event-types.ts";
import { newId } from "../core/ids.ts";
import type { DeliveryReason, DigestSettings } from "../core/types.ts";
import { type Dialect, type Steps, all, run, table } from "./dialect.ts";
import type { Param } from "./sql.ts";
import type { NewEvent } from "./store.ts";

// The digest gate of fan-out (docs/alerts.md#digests), the last of the per-(event, endpoint)
// controls. Per endpoint and group key, digest_windows holds the current window. An event with no
// open window goes as usual and opens one; an event inside an open window is folded: its delivery
// joins the window's digest, a batch (dig_ id) whose members wait pending until the window's end,
// when the claim takes them as one due batch (store/claim.ts, unchanged). The digest lists the
// latest maxEvents members; older ones leave it as `suppressed`, with the digest in their reason.
//
// Concurrency: on PostgreSQL the events of one key serialise on an advisory lock, so concurrent
// ingests cannot open two windows: alert events on the lock ingest takes per fingerprint, events
// grouped by a payload value on digestLocks'. A call decides every event in memory and writes each
// window it touched once, at the end (flushDigests).

/** What one ingest call knows of the digests it touched. */
export interface DigestCall {
  tenantId: string;
  windows: Map<string, WindowState>;
  /** Deliveries folded per event id (the metric tocsin_events_folded_total). */
  folded: Map<string, number>;
  /** Payloads parsed for payload-path group keys, once per event. */
  payloads: Map<NewEvent, unknown>;
}

interface WindowState extends DigestWindow {
  endpointId: string;
  key: string;
  groupBy: string;
  maxEvents: number;
  changed: boolean;
  /** Members the digest lists in the database, and the events it folded there. */
  storedListed: number;
  storedFolded: number;
  /** Member rows (MEMBER_COLUMNS) folded by this call, oldest first. */
  rows: Param[][];
}

export function newDigestCall(tenantId: string): DigestCall {
  return { tenantId, windows: new Map(), folded: new Map(), payloads: new Map() };
}

/** What ingest reports of an event's folded deliveries: nothing when none was folded. */
export function foldedOf(c: DigestCall, eventId: string): { folded?: number } {
  const n = c.folded.get(eventId);
  return n === undefined ? {} : { folded: n };
}

/** Same text as ingest's ALERT_LOCK, under its own statement name. */
const DIGEST_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))";

export const SELECT_WINDOW = `SELECT w.window_start, w.window_end, w.digest_id, b.size, b.folded
  FROM digest_windows w LEFT JOIN batches b ON b.id = w.digest_id WHERE w.endpoint_id = ? AND w.group_key = ?`;
export const UPSERT_WINDOW = `INSERT INTO digest_windows (endpoint_id, group_key, tenant_id, window_start, window_end, digest_id) VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (endpoint_id, group_key) DO UPDATE SET window_start = excluded.window_start, window_end = excluded.window_end, digest_id = excluded.digest_id`;
export const UPSERT_DIGEST = `INSERT INTO batches (id, tenant_id, endpoint_id, size, created_at, group_by, group_key, folded, window_start, window_end)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET size = excluded.size, folded = excluded.folded`;
/** (reason, now, digest, how many): the oldest listed members leave the digest, suppressed. */
export const UNLIST_OLDEST = `UPDATE deliveries SET status = 'suppressed', batch_id = NULL, next_attempt_at = NULL, reason = ?, updated_at = ?
  WHERE id IN (SELECT id FROM deliveries WHERE batch_id = ? AND status = 'pending' ORDER BY id LIMIT ?)`;
/** Table: (id, tenant, event, endpoint, event type, created at, due at, status, reason, batch), one row per folded delivery. */
export const INSERT_MEMBERS = {
  sqlite: {
    eachRow: `INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, event_type, status, attempts, next_attempt_at, created_at, updated_at, reason, batch_id)
  VALUES (?1, ?2, ?3, ?4, ?5, ?8, 0, ?7, ?6, ?6, ?9, ?10)`,
  },
  pg: `INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, event_type, status, attempts, next_attempt_at, created_at, updated_at, reason, batch_id)
  SELECT id, t, e, ep, ty, st, 0, due, at, at, re, b
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::text[], $9::text[], $10::text[])
    AS x(id, t, e, ep, ty, at, due, st, re, b)`,
};

interface DigestEndpoint {
  id: string;
  types: string[];
  digest: DigestSettings | null;
}

function payloadOf(c: DigestCall, ev: NewEvent): unknown {
  if (c.payloads.has(ev)) return c.payloads.get(ev);
  let v: unknown;
  try {
    v = JSON.parse(ev.payload);
  } catch {
    v = undefined;
  }
  c.payloads.set(ev, v);
  return v;
}

const keyOf = (c: DigestCall, s: DigestSettings, ev: NewEvent) => groupKey(groupPath(s.groupBy), ev.fingerprint ?? null, () => payloadOf(c, ev));

/**
 * PostgreSQL: the advisory locks of the payload-value keys this call may fold, in one sorted
 * order, taken after ingest's fingerprint locks (so every call locks in the same order).
 */
export function* digestLocks(d: Dialect, c: DigestCall, endpoints: readonly DigestEndpoint[], events: readonly NewEvent[]): Steps<void> {
  if (!d.rowLocks) return;
  const keys = new Set<string>();
  for (const ep of endpoints) {
    if (ep.digest === null || ep.digest.groupBy === "fingerprint") continue;
    for (const ev of events) {
      if (!matchesEventType(ep.types, ev.type)) continue;
      const key = keyOf(c, ep.digest, ev);
      if (key !== null) keys.add(`digest ${ep.id} ${key}`);
    }
  }
  for (const k of [...keys].sort()) yield all("ingest: digest lock", DIGEST_LOCK, [k]);
}

/**
 * The digest gate for one event and one endpoint with a digest: false when the event goes as usual
 * (no group key, or no open window: it opens one); true when it was folded into the window's
 * digest (its delivery is written by flushDigests).
 */
export function* foldIntoDigest(c: DigestCall, ep: { id: string }, s: DigestSettings, ev: NewEvent, now: number): Steps<boolean> {
  const key = keyOf(c, s, ev);
  if (key === null) return false;
  const id = `${ep.id}\n${key}`;
  let w = c.windows.get(id);
  if (w === undefined) {
    const r = (yield all("ingest: digest window", SELECT_WINDOW, [ep.id, key])).rows[0];
    w = {
      endpointId: ep.id,
      key,
      groupBy: s.groupBy,
      maxEvents: s.maxEvents,
      start: r ? Number(r.window_start) : 0,
      end: r ? Number(r.window_end) : 0,
      digestId: r?.digest_id === null || r?.digest_id === undefined ? null : String(r.digest_id),
      changed: false,
      storedListed: r?.size === null || r?.size === undefined ? 0 : Number(r.size),
      storedFolded: r?.folded === null || r?.folded === undefined ? 0 : Number(r.folded),
      rows: [],
    };
    c.windows.set(id, w);
  }
  if (digestStep(w, now) === "open") {
    Object.assign(w, openWindow(s, now), { changed: true, storedListed: 0, storedFolded: 0, rows: [] });
    return false;
  }
  w.digestId ??= newId("dig", now);
  w.changed = true;
  const reason: DeliveryReason = { code: "folded", message: foldedMessage(w.digestId, w.end), digestId: w.digestId };
  // The digest lists its members, and drops the oldest, in id order, so ids must follow arrival: an
  // id for a time more than a second behind the latest one made is random within its millisecond
  // (core/ids.ts), and `now` lags when this call waited for the key's lock. The later of the two
  // clocks keeps them in sequence (an injected clock may run ahead).
  w.rows.push([newId("dlv", Math.max(now, Date.now())), c.tenantId, ev.id, ep.id, ev.type, now, w.end, "pending", JSON.stringify(reason), w.digestId]);
  c.folded.set(ev.id, (c.folded.get(ev.id) ?? 0) + 1);
  return true;
}

/** Writes the windows this call changed, their digests and the folded deliveries. */
export function* flushDigests(c: DigestCall, now: number): Steps<void> {
  const members: Param[][] = [];
  for (const w of c.windows.values()) {
    if (!w.changed) continue;
    yield run("ingest: digest window upsert", UPSERT_WINDOW, [w.endpointId, w.key, c.tenantId, w.start, w.end, w.digestId]);
    if (w.digestId === null || w.rows.length === 0) continue;
    // The latest maxEvents stay listed: the oldest leave first, from the database, then from this call.
    const excess = Math.max(0, w.storedListed + w.rows.length - w.maxEvents);
    const fromStored = Math.min(excess, w.storedListed);
    const unlisted: DeliveryReason = { code: "folded", message: unlistedMessage(w.digestId, w.maxEvents), digestId: w.digestId };
    if (fromStored > 0) yield run("ingest: digest unlist", UNLIST_OLDEST, [JSON.stringify(unlisted), now, w.digestId, fromStored]);
    const fromCall = excess - fromStored;
    for (let i = 0; i < fromCall; i++) {
      const r = w.rows[i]!;
      r[6] = null;
      r[7] = "suppressed";
      r[8] = JSON.stringify(unlisted);
      r[9] = null;
    }
    members.push(...w.rows);
    const listed = w.storedListed - fromStored + w.rows.length - fromCall;
    const folded = w.storedFolded + w.rows.length;
    yield run("ingest: digest upsert", UPSERT_DIGEST, [w.digestId, c.tenantId, w.endpointId, listed, now, w.groupBy, w.key, folded, w.start, w.end]);
  }
  if (members.length) yield run("ingest: digest members", INSERT_MEMBERS, [table(members, 10)]);
}
