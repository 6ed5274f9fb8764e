import type { Store } from "../store/store.ts";
import type { Metrics } from "./metrics.ts";

/**
 * The same store, counting what passes through `ingest` and `complete` for the metrics. Workers
 * and services use it unchanged; every argument goes through as given.
 *
 * Outcomes are counted once `complete` has returned: the worker retries a failed `complete` with
 * the same outcomes, which would otherwise count twice. (An outcome that fencing drops, because
 * the lease moved to another worker, still counts: its attempt did happen.)
 */
export function instrumentStore(store: Store, metrics: Metrics): Store {
  return {
    ...store,
    async complete(...args: Parameters<Store["complete"]>) {
      await store.complete(...args);
      metrics.recordOutcomes(args[1]);
    },
    async ingest(...args: Parameters<Store["ingest"]>) {
      let results: Awaited<ReturnType<Store["ingest"]>>;
      try {
        results = await store.ingest(...args);
      } catch (e) {
        metrics.recordIngestError();
        throw e;
      }
      metrics.recordIngest(results);
      return results;
    },
  };
}
