/** Shown in the endpoint form instead of the secret field under ed25519: there is no secret to type in. */
export function KeyPairNote() {
  return (
    <p className="muted small" role="note" data-testid="key-pair-note">
      Tocsin makes an Ed25519 key pair for this webhook and keeps the private key; the receiver verifies with the public key (whpk_…), shown on the
      webhook&apos;s page once saved.
    </p>
  );
}
