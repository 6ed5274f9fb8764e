import type { ApiKey, ApiKeyKind, Scope } from "../core/api-keys.ts";
import type { ReplayMethods } from "./replays.ts";
import type { SilenceMethods } from "./silences.ts";
import type { StorageFault } from "../core/storage-health.ts";
import { DEFAULT_HEALTH_POLICY, type EndpointGateState, type HealthPolicy, type HealthState } from "../core/health.ts";
import type {
  Alert,
  AlertState,
  Batch,
  DigestInfo,
  Attempt,
  ClaimedDelivery,
  Delivery,
  DeliveryOutcome,
  DeliveryStatus,
  DisabledReason,
  Endpoint,
  EndpointSettings,
  EventRecord,
  EventType,
  Severity,
  Tenant,
  ValidationStatus,
} from "../core/types.ts";

import type { Page, PageResult } from "./page.ts";

export { type Page, type PageResult, decodeCursor, encodeCursor } from "./page.ts";
export type { ReleaseResult, SilenceFilter } from "./silences.ts";

export interface NewEvent {
  id: string;
  type: string;
  severity?: Severity | null;
  payload: string;
  idempotencyKey: string | null;
  fingerprint?: string | null;
  /** Defaults to start when a fingerprint is given. */
  state?: AlertState | null;
  /** The ingest span's W3C trace context (see observability/tracing.ts); null with tracing off. */
  traceContext?: string | null;
  /**
   * An operational notice about `primary`: unless the event fans out to `primary` or to `fallback`
   * (a delivery to the primary goes to its fallback while it fails), it is also delivered to
   * `fallback`, whatever that endpoint subscribes to.
   */
  fallbackCopy?: { primary: string; fallback: string } | null;
}

export type IngestResult = ({ id: string; deliveries: number; duplicate: false } | { id: string; deliveries: number; duplicate: true }) & {
  /** Of the deliveries, those suppressed by one-off silences and by maintenance windows (absent: none). */
  silenced?: { oneOff: number; recurring: number };
  /** How many of a stored event's deliveries were folded into a digest (absent: none). */
  folded?: number;
};

export interface NewEndpoint {
  id: string;
  tenantId: string;
  url: string;
  name: string | null;
  description: string | null;
  eventTypes: string[];
  enabled: boolean;
  secretEnc: string;
  /** Omitted: the defaults (rows written before settings existed read the same way). */
  settings?: EndpointSettings;
  minSeverity?: Severity | null;
  credentialsEnc?: string | null;
  validationStatus?: ValidationStatus;
  fallbackEndpointId?: string | null;
}

export interface EndpointChanges {
  url?: string;
  name?: string | null;
  description?: string | null;
  eventTypes?: string[];
  enabled?: boolean;
  disabledReason?: DisabledReason | null;
  secretEnc?: string;
  settings?: EndpointSettings;
  minSeverity?: Severity | null;
  credentialsEnc?: string | null;
  validationStatus?: ValidationStatus;
  validationError?: string | null;
  validatedAt?: number | null;
  previousSecretEnc?: string | null;
  previousSecretExpiresAt?: number | null;
  fallbackEndpointId?: string | null;
}

export type CiphertextColumn = "secret_enc" | "previous_secret_enc" | "credentials_enc";

/** An endpoint's encrypted secrets, read only where a request is built or a secret is revealed. */
export interface EndpointSecrets {
  secretEnc: string;
  previousSecretEnc: string | null;
  credentialsEnc: string | null;
}

export interface DeliveryFilter {
  endpointId?: string;
  eventId?: string;
  status?: DeliveryStatus;
  /** An exact event type, or `prefix.*` for every type under `prefix.`. */
  eventType?: string;
  /** Created at or after (ms since the epoch). */
  since?: number;
  /** Created before (ms since the epoch). */
  until?: number;
}

export interface NewApiKey {
  id: string;
  kind: ApiKeyKind;
  tenantId: string | null;
  name: string | null;
  scopes: Scope[];
  /** Hex SHA-256 of the key; the key itself is never stored. */
  hash: string;
  prefix: string;
  expiresAt: number | null;
  createdAt: number;
}

export interface ApiKeyFilter {
  tenantId?: string;
  kind?: ApiKeyKind;
}

/** How completions judge endpoint health, and who hears about it. */
export interface CompleteOptions {
  health: HealthPolicy;
  /** The operator's tenant, which receives a copy of every operational event. */
  opsTenant: string | null;
}

