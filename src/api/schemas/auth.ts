import { Type } from "typebox";
import { component } from "./component.ts";
import { Nullable } from "./common.ts";

// An endpoint's auth member in and out: none, basic, bearer or oauth2 (client credentials).

const AUTH_IN_DESCRIPTION =
  '{"type": "none"}, {"type": "basic", "username", "password"}, {"type": "bearer", "token"} or {"type": "oauth2", "tokenUrl", "clientId", "clientSecret", "scopes"?, "audience"?, "extraParams"?, "clientAuth"?} (OAuth2 client credentials: a token fetched from tokenUrl is sent as a bearer token)';

// auth.type oauth2 (RFC 6749 §4.4 client credentials), as Alertmanager's http_config.oauth2.
const OAuth2AuthIn = {
  tokenUrl: Type.Optional(
    Nullable(Type.String({ maxLength: 2048, description: "oauth2: the token endpoint (http or https, checked like the endpoint's URL)" })),
  ),
  clientId: Type.Optional(Nullable(Type.String({ maxLength: 256 }))),
  clientSecret: Type.Optional(
    Nullable(Type.String({ maxLength: 1024, description: "oauth2: write-only, encrypted at rest; required again when tokenUrl changes" })),
  ),
  scopes: Type.Optional(
    Nullable(Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 32, description: "oauth2: sent space-joined as scope" })),
  ),
  audience: Type.Optional(Nullable(Type.String({ maxLength: 1024, description: "oauth2: sent as the audience parameter" }))),
  extraParams: Type.Optional(
    Nullable(
      Type.Record(Type.String(), Nullable(Type.String({ maxLength: 1024 })), {
        maxProperties: 16,
        description: "oauth2: more form parameters for the token request; not grant_type, client_id, client_secret, scope or audience",
      }),
    ),
  ),
  clientAuth: Type.Optional(
    Nullable(Type.Union([Type.Literal("basic"), Type.Literal("post")], { description: "oauth2: client_secret_basic (default) or client_secret_post" })),
  ),
};

// auth.type oauth2 as shown: everything but the client secret.
const OAuth2AuthOut = {
  tokenUrl: Type.Optional(Type.String()),
  clientId: Type.Optional(Type.String()),
  clientSecretSet: Type.Optional(Type.Boolean()),
  scopes: Type.Optional(Type.Array(Type.String())),
  audience: Type.Optional(Nullable(Type.String())),
  extraParams: Type.Optional(Type.Record(Type.String(), Type.String())),
  clientAuth: Type.Optional(Type.Union([Type.Literal("basic"), Type.Literal("post")])),
};

export const AuthIn = component(
  "AuthIn",
  Type.Object(
    {
      type: Type.Optional(Type.Union([Type.Literal("none"), Type.Literal("basic"), Type.Literal("bearer"), Type.Literal("oauth2")])),
      username: Type.Optional(Nullable(Type.String({ maxLength: 256 }))),
      password: Type.Optional(Nullable(Type.String({ maxLength: 1024, description: "Write-only; encrypted at rest" }))),
      token: Type.Optional(Nullable(Type.String({ maxLength: 4096, description: "Write-only; encrypted at rest" }))),
      ...OAuth2AuthIn,
    },
    { additionalProperties: false, description: AUTH_IN_DESCRIPTION },
  ),
);

export const AuthOut = Type.Object({
  type: Type.Union([Type.Literal("none"), Type.Literal("basic"), Type.Literal("bearer"), Type.Literal("oauth2")]),
  username: Type.Optional(Type.String()),
  passwordSet: Type.Optional(Type.Boolean()),
  tokenSet: Type.Optional(Type.Boolean()),
  ...OAuth2AuthOut,
});
