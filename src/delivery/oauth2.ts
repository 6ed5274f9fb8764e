import { coerceError } from "../core/errors.ts";
import type { SecretBox } from "../core/secret-box.ts";
import type { OAuth2Settings, SendResult } from "../core/types.ts";
import type { Transport } from "./transport.ts";

/**
 * OAuth2 client credentials (RFC 6749 §4.4) for endpoints with auth.type oauth2: the token
 * request, the per-process token cache (shared between processes through the store, the token
 * encrypted), and sending with a token (one refresh on a 401). Tokens and client secrets are
 * never logged, never recorded in an attempt (its authorization header is redacted), and never
 * stored unencrypted.
 */

/** A token without expires_in is used for this long. */
export const DEFAULT_TOKEN_LIFETIME_MS = 5 * 60_000;
/** Longest a token is used, whatever expires_in says. */
export const MAX_TOKEN_LIFETIME_MS = 24 * 3600_000;
/** A token is replaced this much before it expires: 10 % of its lifetime, at most a minute. */
export const refreshMarginMs = (lifetimeMs: number): number => Math.min(60_000, Math.round(lifetimeMs / 10));
const MAX_ACCESS_TOKEN_LENGTH = 8192;
/** A token request's connect and response timeouts: the endpoint's, at most this (it comes on top of the delivery's). */
export const MAX_TOKEN_TIMEOUT_MS = 10_000;
/** Endpoints whose tokens are kept; past this, the cache is emptied (the next attempts fetch again). */
const MAX_ENTRIES = 10_000;

/** How to get a token for one version of an endpoint, compiled once per version (see compileProfile). */
export interface OAuth2Client {
  endpointId: string;
  version: number;
  tokenUrl: string;
  /** The token request's form body. */
  form: string;
  /** The token request's headers (HTTP Basic client authentication unless clientAuth is post). */
  headers: Record<string, string>;
  /** Cut out of any message the token endpoint sends back, should it echo it. */
  clientSecret: string;
  transport: Transport;
}

/** A token request that failed: the attempt's error class `oauth2`. The message never holds a secret. */
export class OAuth2Error extends Error {}

/** application/x-www-form-urlencoded, as RFC 6749 §2.3.1 asks for the client id and secret before Basic encoding. */
const formEncode = (s: string): string => new URLSearchParams([["", s]]).toString().slice(1);

export function compileOAuth2(
  endpointId: string,
  version: number,
  a: OAuth2Settings,
  clientSecret: string,
  timeouts: { connectMs: number; requestMs: number },
  userAgent: string,
): OAuth2Client {
  const form = new URLSearchParams({ grant_type: "client_credentials" });
  if (a.scopes.length > 0) form.set("scope", a.scopes.join(" "));
  if (a.audience !== null) form.set("audience", a.audience);
  for (const [k, v] of Object.entries(a.extraParams)) form.set(k, v);
  const headers: Record<string, string> = {
    "content-type": "application/x-www-form-urlencoded",
    accept: "application/json",
    "user-agent": userAgent,
  };
  if (a.clientAuth === "post") {
    form.set("client_id", a.clientId);
    form.set("client_secret", clientSecret);
  } else {
    headers.authorization = `Basic ${Buffer.from(`${formEncode(a.clientId)}:${formEncode(clientSecret)}`, "utf8").toString("base64")}`;
  }
  return {
    endpointId,
    version,
    tokenUrl: a.tokenUrl,
    form: form.toString(),
    headers,
    clientSecret,
    // The token endpoint gets the endpoint's timeouts (at most 10 s each) and the usual roots, in pools of its own.
    transport: {
      endpointId,
      poolKey: `oauth2 ${Math.min(timeouts.connectMs, MAX_TOKEN_TIMEOUT_MS)}`,
      connectTimeoutMs: Math.min(timeouts.connectMs, MAX_TOKEN_TIMEOUT_MS),
      requestTimeoutMs: Math.min(timeouts.requestMs, MAX_TOKEN_TIMEOUT_MS),
      cert: null,
      key: null,
      ca: null,
      skipVerify: false,
    },
  };
}