export const DEFAULT_COMPLETE: CompleteOptions = Object.freeze({ health: DEFAULT_HEALTH_POLICY, opsTenant: null });

export interface ClaimOptions {
  limit: number;
  leaseMs: number;
  owner: string;
  now: number;
  /** Most deliveries in flight per endpoint, counted across every worker. */
  endpointConcurrency: number;
  /**
   * Most requests (a delivery sent alone, or a batch) the claiming process may have in flight per
   * tenant, with `tenantInFlight`; the claim takes nothing for a tenant without room left and stops
   * taking for one when it fills up. Omitted: no per-tenant cap.
   */
  tenantConcurrency?: number;
  /** Requests the claiming process has in flight per tenant; a tenant not listed has none. */
  tenantInFlight?: ReadonlyMap<string, number>;
}

/** What the metrics scrape reads from the database (see store/stats.ts). */
export interface OperationalStats {
  /** Deliveries waiting for an attempt, due or not. */
  pending: number;
  /** Pending deliveries whose time has come, on endpoints a worker may claim from now. */
  due: number;
  /** Deliveries leased to a worker. */
  delivering: number;
  /** The earliest next attempt among the due deliveries (epoch ms); null when none is due. */
  oldestDueAt: number | null;
  /** Enabled endpoints by circuit state. */
  circuits: { closed: number; open: number; halfOpen: number };
  endpoints: { enabled: number; disabled: number };
  /** The listed endpoints, then the top ones by pending deliveries. */
  perEndpoint: { id: string; pending: number }[];
  /** Alerts that flap damping holds now, once per (endpoint, alert). */
  alertsFlapping: number;
}

/** Why a retry did not happen (see Store.retryDelivery). */
export type RetryRefusal = "not_found" | "not_retryable" | { blocked: "circuit_open" | "rate_limit"; until: number };

/**
 * The one persistence interface. Services and workers see only this; each backend (SQLite now,
 * PostgreSQL next) holds its dialect's differences. Every method is tenant-scoped where the data is.
 */
export interface Store extends ReplayMethods, SilenceMethods {
  /** Checks the database answers; throws when it does not. */
  ping(): Promise<void>;
  /**
   * After writes failed (StoreUnavailableError): whether they may succeed again, judged without
   * writing (room on the disk and under the database's size limit; the server answering). Null
   * when they may; otherwise what still stands in the way.
   */
  blockedWrites(): Promise<string | null>;
  close(): Promise<void>;
  getMeta(key: string): Promise<string | null>;
  setMeta(key: string, value: string): Promise<void>;

  /** Inserts a tenant; returns null when the id is taken. */
  createTenant(t: Tenant): Promise<Tenant | null>;
  getTenant(id: string): Promise<Tenant | null>;
  listTenants(page: Page): Promise<PageResult<Tenant>>;
  updateTenant(id: string, changes: { name?: string | null; metadata?: Record<string, unknown> }, now: number): Promise<Tenant | null>;
  /**
   * Deletes a tenant with its endpoints; their unfinished deliveries become `cancelled` and its keys
   * are revoked (a tenant re-created with the same id must not inherit them).
   */
  deleteTenant(id: string, now: number): Promise<boolean>;

