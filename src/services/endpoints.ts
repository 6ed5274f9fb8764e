import { randomBytes } from "node:crypto";
import { destinationPolicy, healthPolicy } from "../config-policies.ts";
import { healthView } from "../core/health.ts";
import { settingsWarnings } from "../core/endpoint-settings.ts";
import { ApiError, invalid, notFound } from "../core/errors.ts";
import { newId } from "../core/ids.ts";
import type { Endpoint, EndpointStatus } from "../core/types.ts";
import { buildRequest } from "../delivery/request.ts";
import type { OutgoingRequest } from "../delivery/sender.ts";
import type { EndpointChanges, Page, PageResult } from "../store/store.ts";
import type { ServiceDeps } from "./deps.ts";
import { type TestCallResult, profileOf, sendAndReport } from "./endpoint-calls.ts";
import { decryptSecrets, encryptCredentials, getWithSecrets, initialSecret, secretForSchemeChange } from "./endpoint-secrets.ts";
import {
  type ClearedSetting,
  type ResolvedSettings,
  type SettingsInput,
  type SettingsView,
  type TimeoutLimits,
  baseForNewOrigin,
  certificateWarnings,
  checkSecretForScheme,
  initialView,
  resolveSettings,
  toView,
} from "./endpoint-settings.ts";
import { getTenant } from "./tenants.ts";

export { type TestCallResult, previewEndpoint, testEndpoint } from "./endpoint-calls.ts";
export { ROTATION_OVERLAP_MS, type RotationResult, getEndpointSecret, getPublicKey, rotateSecret } from "./endpoint-secrets.ts";

export const MAX_URL_LENGTH = 2048;
export const MAX_ENDPOINTS_PER_TENANT = 100;

export interface EndpointInput extends SettingsInput {
  url: string;
  name?: string | null;
  description?: string | null;
  eventTypes: string[];
  enabled?: boolean;
  secret?: string;
  fallbackEndpointId?: string | null;
}

export type EndpointPatch = Partial<EndpointInput>;

/**
 * Status precedence: disabled > pending_validation | validation_failed > failing > active.
 * failing: the circuit is open (nothing is sent until its cool-down ends) or probing, or the
 * latest attempts failed in a row (health.status failing).
 */
export function endpointStatus(e: Endpoint): EndpointStatus {
  if (!e.enabled) return "disabled";
  if (e.validationStatus === "pending") return "pending_validation";
  if (e.validationStatus === "failed") return "validation_failed";
  if (e.health && (e.health.circuit !== "closed" || e.health.status === "failing")) return "failing";
  return "active";
}

/** Fills in each endpoint's health (one query for all of them); returns them for chaining. */
export async function withHealth<T extends Endpoint | Endpoint[]>(d: ServiceDeps, tenantId: string, endpoints: T): Promise<T> {
  const list = Array.isArray(endpoints) ? endpoints : [endpoints];
  const found = await d.store.getEndpointHealth(
    tenantId,
    list.map((e) => e.id),
  );
  const now = d.now();
  const policy = healthPolicy(d.config);
  for (const e of list) e.health = healthView(found.get(e.id) ?? null, now, policy);
  return endpoints;
}

/** Settings that are allowed but weaken the receiver's guarantees, plus certificate problems. */
export function endpointWarnings(e: Endpoint, now: number): string[] {
  return [...settingsWarnings(e.settings), ...certificateWarnings(e.settings, now)];
}

