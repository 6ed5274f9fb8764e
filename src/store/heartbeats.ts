// Worker heartbeats (PostgreSQL, where workers run in several processes). Each worker records in
// `meta` that it is alive until a time a few seconds ahead, and renews it every few seconds. A
// worker that stops renewing (killed, or its host gone) has its leased deliveries returned to the
// queue by the others within seconds, instead of when each lease expires. A live worker whose
// deliveries were returned is still fenced: complete() records nothing where it no longer holds
// the lease.

/** `meta` keys of heartbeats: worker:<owner>; values: 13-digit expiry (epoch ms, text order is time order) + ":" + owner. */
const FIRST_KEY = "worker:";
const AFTER_LAST_KEY = "worker;";

/** Heartbeats that lapsed this long ago are forgotten (their deliveries were returned long before). */
export const FORGET_AFTER_MS = 86_400_000;

export const BEAT = "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value";

export const RELEASE_DEAD_OWNERS = `UPDATE deliveries SET status = 'pending', lease_owner = NULL, lease_until = NULL, updated_at = ?
  WHERE status = 'delivering' AND lease_owner IN (
    SELECT substr(value, 15) FROM meta WHERE key >= '${FIRST_KEY}' AND key < '${AFTER_LAST_KEY}' AND substr(value, 1, 13) < ?)`;

export const FORGET_DEAD_OWNERS = `DELETE FROM meta WHERE key >= '${FIRST_KEY}' AND key < '${AFTER_LAST_KEY}' AND substr(value, 1, 13) < ?`;

const time = (ms: number) => String(Math.max(0, Math.floor(ms))).padStart(13, "0");

/** Parameters of BEAT: `owner` is alive until `until`. */
export const beatParams = (owner: string, until: number) => [`${FIRST_KEY}${owner}`, `${time(until)}:${owner}`];
/** Parameters of RELEASE_DEAD_OWNERS and FORGET_DEAD_OWNERS at `now`. */
export const releaseParams = (now: number) => [now, time(now)];
export const forgetParams = (now: number) => [time(now - FORGET_AFTER_MS)];
