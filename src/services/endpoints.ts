import { randomBytes } from "node:crypto";
import { destinationPolicy, healthPolicy } from "../config-policies.ts";
import { healthView } from "../core/health.ts";
import { settingsWarnings } from "../core/endpoint-settings.ts";
import { ApiError, invalid, notFound } from "../core/errors.ts";
import { newId } from "../core/ids.ts";
import type { Endpoint, EndpointCredentials, EndpointStatus } from "../core/types.ts";
import { type EndpointProfile, type PlainSecrets, type ShapedEvent, buildRequest, compileProfile, redactedHeaders, shapeBody } from "../delivery/request.ts";
import { TransformError } from "../delivery/transform.ts";
import type { OutgoingRequest } from "../delivery/sender.ts";
import { allowsSignatureList } from "../signing/schemes.ts";
import { generateSecret } from "../signing/standard.ts";
import type { EndpointChanges, EndpointSecrets, Page, PageResult } from "../store/store.ts";
import type { ServiceDeps } from "./deps.ts";
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

export const MAX_URL_LENGTH = 2048;
export const MAX_ENDPOINTS_PER_TENANT = 100;
/** How long a rotated-out secret keeps signing alongside the new one. */
export const ROTATION_OVERLAP_MS = 24 * 3600_000;

export interface EndpointInput extends SettingsInput {
  url: string;
  name?: string | null;
  description?: string | null;
  eventTypes: string[];
  enabled?: boolean;
  secret?: string;
}

export type EndpointPatch = Partial<EndpointInput>;

/**
 * Status precedence: disabled > pending_validation | validation_failed > failing > active.
 * failing: the circuit is open (nothing is sent until its cool-down ends) or probing.
 */
export function endpointStatus(e: Endpoint): EndpointStatus {
  if (!e.enabled) return "disabled";
  if (e.validationStatus === "pending") return "pending_validation";
  if (e.validationStatus === "failed") return "validation_failed";
  if (e.health && e.health.circuit !== "closed") return "failing";
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

const encryptCredentials = (d: ServiceDeps, c: EndpointCredentials): string | null =>
  Object.keys(c).length === 0 ? null : d.secretBox.encrypt(JSON.stringify(c));

function decryptSecrets(d: ServiceDeps, s: EndpointSecrets): PlainSecrets {
  return {
    secret: d.secretBox.decrypt(s.secretEnc),
    previousSecret: s.previousSecretEnc === null ? null : d.secretBox.decrypt(s.previousSecretEnc),
    credentials: s.credentialsEnc === null ? {} : (JSON.parse(d.secretBox.decrypt(s.credentialsEnc)) as EndpointCredentials),
  };
}

function logWarnings(d: ServiceDeps, e: Endpoint): void {
  const warnings = endpointWarnings(e, d.now());
  if (warnings.length) d.logger.warn({ tenant: e.tenantId, endpoint: e.id, warnings }, "endpoint saved with weakened security");
}

export async function createEndpoint(d: ServiceDeps, tenantId: string, input: EndpointInput): Promise<Endpoint> {
  await getTenant(d, tenantId);
  const url = checkUrl(d, input.url);
  const r = resolveSettings(initialView(d.config), input, d.config);
  const secret = input.secret === undefined ? generateSecret() : checkSecretForScheme(input.secret, r.settings.signing);
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

async function getWithSecrets(d: ServiceDeps, tenantId: string, id: string): Promise<{ endpoint: Endpoint; secrets: EndpointSecrets }> {
  const [endpoint, secrets] = await Promise.all([d.store.getEndpoint(tenantId, id), d.store.getEndpointSecrets(tenantId, id)]);
  if (!endpoint || !secrets) throw notFound("endpoint", id);
  return { endpoint, secrets };
}

export async function listEndpoints(d: ServiceDeps, tenantId: string, page: Page): Promise<PageResult<Endpoint>> {
  await getTenant(d, tenantId);
  return d.store.listEndpoints(tenantId, page);
}

const SETTING_KEYS = ["method", "headers", "auth", "tls", "timeouts", "signing", "validation", "format", "lifecycle", "batch", "rateLimit", "minSeverity"] as const;

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
      Object.assign(c, { secretEnc: d.secretBox.encrypt(checkSecretForScheme(patch.secret, settings.signing)), previousSecretEnc: null, previousSecretExpiresAt: null });
    } else checkSecretForScheme(plain.secret, settings.signing, "/signing/scheme");
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
  } else if (current.validationStatus === "none" || (c.url !== undefined && c.url !== current.url) || v.mode !== current.settings.validation.mode || v.method !== current.settings.validation.method) {
    Object.assign(c, { validationStatus: "pending", validationError: null, validatedAt: null });
  }
  const e = await d.store.updateEndpoint(tenantId, id, c, d.now());
  if (!e) throw notFound("endpoint", id);
  if (cleared.length) d.logger.info({ tenant: tenantId, endpoint: id, origin: newOrigin, cleared }, "endpoint moved to another origin: the old origin's credentials were cleared");
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

export async function getEndpointSecret(d: ServiceDeps, tenantId: string, id: string): Promise<string> {
  const s = await d.store.getEndpointSecrets(tenantId, id);
  if (s === null) throw notFound("endpoint", id);
  return d.secretBox.decrypt(s.secretEnc);
}

