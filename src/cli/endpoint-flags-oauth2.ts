// The --oauth2-* flags of `endpoint add` and `endpoint update`: auth.type oauth2 (client credentials).
import { type Env, UsageError, exclusive } from "./shared.ts";

export const OAUTH2_HELP = `  --oauth2-token-url URL      OAuth2 client credentials: fetch a token here and send it as a bearer
                              token, with --oauth2-client-id and --oauth2-client-secret(-env)
  --oauth2-client-id ID       The OAuth2 client id
  --oauth2-client-secret S    The OAuth2 client secret (again whenever the token URL changes)
  --oauth2-client-secret-env VAR
                              The same, read from environment variable VAR
  --oauth2-scope SCOPE        A scope to ask for (repeatable)
  --oauth2-audience AUD       The audience parameter some token servers want`;

export const oauth2Options = {
  "oauth2-token-url": { type: "string" },
  "oauth2-client-id": { type: "string" },
  "oauth2-client-secret": { type: "string" },
  "oauth2-client-secret-env": { type: "string" },
  "oauth2-scope": { type: "string", multiple: true },
  "oauth2-audience": { type: "string" },
} as const;

export interface OAuth2Flags {
  "oauth2-token-url"?: string;
  "oauth2-client-id"?: string;
  "oauth2-client-secret"?: string;
  "oauth2-client-secret-env"?: string;
  "oauth2-scope"?: string[];
  "oauth2-audience"?: string;
}

function fromEnv(env: Env, name: string, flag: string): string {
  const v = env[name];
  if (v === undefined || v === "") throw new UsageError(`--${flag}: environment variable ${name} is not set`);
  return v;
}

/** auth.type oauth2 from the --oauth2-* flags (on update, only the members given), or null when none is given. */
export function oauth2Flags(v: OAuth2Flags, env: Env): Record<string, unknown> | null {
  exclusive(v as Record<string, unknown>, ["oauth2-client-secret", "oauth2-client-secret-env"]);
  const secret =
    v["oauth2-client-secret"] ??
    (v["oauth2-client-secret-env"] !== undefined ? fromEnv(env, v["oauth2-client-secret-env"], "oauth2-client-secret-env") : undefined);
  const auth: Record<string, unknown> = {};
  if (v["oauth2-token-url"] !== undefined) auth.tokenUrl = v["oauth2-token-url"];
  if (v["oauth2-client-id"] !== undefined) auth.clientId = v["oauth2-client-id"];
  if (secret !== undefined) auth.clientSecret = secret;
  if (v["oauth2-scope"] !== undefined) auth.scopes = v["oauth2-scope"];
  if (v["oauth2-audience"] !== undefined) auth.audience = v["oauth2-audience"] === "" ? null : v["oauth2-audience"];
  return Object.keys(auth).length === 0 ? null : { type: "oauth2", ...auth };
}
