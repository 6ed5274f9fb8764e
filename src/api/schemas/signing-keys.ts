import { Type } from "typebox";
import { component } from "./component.ts";
import { Timestamp } from "./common.ts";

// An endpoint's signing secret as the API shows it: the HMAC secret itself, or under ed25519 only
// the public key (the private key never leaves the server).

export const PublicKey = Type.String({
  pattern: "^whpk_[A-Za-z0-9+/]{43}=$",
  description: "Standard Webhooks public key: whpk_ + base64 of the 32-byte raw ed25519 public key",
});

export const EndpointSecretOut = component(
  "EndpointSecretOut",
  Type.Union(
    [
      Type.Object({ secret: Type.String({ description: "The signing secret (signing.scheme standard, hmac-sha256 or none)" }) }),
      Type.Object({ scheme: Type.Literal("ed25519"), publicKey: PublicKey }),
    ],
    { description: "Under signing.scheme ed25519, the public key receivers verify with (the private key is never shown); otherwise the secret" },
  ),
);

export const PublicKeyOut = component(
  "PublicKeyOut",
  Type.Object(
    {
      scheme: Type.Literal("ed25519"),
      publicKey: PublicKey,
      previousPublicKey: Type.Optional(PublicKey),
      previousExpiresAt: Type.Optional(Timestamp),
    },
    {
      description:
        "What receivers verify signing.scheme ed25519 (Standard Webhooks v1a) deliveries with. During the 24 h after a rotation, deliveries carry a v1a signature of each key, and previousPublicKey and previousExpiresAt say which key still signs and until when.",
    },
  ),
);
