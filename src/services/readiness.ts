import { coerceError } from "../core/errors.ts";
import { FAULT_TEXT, type StorageHealth } from "../core/storage-health.ts";
import type { Store } from "../store/store.ts";

/**
 * Why this process cannot do its work now, or null when it can: the database refuses writes (a
 * full disk answers reads, so a ping alone would say ready) or does not answer. Both the API's
 * GET /readyz and a worker's (on TOCSIN_METRICS_PORT) answer with it.
 */
export async function notReadyReason(storage: StorageHealth | undefined, store: Pick<Store, "ping">): Promise<string | null> {
  const s = storage?.state;
  if (s && !s.writable) {
    const since = new Date(s.since ?? Date.now()).toISOString();
    return `the database ${FAULT_TEXT[s.fault ?? "unreachable"]} (since ${since}, ${s.failures} operations refused): ${s.detail ?? ""}`;
  }
  try {
    await store.ping();
    return null;
  } catch (e) {
    return `the database does not answer: ${coerceError(e).message}`;
  }
}
