import type { Logger } from "pino";
import type { Config } from "../config.ts";
import type { SecretBox } from "../core/secret-box.ts";
import type { StorageHealth } from "../core/storage-health.ts";
import type { Sender } from "../delivery/sender.ts";
import type { Store } from "../store/store.ts";
import type { ReencryptResult } from "./master-key.ts";

/** What the domain services need; passed in, never imported as singletons. */
export interface ServiceDeps {
  store: Store;
  secretBox: SecretBox;
  config: Readonly<Config>;
  now: () => number;
  /** Tells the in-process worker that new deliveries are due. */
  wake: () => void;
  /** Sends test calls and validation requests with an endpoint's real settings (never via the queue). */
  sender: Sender;
  logger: Logger;
  userAgent: string;
  /** Tells this process's replay runner that a replay was started (absent in API-only processes). */
  nudgeReplays?: () => void;
  /** Whether the database can be written, as this process's writes found it (readiness, 503s). */
  storage?: StorageHealth;
  /** Rotates the master key online; only where this process owns the key (the data folder's master-key). */
  rotateMasterKey?: () => Promise<ReencryptResult>;
}