export interface RotationResult {
  secret: string;
  /** Until when deliveries also carry the previous secret's signature; null: they switched at once. */
  previousSecretExpiresAt: number | null;
  overlap: boolean;
  detail: string;
}

/**
 * Issues a new signing secret. Where the scheme's header can hold several signatures, the previous
 * secret keeps signing alongside for `ROTATION_OVERLAP_MS`, so receivers can switch at leisure.
 */
export async function rotateSecret(d: ServiceDeps, tenantId: string, id: string, input: { secret?: string }): Promise<RotationResult> {
  const { endpoint, secrets } = await getWithSecrets(d, tenantId, id);
  const signing = endpoint.settings.signing;
  const secret = input.secret === undefined ? generateSecret() : checkSecretForScheme(input.secret, signing);
  const overlap = allowsSignatureList(signing);
  const until = overlap ? d.now() + ROTATION_OVERLAP_MS : null;
  const updated = await d.store.updateEndpoint(
    tenantId,
    id,
    { secretEnc: d.secretBox.encrypt(secret), previousSecretEnc: overlap ? secrets.secretEnc : null, previousSecretExpiresAt: until },
    d.now(),
  );
  if (!updated) throw notFound("endpoint", id);
  const detail = overlap
    ? `deliveries carry signatures for both the new and the previous secret until ${new Date(until!).toISOString()}`
    : signing.scheme === "hmac-sha256"
      ? `the ${signing.header} header holds a single signature, so deliveries are signed with the new secret only, from now on`
      : "signing.scheme is none: deliveries are not signed; the new secret applies if signing is turned on";
  d.logger.info({ tenant: tenantId, endpoint: id, overlap }, "endpoint secret rotated");
  return { secret, previousSecretExpiresAt: until, overlap, detail };
}

async function profileOf(d: ServiceDeps, tenantId: string, id: string): Promise<{ endpoint: Endpoint; profile: EndpointProfile }> {
  const { endpoint, secrets } = await getWithSecrets(d, tenantId, id);
  return { endpoint, profile: compileProfile(endpoint, decryptSecrets(d, secrets), d.userAgent) };
}

export interface TestCallResult {
  request: { method: string; url: string; headers: Record<string, string>; body: string | null };
  response: { status: number; headers: Record<string, string>; body: string } | null;
  error: { class: string; message: string } | null;
  durationMs: number;
}

async function sendAndReport(d: ServiceDeps, req: OutgoingRequest): Promise<TestCallResult> {
  const r = await d.sender.send(req);
  const transportError = r.statusCode === null;
  return {
    request: { method: req.method, url: req.url, headers: redactedHeaders(req.headers), body: req.body },
    response: transportError ? null : { status: r.statusCode!, headers: r.headers ?? {}, body: r.body ?? "" },
    error: r.errorClass === null ? null : { class: r.errorClass, message: r.errorMessage ?? "" },
    durationMs: r.durationMs,
  };
}

/**
 * The Test button: sends an event type's example (or a small built-in payload) through the
 * endpoint's real settings, now, outside the delivery queue, and reports what happened.
 */
export async function testEndpoint(d: ServiceDeps, tenantId: string, id: string, input: { eventType?: string }): Promise<TestCallResult> {
  const { profile } = await profileOf(d, tenantId, id);
  const now = d.now();
  const body = await shapeExample(d, profile, await exampleEvent(d, input, now), tenantId);
  return sendAndReport(d, buildRequest(profile, { id: newId("msg", now), timestampSec: Math.floor(now / 1000), body }, now));
}

/** An example event: the given payload, else the event type's catalog example, else a built-in one. */
async function exampleEvent(d: ServiceDeps, input: { eventType?: string; payload?: unknown }, now: number): Promise<ShapedEvent> {
  const type = input.eventType ?? "tocsin.test";
  if (input.payload !== undefined) return { type, createdAt: now, payload: JSON.stringify(input.payload) };
  if (input.eventType !== undefined) {
    const t = await d.store.getEventType(input.eventType);
    if (!t) throw notFound("event type", input.eventType);
    if (t.example !== null && t.example !== undefined) return { type, createdAt: now, payload: JSON.stringify(t.example) };
  }
  const payload = JSON.stringify({ type, message: "Test delivery from Tocsin: your endpoint is reachable.", timestamp: new Date(now).toISOString() });
  return { type, createdAt: now, payload };
}

async function shapeExample(d: ServiceDeps, profile: EndpointProfile, e: ShapedEvent, tenantId: string): Promise<string> {
  try {
    return await shapeBody(
      profile.shaping,
      { ...e, id: newId("msg", e.createdAt), tenantId, severity: null, fingerprint: null, state: null, startedAt: e.createdAt, updateCount: 0 },
      d.config.maxPayloadBytes * 4,
    );
  } catch (err) {
    if (err instanceof TransformError) throw invalid("/format/transform", err.message);
    throw err;
  }
}

/** The exact body (and content type) the endpoint would receive for an example event; nothing is sent. */
export async function previewEndpoint(
  d: ServiceDeps,
  tenantId: string,
  id: string,
  input: { eventType?: string; payload?: unknown },
): Promise<{ contentType: string; body: string }> {
  const { profile } = await profileOf(d, tenantId, id);
  const body = await shapeExample(d, profile, await exampleEvent(d, input, d.now()), tenantId);
  const contentType = profile.headers.find(([k]) => k.toLowerCase() === "content-type")?.[1] ?? "application/json";
  return { contentType, body };
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