  createEndpoint(e: NewEndpoint, now: number): Promise<Endpoint>;
  getEndpoint(tenantId: string, id: string): Promise<Endpoint | null>;
  getEndpointSecrets(tenantId: string, id: string): Promise<EndpointSecrets | null>;
  /** What a worker needs to build requests for an endpoint (any tenant): its current settings and secrets. */
  getEndpointForDelivery(id: string): Promise<{ endpoint: Endpoint; secrets: EndpointSecrets } | null>;
  /**
   * Records a validation result, only if the endpoint is still at `version` (a URL changed
   * meanwhile starts a new validation). Does not bump the version. False when nothing changed.
   */
  setValidationResult(
    tenantId: string,
    id: string,
    version: number,
    status: "pending" | "passed" | "failed",
    error: string | null,
    now: number,
  ): Promise<boolean>;
  /** Every endpoint's ciphertexts, in id order after `afterId` (master-key rotation walks them). */
  listCiphertexts(afterId: string, limit: number): Promise<({ id: string } & EndpointSecrets)[]>;
  /** Replaces one ciphertext only if it is still `from` (a concurrent change wins); true when replaced. */
  replaceCiphertext(id: string, column: CiphertextColumn, from: string, to: string): Promise<boolean>;
  /** Endpoints whose validation has not finished (resumed when an API process starts). */
  listPendingValidation(limit: number): Promise<Endpoint[]>;
  listEndpoints(tenantId: string, page: Page): Promise<PageResult<Endpoint>>;
  countEndpoints(tenantId: string): Promise<number>;
  /** Applies changes and bumps `version`; null when the endpoint does not exist. */
  updateEndpoint(tenantId: string, id: string, changes: EndpointChanges, now: number): Promise<Endpoint | null>;
  /**
   * The settings an endpoint had at `version`, or null when they have not changed since (the
   * current ones apply). Deliveries pinned to an older version shape their bodies with these.
   */
  getEndpointSettingsAt(id: string, version: number): Promise<{ settings: EndpointSettings } | null>;
  /** The health of some of a tenant's endpoints; an endpoint that has never had an attempt has none. */
  getEndpointHealth(tenantId: string, ids: string[]): Promise<Map<string, HealthState>>;
  /** What decides when some of a tenant's endpoints send their pending deliveries; missing: the endpoint is gone. */
  getEndpointGates(tenantId: string, ids: string[]): Promise<Map<string, EndpointGateState>>;
  /** Deletes an endpoint; its unfinished deliveries become `cancelled`; endpoints that fell back on it have no fallback any more. */
  deleteEndpoint(tenantId: string, id: string, now: number): Promise<boolean>;

  createEventType(t: EventType): Promise<EventType | null>;
  getEventType(name: string): Promise<EventType | null>;
  listEventTypes(page: Page): Promise<PageResult<EventType>>;
  updateEventType(name: string, changes: { description?: string | null; schema?: unknown; example?: unknown }, now: number): Promise<EventType | null>;
  deleteEventType(name: string): Promise<boolean>;

  /** Inserts a key; only its hash is stored. */
  createApiKey(k: NewApiKey): Promise<ApiKey>;
  /** The key with this hash (revoked and expired ones too, for the caller to check), with its stored hash. */
  findApiKeyByHash(hash: string): Promise<{ key: ApiKey; hash: string } | null>;
  /** Keys by id (creation order), revoked and expired ones included; never their hashes. */
  listApiKeys(filter: ApiKeyFilter, page: Page): Promise<PageResult<ApiKey>>;
  /**
   * Revokes key `id` (only if it belongs to `tenantId`, when given); revoking twice keeps the first
   * time. Returns the key, or null when there is no such key.
   */
  revokeApiKey(id: string, tenantId: string | null, now: number): Promise<ApiKey | null>;
  /** Records that the key authenticated a request at `now`. */
  touchApiKey(id: string, now: number): Promise<void>;

  /**
   * Durable ingest, all or nothing in one transaction: for each event, return the original when
   * its idempotency key was used within `idempotencyWindowMs`, otherwise insert it with one
   * `pending` delivery per enabled endpoint of the tenant whose `eventTypes` match and whose
   * `minSeverity` (if any) the event's severity reaches.
   * Returns null when the tenant does not exist.
   */
  ingest(tenantId: string, events: NewEvent[], now: number, idempotencyWindowMs: number): Promise<IngestResult[] | null>;
  getEvent(tenantId: string, id: string): Promise<EventRecord | null>;
  listEvents(tenantId: string, page: Page, filter: { type?: string }): Promise<PageResult<EventRecord>>;

  listAlerts(tenantId: string, filter: { status?: "open" | "resolved" }, page: Page): Promise<PageResult<Alert>>;
  getAlert(tenantId: string, fingerprint: string): Promise<Alert | null>;
  /** A batch with its members in membership order, and its attempts. */
  getBatch(tenantId: string, id: string): Promise<{ batch: Batch; members: Delivery[]; attempts: Attempt[] } | null>;
  /** A digest's window and count (for its body), by its dig_ id; null when none has that id. */
  getDigest(id: string): Promise<DigestInfo | null>;

  listDeliveries(tenantId: string, filter: DeliveryFilter, page: Page): Promise<PageResult<Delivery>>;
  getDelivery(tenantId: string, id: string): Promise<Delivery | null>;
  listAttempts(tenantId: string, deliveryId: string): Promise<Attempt[]>;
  /**
   * Puts a `failed` delivery back to `pending`, due now, or makes a `pending` one due now unless
   * its endpoint's circuit is open or its rate limit holds (`blocked`, with when that ends). A
   * batch's members go together. A suppressed delivery is sent anyway (its reason is cleared).
   * `not_retryable`: delivering, succeeded or cancelled.
   */
  retryDelivery(tenantId: string, id: string, now: number): Promise<Delivery | RetryRefusal>;

