import { checkLiteralHost } from "../core/addresses.ts";
import { ApiError, invalid, notFound } from "../core/errors.ts";
import { newId } from "../core/ids.ts";
import type { Endpoint, EndpointStatus } from "../core/types.ts";
import { generateSecret, isValidSecret } from "../signing/standard.ts";
import type { EndpointChanges, Page, PageResult } from "../store/store.ts";
import type { ServiceDeps } from "./deps.ts";
import { getTenant } from "./tenants.ts";

export const MAX_URL_LENGTH = 2048;
export const MAX_ENDPOINTS_PER_TENANT = 100;

export interface EndpointInput {
  url: string;
  name?: string | null;
  description?: string | null;
  eventTypes: string[];
  enabled?: boolean;
  secret?: string;
}

export type EndpointPatch = Partial<Omit<EndpointInput, "secret">> & { secret?: string };

/** Status precedence: disabled > pending_validation | validation_failed > failing > active. */
export function endpointStatus(e: Endpoint): EndpointStatus {
  if (!e.enabled) return "disabled";
  return "active";
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
  if (url.username || url.password) throw invalid("/url", "must not carry credentials");
  if (url.hash) throw invalid("/url", "must not have a #fragment");
  if (!d.config.allowPrivateNetworks) {
    const refused = checkLiteralHost(url.hostname);
    if (refused) {
      throw invalid("/url", `${refused}: deliveries to private, loopback and other non-global addresses are refused (set TOCSIN_ALLOW_PRIVATE_NETWORKS=true for development)`);
    }
  }
  return url.href;
}

function checkSecret(secret: string): string {
  if (!isValidSecret(secret)) throw invalid("/secret", "must be whsec_ followed by base64 of 24 to 64 bytes");
  return secret;
}

export async function createEndpoint(d: ServiceDeps, tenantId: string, input: EndpointInput): Promise<Endpoint> {
  await getTenant(d, tenantId);
  const url = checkUrl(d, input.url);
  if ((await d.store.countEndpoints(tenantId)) >= MAX_ENDPOINTS_PER_TENANT) {
    throw new ApiError(409, "conflict", `tenant ${tenantId} already has the maximum of ${MAX_ENDPOINTS_PER_TENANT} endpoints`);
  }
  const secret = input.secret === undefined ? generateSecret() : checkSecret(input.secret);
  return d.store.createEndpoint(
    {
      id: newId("ep"),
      tenantId,
      url,
      name: input.name ?? null,
      description: input.description ?? null,
      eventTypes: [...new Set(input.eventTypes)],
      enabled: input.enabled ?? true,
      secretEnc: d.secretBox.encrypt(secret),
    },
    d.now(),
  );
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

export async function updateEndpoint(d: ServiceDeps, tenantId: string, id: string, patch: EndpointPatch): Promise<Endpoint> {
  const current = await getEndpoint(d, tenantId, id);
  const c: EndpointChanges = {};
  if (patch.url !== undefined) c.url = checkUrl(d, patch.url);
  if (patch.name !== undefined) c.name = patch.name;
  if (patch.description !== undefined) c.description = patch.description;
  if (patch.eventTypes !== undefined) c.eventTypes = [...new Set(patch.eventTypes)];
  if (patch.secret !== undefined) c.secretEnc = d.secretBox.encrypt(checkSecret(patch.secret));
  if (patch.enabled !== undefined && patch.enabled !== current.enabled) {
    c.enabled = patch.enabled;
    c.disabledReason = patch.enabled ? null : "manual";
  }
  const e = await d.store.updateEndpoint(tenantId, id, c, d.now());
  if (!e) throw notFound("endpoint", id);
  // Re-enabling releases the deliveries that waited while it was disabled.
  if (c.enabled) d.wake();
  return e;
}

export async function deleteEndpoint(d: ServiceDeps, tenantId: string, id: string): Promise<void> {
  if (!(await d.store.deleteEndpoint(tenantId, id, d.now()))) throw notFound("endpoint", id);
}

export async function getEndpointSecret(d: ServiceDeps, tenantId: string, id: string): Promise<string> {
  const enc = await d.store.getEndpointSecret(tenantId, id);
  if (enc === null) throw notFound("endpoint", id);
  return d.secretBox.decrypt(enc);
}