export interface Token {
  accessToken: string;
  lifetimeMs: number;
}

const clip = (s: string, max: number): string => {
  // eslint-disable-next-line no-control-regex
  const flat = s.replace(/[\x00-\x1f\x7f]+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
};

/** Reads a token response (RFC 6749 §5.1), or throws OAuth2Error saying what was wrong (§5.2's error code included). */
export function parseTokenResponse(r: SendResult, c: OAuth2Client): Token {
  const hide = (s: string) => (c.clientSecret.length >= 4 ? s.split(c.clientSecret).join("[redacted]") : s);
  if (r.statusCode === null) throw new OAuth2Error(hide(`token endpoint unreachable: ${r.errorClass ?? "connect"}: ${r.errorMessage ?? "request failed"}`));
  let doc: unknown;
  try {
    doc = JSON.parse(r.body ?? "");
  } catch {
    doc = undefined;
  }
  const o = doc !== null && typeof doc === "object" && !Array.isArray(doc) ? (doc as Record<string, unknown>) : null;
  if (r.statusCode < 200 || r.statusCode > 299) {
    const code = typeof o?.error === "string" ? ` ${clip(o.error, 100)}` : "";
    const description = typeof o?.error_description === "string" ? `: ${clip(o.error_description, 200)}` : "";
    throw new OAuth2Error(hide(`token endpoint answered HTTP ${r.statusCode}${code}${description}`));
  }
  if (o === null) throw new OAuth2Error(`token endpoint answered HTTP ${r.statusCode} without a JSON object (or over 16 KiB)`);
  const token = o.access_token;
  if (typeof token !== "string" || token.length === 0) throw new OAuth2Error(`token endpoint answered HTTP ${r.statusCode} without an access_token`);
  if (token.length > MAX_ACCESS_TOKEN_LENGTH || !/^[\x21-\x7e]+$/.test(token)) {
    throw new OAuth2Error(`token endpoint answered an access_token that cannot be sent (over ${MAX_ACCESS_TOKEN_LENGTH} characters, or not printable ASCII)`);
  }
  if (typeof o.token_type !== "string" || o.token_type.toLowerCase() !== "bearer") {
    throw new OAuth2Error(`token endpoint answered token_type ${JSON.stringify(clip(String(o.token_type), 40))}; only Bearer tokens can be sent`);
  }
  const e = typeof o.expires_in === "string" && /^\d{1,10}$/.test(o.expires_in) ? Number(o.expires_in) : o.expires_in;
  const lifetimeMs = typeof e === "number" && Number.isFinite(e) ? Math.min(Math.max(0, e * 1000), MAX_TOKEN_LIFETIME_MS) : DEFAULT_TOKEN_LIFETIME_MS;
  return { accessToken: token, lifetimeMs };
}

/** A token request, as the sender takes it. */
export interface TokenRequest {
  url: string;
  method: "POST";
  headers: Record<string, string>;
  body: string;
  transport: Transport;
  oauth2: null;
}

/** What sending with a token needs of a request (the sender's OutgoingRequest). */
interface WithHeaders {
  headers: Record<string, string>;
  oauth2?: OAuth2Client | null;
}

interface Entry {
  version: number;
  token: string | null;
  /** Until when the token is used; past it, the next attempt fetches a new one. */
  refreshAt: number;
  /** The one token request in flight for this endpoint version, shared by every attempt that waits. */
  pending: Promise<string> | null;
  /** A receiver refused this version's token: the next one is fetched, not read from the shared copy (which may be that very token). */
  refused: boolean;
}

/**
 * Tokens shared between the processes on one database (the store's meta table), so that workers
 * do not each fetch their own. Read only when a process has no token in memory, written after each
 * token request. Neither ever throws: a shared token that cannot be had is a token request.
 */
export interface SharedTokens {
  /** The endpoint version's shared token and until when it is used; null when there is none for this version (or it cannot be read). */
  read(c: OAuth2Client): Promise<{ token: string; refreshAt: number } | null>;
  /** Replaces the endpoint's shared token (best effort). */
  write(c: OAuth2Client, token: string, expiresAt: number, refreshAt: number): Promise<void>;
}

/** The meta key of an endpoint's shared token. */
export const sharedTokenKey = (endpointId: string): string => `oauth2:${endpointId}`;

/** The shared token as stored: the token itself only as the secret box's ciphertext. */
interface StoredToken {
  version: number;
  /** Epoch ms: when the token server said it expires. */
  expiresAt: number;
  /** Epoch ms: when it is replaced (refreshMarginMs before it expires). */
  refreshAt: number;
  /** The access token, encrypted with the master key like every secret at rest. */
  token: string;
}

/**
 * SharedTokens in the store's meta table, under `oauth2:<endpoint id>`, the token encrypted with
 * `box`. A value that cannot be read (another master key, damaged) counts as none. Store failures
 * are logged at debug level, once until the store answers again; they never fail an attempt.
 */
export function storeSharedTokens(
  store: { getMeta(key: string): Promise<string | null>; setMeta(key: string, value: string): Promise<void> },
  box: Pick<SecretBox, "encrypt" | "decrypt">,
  logger: { debug(o: object, msg: string): void },
): SharedTokens {
  let failing = false;
  const failed = (what: string, e: unknown) => {
    if (!failing) logger.debug({ err: coerceError(e).message }, `could not ${what} a shared OAuth2 token; tokens are fetched per process meanwhile`);
    failing = true;
  };
  return {
    async read(c) {
      let text: string | null;
      try {
        text = await store.getMeta(sharedTokenKey(c.endpointId));
        failing = false;
      } catch (e) {
        failed("read", e);
        return null;
      }
      if (text === null) return null;
      try {
        const s = JSON.parse(text) as Partial<StoredToken>;
        if (s.version !== c.version || typeof s.refreshAt !== "number" || typeof s.token !== "string") return null;
        return { token: box.decrypt(s.token), refreshAt: s.refreshAt };
      } catch {
        return null;
      }
    },
    async write(c, token, expiresAt, refreshAt) {
      try {
        const s: StoredToken = { version: c.version, expiresAt, refreshAt, token: box.encrypt(token) };
        await store.setMeta(sharedTokenKey(c.endpointId), JSON.stringify(s));
        failing = false;
      } catch (e) {
        failed("store", e);
      }
    },
  };
}

export interface TokenCache {
  /** The endpoint's cached token (a map lookup), or the one request in flight that fetches it. Rejects with OAuth2Error. */
  token(c: OAuth2Client): string | Promise<string>;
  /** Forgets `token` if it is still the endpoint's (a receiver refused it); the next token() fetches another. */
  drop(c: OAuth2Client, token: string): void;
  /** Endpoints with a token or a token request. */
  size(): number;
}

/**
 * Tokens per endpoint, kept in this process until shortly before they expire (refreshMarginMs).
 * An entry belongs to one endpoint version: a settings change brings a new version and so a new
 * token. Token requests go through `send`: the sender's pools, destination guard and timeouts.
 * With `shared`, a process without the token in memory first looks for one another process
 * fetched, and shares the tokens it fetches; a memory hit never touches it.
 */
export function createTokenCache(send: (req: TokenRequest) => Promise<SendResult>, now: () => number, shared?: SharedTokens): TokenCache {
  const entries = new Map<string, Entry>();

  async function request(c: OAuth2Client, entry: Entry, readShared: boolean): Promise<string> {
    if (readShared && shared !== undefined) {
      const s = await shared.read(c);
      if (s !== null && now() < s.refreshAt) {
        if (entries.get(c.endpointId) === entry) {
          entry.token = s.token;
          entry.refreshAt = s.refreshAt;
          entry.pending = null;
        }
        return s.token;
      }
    }
    const asked = now();
    const r = await send({ url: c.tokenUrl, method: "POST", headers: { ...c.headers }, body: c.form, transport: c.transport, oauth2: null });
    const t = parseTokenResponse(r, c);
    const expiresAt = asked + t.lifetimeMs;
    const refreshAt = expiresAt - refreshMarginMs(t.lifetimeMs);
    if (entries.get(c.endpointId) === entry) {
      entry.token = t.accessToken;
      entry.refreshAt = refreshAt;
      entry.pending = null;
      // Over the shared copy, whatever it holds (after a 401, the token the receiver refused).
      // Not awaited: the attempts that wait for the token do not wait for the store.
      if (shared !== undefined) void shared.write(c, t.accessToken, expiresAt, refreshAt);
    }
    return t.accessToken;
  }

  function fetchToken(c: OAuth2Client, readShared: boolean): Promise<string> {
    if (entries.size >= MAX_ENTRIES) entries.clear();
    const entry: Entry = { version: c.version, token: null, refreshAt: 0, pending: null, refused: false };
    entries.set(c.endpointId, entry);
    entry.pending = request(c, entry, readShared);
    // A failure is reported to the attempts that wait for it; no token is kept.
    entry.pending.catch(() => {
      if (entries.get(c.endpointId) === entry) entries.delete(c.endpointId);
    });
    return entry.pending;
  }

  return {
    token(c) {
      const e = entries.get(c.endpointId);
      if (e !== undefined && e.version === c.version) {
        if (e.token !== null && now() < e.refreshAt) return e.token;
        if (e.pending !== null) return e.pending;
      }
      return fetchToken(c, !(e !== undefined && e.version === c.version && e.refused));
    },
    drop(c, token) {
      const e = entries.get(c.endpointId);
      // Kept as a mark: the next token request skips the shared copy and replaces it.
      if (e !== undefined && e.token === token) entries.set(c.endpointId, { version: e.version, token: null, refreshAt: 0, pending: null, refused: true });
    },
    size: () => entries.size,
  };
}

/**
 * Sends `req` with the endpoint's token as a bearer token. A 401 from the receiver drops that
 * token; a new one is fetched and the request sent once more, within the same attempt. A token
 * request that fails is the attempt's result, with error class `oauth2` (nothing is sent then).
 * The token is set in `req.headers` (the attempt's record redacts it).
 */
export async function sendWithToken<R extends WithHeaders>(
  send: (req: R) => Promise<SendResult>,
  tokens: TokenCache,
  req: R,
  c: OAuth2Client,
  now: () => number,
): Promise<SendResult> {
  const startedAt = now();
  const started = performance.now();
  const fail = (message: string): SendResult => ({
    startedAt,
    durationMs: Math.round(performance.now() - started),
    statusCode: null,
    headers: null,
    body: null,
    errorClass: "oauth2",
    errorMessage: message,
  });
  const plain: R = { ...req, oauth2: null };
  let token: string;
  try {
    token = await tokens.token(c);
  } catch (e) {
    if (e instanceof OAuth2Error) return fail(e.message);
    throw e;
  }
  plain.headers.authorization = `Bearer ${token}`;
  const first = await send(plain);
  if (first.statusCode !== 401) return first;
  tokens.drop(c, token);
  try {
    token = await tokens.token(c);
  } catch (e) {
    if (e instanceof OAuth2Error) return fail(`the receiver answered 401 to the token and a new one could not be had: ${e.message}`);
    throw e;
  }
  plain.headers.authorization = `Bearer ${token}`;
  const second = await send(plain);
  return { ...second, startedAt, durationMs: Math.round(performance.now() - started) };
}