  /**
   * Leases up to `limit` due deliveries to `owner` until `now + leaseMs`, respecting the
   * per-endpoint concurrency cap, skipping disabled endpoints and endpoints not (yet) validated.
   */
  claimDue(opts: ClaimOptions): Promise<ClaimedDelivery[]>;
  /**
   * Records attempts and new delivery states in one transaction, only where `owner` still holds
   * the lease; in the same transaction updates the endpoints' health and circuits, disables
   * endpoints that have failed for too long, and ingests the operational events (`tocsin.*`)
   * this causes into the affected tenant and the operator's.
   */
  complete(owner: string, outcomes: DeliveryOutcome[], now: number, opts?: CompleteOptions): Promise<void>;
  /** Returns deliveries whose lease has expired to `pending`; returns how many. */
  releaseExpiredLeases(now: number): Promise<number>;
  /** Returns every delivery leased by `owner` to `pending` (a draining worker hands its work back). */
  releaseOwned(owner: string, now: number): Promise<number>;
  /**
   * Records that worker `owner` is alive until `until` (store/heartbeats.ts). A no-op on SQLite,
   * whose one process releases every lease when it starts.
   */
  heartbeat(owner: string, until: number): Promise<void>;
  /** Returns to `pending` the deliveries of workers whose heartbeat lapsed before `now` (dead processes); returns how many. */
  releaseDeadOwners(now: number): Promise<number>;

  /**
   * Calls `listener` when another process may have made deliveries due (PostgreSQL LISTEN/NOTIFY).
   * SQLite has one process, whose ingest wakes its worker directly, so there it never fires.
   * Returns a function that unsubscribes.
   */
  subscribeDue(listener: () => void): Promise<() => Promise<void>>;
  /**
   * Retention: deletes up to `limit` finished deliveries (with their attempts), events without
   * unfinished deliveries, and expired idempotency keys, all created before `before`, and portal
   * sessions that expired before `before`.
   * Returns how many rows it deleted; call again until it returns 0.
   */
  purge(before: number, now: number, limit: number): Promise<number>;
  /**
   * A named lease for a job that one process at a time should run (retention): true when
   * `owner` now holds `name` until `now + ttlMs`, because it was free, expired, or already
   * `owner`'s. Held in the `meta` table, so it works across processes on PostgreSQL.
   */
  acquireLease(name: string, owner: string, now: number, ttlMs: number): Promise<boolean>;
  /**
   * Queue depth, the oldest due delivery, endpoints by status and circuit, and the pending count of
   * the endpoints in `endpointIds` and of the `topN` endpoints with the most pending deliveries.
   * Reads only unfinished deliveries (partial indexes), never the finished history.
   */
  operationalStats(now: number, topN: number, endpointIds: string[]): Promise<OperationalStats>;
  /**
   * A tenant's deliveries created in [since, until), optionally of one endpoint, counted by
   * `bucketMs`-wide bucket and status, and the durations of their attempts. Reads at most
   * `maxDeliveries` deliveries (the newest) and `maxAttempts` attempts (of the newest deliveries):
   * a query for the console's charts, bounded whatever the tenant's volume.
   */
  deliveryStats(tenantId: string, q: DeliveryStatsQuery): Promise<DeliveryStatsRows>;
}

export interface DeliveryStatsQuery {
  since: number;
  until: number;
  bucketMs: number;
  endpointId?: string;
  maxDeliveries: number;
  maxAttempts: number;
}

export interface DeliveryStatsRows {
  /** Bucket index counted from `since` (SQLite divides bound numbers in floating point: floor it), status and how many. */
  counts: { bucket: number; status: DeliveryStatus; n: number }[];
  /** Deliveries read (at most maxDeliveries). */
  read: number;
  /** Attempt durations in ms, in no particular order. */
  durations: number[];
}

/**
 * The database cannot be reached or cannot be written (`fault` says which); nothing of the failed
 * operation was stored. The API answers 503 and workers retry.
 */
export class StoreUnavailableError extends Error {
  readonly fault: StorageFault;
  constructor(message: string, options: { cause?: unknown; fault?: StorageFault } = {}) {
    super(message, { cause: options.cause });
    this.fault = options.fault ?? "unreachable";
  }
}