function checkUrl(d: ServiceDeps, raw: string): string {
  if (raw.length > MAX_URL_LENGTH) throw invalid("/url", `must be at most ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid("/url", "is not a valid absolute URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw invalid("/url", "must use http or https");
  if (url.username || url.password) throw invalid("/url", "must not carry credentials (use auth)");
  if (url.hash) throw invalid("/url", "must not have a #fragment");
  const refused = destinationPolicy(d.config).refuseLiteral(url.hostname);
  if (refused) {
    throw invalid(
      "/url",
      `${refused}: deliveries to private, loopback and other non-global addresses are refused (allow them with TOCSIN_ALLOWED_CIDRS, or TOCSIN_ALLOW_PRIVATE_NETWORKS=true for development)`,
    );
  }
  return url.href;
}

/**
 * A fallback must be another endpoint of the same tenant. An id of another tenant's endpoint is
 * answered exactly as an unknown one, so that nothing is learnt about other tenants.
 */
async function checkFallback(d: ServiceDeps, tenantId: string, selfId: string | null, value: string | null): Promise<string | null> {
  if (value === null) return null;
  if (value === selfId) throw invalid("/fallbackEndpointId", "must be another endpoint: an endpoint cannot be its own fallback");
  if (!(await d.store.getEndpoint(tenantId, value))) throw invalid("/fallbackEndpointId", `no endpoint ${value} in this tenant`);
  return value;
}

function logWarnings(d: ServiceDeps, e: Endpoint): void {
  const warnings = endpointWarnings(e, d.now());
  if (warnings.length) d.logger.warn({ tenant: e.tenantId, endpoint: e.id, warnings }, "endpoint saved with weakened security");
}

export async function createEndpoint(d: ServiceDeps, tenantId: string, input: EndpointInput): Promise<Endpoint> {
  await getTenant(d, tenantId);
  const url = checkUrl(d, input.url);
  const r = resolveSettings(initialView(d.config), input, d.config);
  const secret = initialSecret(r.settings.signing, input.secret);
  const fallbackEndpointId = await checkFallback(d, tenantId, null, input.fallbackEndpointId ?? null);
  if ((await d.store.countEndpoints(tenantId)) >= MAX_ENDPOINTS_PER_TENANT) {
    throw new ApiError(409, "conflict", `tenant ${tenantId} already has the maximum of ${MAX_ENDPOINTS_PER_TENANT} endpoints`);
  }
  const e = await d.store.createEndpoint(
    {
      id: newId("ep"),
      tenantId,
      url,
      name: input.name ?? null,
      description: input.description ?? null,
      eventTypes: [...new Set(input.eventTypes)],
      enabled: input.enabled ?? true,
      secretEnc: d.secretBox.encrypt(secret),
      settings: r.settings,
      minSeverity: r.minSeverity,
      credentialsEnc: encryptCredentials(d, r.credentials),
      validationStatus: r.settings.validation.mode === "none" ? "none" : "pending",
      fallbackEndpointId,
    },
    d.now(),
  );
  logWarnings(d, e);
  if (e.validationStatus === "pending") scheduleValidation(d, e);
  return e;
}

export async function getEndpoint(d: ServiceDeps, tenantId: string, id: string): Promise<Endpoint> {
  const e = await d.store.getEndpoint(tenantId, id);
  if (!e) throw notFound("endpoint", id);
  return e;
}

export async function listEndpoints(d: ServiceDeps, tenantId: string, page: Page): Promise<PageResult<Endpoint>> {
  await getTenant(d, tenantId);
  return d.store.listEndpoints(tenantId, page);
}

const SETTING_KEYS = [
  "method",
  "headers",
  "auth",
  "tls",
  "timeouts",
  "signing",
  "validation",
  "format",
  "lifecycle",
  "batch",
  "rateLimit",
  "retry",
  "proxy",
  "filter",
  "tracing",
  "flapping",
  "digest",
  "minSeverity",
] as const;

export interface UpdateResult {
  endpoint: Endpoint;
  /** Credentials the move to another origin cleared and the request did not set again. */
  cleared: ClearedSetting[];
}

export async function updateEndpoint(d: ServiceDeps, tenantId: string, id: string, patch: EndpointPatch): Promise<UpdateResult> {
  const { endpoint: current, secrets } = await getWithSecrets(d, tenantId, id);
  const c: EndpointChanges = {};
  if (patch.url !== undefined) c.url = checkUrl(d, patch.url);
  if (patch.name !== undefined) c.name = patch.name;
  if (patch.description !== undefined) c.description = patch.description;
  if (patch.eventTypes !== undefined) c.eventTypes = [...new Set(patch.eventTypes)];
  if (patch.fallbackEndpointId !== undefined) c.fallbackEndpointId = await checkFallback(d, tenantId, id, patch.fallbackEndpointId);
  // Credentials belong to a destination: another scheme, host or port does not inherit them.
  const newOrigin = c.url !== undefined && new URL(c.url).origin !== new URL(current.url).origin ? new URL(c.url).origin : null;
  const touchesSettings = newOrigin !== null || SETTING_KEYS.some((k) => patch[k] !== undefined);
  let settings = current.settings;
  let cleared: ClearedSetting[] = [];
  if (touchesSettings || patch.secret !== undefined) {
    const plain = decryptSecrets(d, secrets);
    let base = toView(current.settings, plain.credentials, current.minSeverity);
    if (newOrigin !== null) ({ base, cleared } = baseForNewOrigin(base, patch));
    const r = resolveSettingsFor(newOrigin, base, patch, d.config);
    settings = r.settings;
    // The secret stays when the scheme changes, so it must suit the new scheme.
    if (patch.secret !== undefined) {
      // A secret set by PATCH applies at once: an earlier rotation's previous secret stops signing too.
      Object.assign(c, {
        secretEnc: d.secretBox.encrypt(checkSecretForScheme(patch.secret, settings.signing)),
        previousSecretEnc: null,
        previousSecretExpiresAt: null,
      });
    } else Object.assign(c, secretForSchemeChange(d, current.settings.signing, settings.signing, plain.secret));
    if (touchesSettings) {
      c.settings = r.settings;
      c.minSeverity = r.minSeverity;
      c.credentialsEnc = encryptCredentials(d, r.credentials);
    }
  }
  if (patch.enabled !== undefined && patch.enabled !== current.enabled) {
    c.enabled = patch.enabled;
    c.disabledReason = patch.enabled ? null : "manual";
  }
  // A new URL or validation setting means a new validation (mon1tor re-validates on every change of URL).
  const v = settings.validation;
  if (v.mode === "none") {
    if (current.validationStatus !== "none") Object.assign(c, { validationStatus: "none", validationError: null, validatedAt: null });
  } else if (
    current.validationStatus === "none" ||
    (c.url !== undefined && c.url !== current.url) ||
    v.mode !== current.settings.validation.mode ||
    v.method !== current.settings.validation.method
  ) {
    Object.assign(c, { validationStatus: "pending", validationError: null, validatedAt: null });
  }
  const e = await d.store.updateEndpoint(tenantId, id, c, d.now());
  if (!e) throw notFound("endpoint", id);
  if (cleared.length)
    d.logger.info(
      { tenant: tenantId, endpoint: id, origin: newOrigin, cleared },
      "endpoint moved to another origin: the old origin's credentials were cleared",
    );
  if (touchesSettings) logWarnings(d, e);
  if (c.validationStatus === "pending") scheduleValidation(d, e);
  // Re-enabling releases the deliveries that waited while it was disabled.
  if (c.enabled) d.wake();
  return { endpoint: e, cleared };
}

const CREDENTIAL_PATHS = new Set(["/auth/password", "/auth/token", "/tls/clientKey"]);

/** resolveSettings; on a move, a missing credential's error says why the stored one was not used. */
function resolveSettingsFor(newOrigin: string | null, base: SettingsView, patch: EndpointPatch, limits: TimeoutLimits): ResolvedSettings {
  try {
    return resolveSettings(base, patch, limits);
  } catch (err) {
    const e = err instanceof ApiError ? err.errors?.[0] : undefined;
    if (newOrigin === null || !e || !CREDENTIAL_PATHS.has(e.path)) throw err;
    throw invalid(e.path, `${e.message}: the stored one is not sent to another origin (${newOrigin}); give it again in the same request`);
  }
}

export async function deleteEndpoint(d: ServiceDeps, tenantId: string, id: string): Promise<void> {
  if (!(await d.store.deleteEndpoint(tenantId, id, d.now()))) throw notFound("endpoint", id);
}

const inFlightValidations = new Set<string>();

/** Runs an endpoint's validation in the background; the result lands in its `status`. */
export function scheduleValidation(d: ServiceDeps, e: Endpoint): void {
  const key = `${e.id}:${e.version}`;
  if (inFlightValidations.has(key)) return;
  inFlightValidations.add(key);
  void validateEndpoint(d, e.tenantId, e.id)
    .catch((err: unknown) => d.logger.error({ err, tenant: e.tenantId, endpoint: e.id }, "endpoint validation could not run"))
    .finally(() => inFlightValidations.delete(key));
}

/** The URL a token-path validation calls: the token appended as one more path segment. */
export function tokenPathUrl(url: string, token: string): string {
  const u = new URL(url);
  u.pathname = `${u.pathname.endsWith("/") ? u.pathname : `${u.pathname}/`}${token}`;
  return u.href;
}

/**
 * Validates the endpoint now (mon1tor's token path, or a signed challenge that must be echoed)
 * and records `passed` or `failed` with the reason. Deliveries wait until it passes.
 */
export async function validateEndpoint(d: ServiceDeps, tenantId: string, id: string): Promise<{ endpoint: Endpoint; result: TestCallResult }> {
  const { endpoint, profile } = await profileOf(d, tenantId, id);
  const v = endpoint.settings.validation;
  if (v.mode === "none") throw new ApiError(409, "conflict", `endpoint ${id} has validation.mode none: there is nothing to validate`);
  if (endpoint.validationStatus !== "pending") await d.store.setValidationResult(tenantId, id, endpoint.version, "pending", null, d.now());
  const now = d.now();
  const token = randomBytes(16).toString("hex");
  const msg = { id: newId("msg", now), timestampSec: Math.floor(now / 1000) };
  let req: OutgoingRequest;
  if (v.mode === "token-path") {
    const body = JSON.stringify({ type: "tocsin.endpoint.validation", token });
    req = buildRequest(profile, { ...msg, body }, now, tokenPathUrl(endpoint.url, token), v.method);
  } else {
    const body = JSON.stringify({ type: "tocsin.endpoint.challenge", challenge: token });
    req = buildRequest(profile, { ...msg, body }, now, endpoint.url, "POST");
  }
  const result = await sendAndReport(d, req);
  let error: string | null = null;
  if (result.error) error = `${result.error.class}: ${result.error.message}`;
  else if (v.mode === "challenge" && !echoesChallenge(result.response!.body, token)) {
    error = `the response body must be {"challenge":"${token}"} or the bare challenge; got ${JSON.stringify(result.response!.body.slice(0, 200))}`;
  }
  const status = error === null ? "passed" : "failed";
  const recorded = await d.store.setValidationResult(tenantId, id, endpoint.version, status, error, d.now());
  if (recorded) {
    d.logger.info({ tenant: tenantId, endpoint: id, mode: v.mode, status, error }, `endpoint validation ${status}`);
    if (status === "passed") d.wake();
  }
  return { endpoint: await getEndpoint(d, tenantId, id), result };
}

function echoesChallenge(body: string, challenge: string): boolean {
  if (body.trim() === challenge) return true;
  try {
    const parsed = JSON.parse(body) as unknown;
    return typeof parsed === "object" && parsed !== null && (parsed as { challenge?: unknown }).challenge === challenge;
  } catch {
    return false;
  }
}

/** Resumes validations that a stopped process left pending. */
export async function resumePendingValidations(d: ServiceDeps): Promise<number> {
  const pending = await d.store.listPendingValidation(1000);
  for (const e of pending) scheduleValidation(d, e);
  return pending.length;
}
