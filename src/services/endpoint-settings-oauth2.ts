// auth.type oauth2: the checks of the client-credentials settings (RFC 6749 §4.4); each error names its field.
import { type Cidr, type DestinationPolicy, createDestinationPolicy } from "../core/addresses.ts";
import { invalid } from "../core/errors.ts";
import type { EndpointCredentials, OAuth2Settings } from "../core/types.ts";
import { str } from "./endpoint-settings-fields.ts";

export const MAX_TOKEN_URL_LENGTH = 2048;
export const MAX_SCOPES = 32;
export const MAX_EXTRA_PARAMS = 16;

/** Form parameters the token request sets itself: extraParams may not replace them. */
export const RESERVED_PARAMS = ["grant_type", "client_id", "client_secret", "scope", "audience"] as const;

/** Where deliveries may go, as far as saving a token URL needs to know (the server's configuration). */
export interface TokenUrlPolicy {
  allowPrivateNetworks?: boolean;
  allowedCidrs?: readonly Cidr[];
}

const policies = new WeakMap<TokenUrlPolicy, DestinationPolicy>();

function policyOf(p: TokenUrlPolicy): DestinationPolicy {
  let d = policies.get(p);
  if (!d) {
    d = createDestinationPolicy(p.allowPrivateNetworks ?? false, p.allowedCidrs ?? []);
    policies.set(p, d);
  }
  return d;
}

// Visible characters and spaces; no control characters (they would end up in a form or a header).
// eslint-disable-next-line no-control-regex
const PRINTABLE = /^[^\0-\x1f\x7f]*$/;
// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const PARAM_NAME = /^[A-Za-z0-9_.~-]+$/;

/** The token URL: http or https like the endpoint's URL, no credentials or fragment, not a refused literal address. */
function checkTokenUrl(v: unknown, policy: TokenUrlPolicy): string {
  const path = "/auth/tokenUrl";
  if (v === undefined || v === null) throw invalid(path, "is required for oauth2 auth");
  const raw = str(v, path, { min: 1, max: MAX_TOKEN_URL_LENGTH });
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid(path, "is not a valid absolute URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw invalid(path, "must use http or https");
  if (url.username || url.password) throw invalid(path, "must not carry credentials (use clientId and clientSecret)");
  if (url.hash) throw invalid(path, "must not have a #fragment");
  const refused = policyOf(policy).refuseLiteral(url.hostname);
  if (refused) {
    throw invalid(
      path,
      `${refused}: token requests to private, loopback and other non-global addresses are refused like deliveries (allow them with TOCSIN_ALLOWED_CIDRS, or TOCSIN_ALLOW_PRIVATE_NETWORKS=true for development)`,
    );
  }
  return url.href;
}

function checkScopes(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw invalid("/auth/scopes", "must be an array of strings");
  if (v.length > MAX_SCOPES) throw invalid("/auth/scopes", `must have at most ${MAX_SCOPES} scopes`);
  return v.map((s, i) =>
    str(s, `/auth/scopes/${i}`, {
      min: 1,
      max: 256,
      pattern: SCOPE_TOKEN,
      what: "must be printable ASCII without spaces, quotes or backslashes (RFC 6749 §3.3)",
    }),
  );
}

function checkExtraParams(v: unknown): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== "object" || Array.isArray(v)) throw invalid("/auth/extraParams", "must be an object of strings");
  const out: Record<string, string> = {};
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== null);
  if (entries.length > MAX_EXTRA_PARAMS) throw invalid("/auth/extraParams", `must have at most ${MAX_EXTRA_PARAMS} parameters`);
  for (const [name, value] of entries) {
    const path = `/auth/extraParams/${name}`;
    if (!PARAM_NAME.test(name) || name.length > 64) throw invalid(path, "names must be 1 to 64 letters, digits, _ . ~ or -");
    if ((RESERVED_PARAMS as readonly string[]).includes(name)) {
      throw invalid(path, `is set by Tocsin (${RESERVED_PARAMS.join(", ")} are not allowed here: use clientId, clientSecret, scopes and audience)`);
    }
    out[name] = str(value, path, { max: 1024, pattern: PRINTABLE, what: "must not contain control characters" });
  }
  return out;
}

/**
 * Checks `a`, the merged auth member with type oauth2, and puts the client secret in
 * `credentials`. `before` is the stored auth (null on create): a client secret is never sent to a
 * token URL it was not given for, so changing tokenUrl needs clientSecret in the same request
 * (`given` is the auth member the request itself carried).
 */
export function checkOAuth2(
  a: Record<string, unknown>,
  credentials: EndpointCredentials,
  before: { type: string; tokenUrl?: unknown } | null,
  given: unknown,
  policy: TokenUrlPolicy,
): OAuth2Settings {
  const tokenUrl = checkTokenUrl(a.tokenUrl, policy);
  if (a.clientId === undefined || a.clientId === null) throw invalid("/auth/clientId", "is required for oauth2 auth");
  const clientId = str(a.clientId, "/auth/clientId", { min: 1, max: 256, pattern: PRINTABLE, what: "must not contain control characters" });
  if (a.clientSecret === undefined || a.clientSecret === null) throw invalid("/auth/clientSecret", "is required for oauth2 auth");
  const sentAgain = given !== null && typeof given === "object" && (given as Record<string, unknown>).clientSecret !== undefined;
  if (before?.type === "oauth2" && typeof before.tokenUrl === "string" && before.tokenUrl !== tokenUrl && !sentAgain) {
    throw invalid(
      "/auth/clientSecret",
      "is required when tokenUrl changes: the stored secret is not sent to another token URL; give it again in the same request",
    );
  }
  credentials.clientSecret = str(a.clientSecret, "/auth/clientSecret", { min: 1, max: 1024, pattern: PRINTABLE, what: "must not contain control characters" });
  const audience =
    a.audience === undefined || a.audience === null
      ? null
      : str(a.audience, "/auth/audience", { min: 1, max: 1024, pattern: PRINTABLE, what: "must not contain control characters" });
  const clientAuth = a.clientAuth ?? "basic";
  if (clientAuth !== "basic" && clientAuth !== "post") throw invalid("/auth/clientAuth", "must be basic (client_secret_basic) or post (client_secret_post)");
  return { type: "oauth2", tokenUrl, clientId, scopes: checkScopes(a.scopes), audience, extraParams: checkExtraParams(a.extraParams), clientAuth };
}
