import { useEffect, useState } from "react";
import { type Endpoint, unwrap } from "@tocsin/client";
import { useConsole } from "../context.ts";
import { useAction } from "../hooks.ts";
import { ConfirmDialog, CopyButton, ErrorNote, formatTime } from "./ui.tsx";
import { rotationEffect } from "../lib/endpoint-signing.ts";

/** The signing secret: fetched only when the user asks to see it; rotation asks for confirmation. */
export function SecretPanel({ tenant, endpoint }: { tenant: string; endpoint: Endpoint }) {
  return endpoint.signing.scheme === "ed25519" ? (
    <PublicKeyPanel tenant={tenant} endpoint={endpoint} />
  ) : (
    <SharedSecretPanel tenant={tenant} endpoint={endpoint} />
  );
}

function SharedSecretPanel({ tenant, endpoint }: { tenant: string; endpoint: Endpoint }) {
  const { client } = useConsole();
  const [secret, setSecret] = useState<string | null>(null);
  const [rotated, setRotated] = useState<string | null>(null);
  const [confirm, setConfirm] = useState(false);
  const { busy, error, act } = useAction();
  const path = { params: { path: { tenant, id: endpoint.id } } };
  const effect = rotationEffect(endpoint.signing);

  const reveal = () =>
    act(async () => {
      const got = await unwrap(client.GET("/v1/tenants/{tenant}/endpoints/{id}/secret", path));
      setSecret("secret" in got ? got.secret : null);
    });
  const rotate = () =>
    act(async () => {
      const r = await unwrap(client.POST("/v1/tenants/{tenant}/endpoints/{id}/secret/rotate", { ...path, body: {} }));
      setSecret("secret" in r ? r.secret : null);
      setRotated(r.detail);
      setConfirm(false);
    });

  return (
    <section className="card" aria-labelledby="secret-title">
      <h2 id="secret-title">Signing secret</h2>
      <p className="muted">
        {endpoint.signing.scheme === "none"
          ? "This webhook is unsigned (scheme none); the secret is kept for when signing is turned on."
          : "Give it to the receiver: it checks each webhook's signature with it."}
      </p>
      {secret ? (
        <p className="secret">
          <code aria-label="Signing secret">{secret}</code> <CopyButton text={secret} label="Copy secret" />{" "}
          <button type="button" onClick={() => setSecret(null)}>
            Hide
          </button>
        </p>
      ) : (
        <p className="secret">
          <code aria-hidden="true">••••••••••••••••</code>{" "}
          <button type="button" onClick={() => void reveal()} disabled={busy}>
            Reveal secret
          </button>
        </p>
      )}
      {rotated ? (
        <p className="notice" role="status">
          Rotated. {rotated}
        </p>
      ) : null}
      {endpoint.previousSecretExpiresAt ? (
        <p className="muted small">The previous secret keeps signing until {formatTime(endpoint.previousSecretExpiresAt)}.</p>
      ) : null}
      <button type="button" onClick={() => setConfirm(true)} disabled={busy}>
        Rotate secret
      </button>
      <ErrorNote error={error} />
      <ConfirmDialog
        open={confirm}
        title="Rotate the signing secret?"
        confirmLabel="Rotate"
        busy={busy}
        onConfirm={() => void rotate()}
        onCancel={() => setConfirm(false)}
      >
        <p>A new secret is generated for this webhook.</p>
        <p data-testid="rotation-effect">{effect.text}</p>
      </ConfirmDialog>
    </section>
  );
}

/**
 * Under ed25519 there is no secret to reveal: the panel shows the public key receivers verify with
 * (it is not secret, so it shows at once), and rotating makes a new key pair.
 */
function PublicKeyPanel({ tenant, endpoint }: { tenant: string; endpoint: Endpoint }) {
  const { client } = useConsole();
  const [keys, setKeys] = useState<{ publicKey: string; previousPublicKey?: string; previousExpiresAt?: string } | null>(null);
  const [rotated, setRotated] = useState<string | null>(null);
  const [confirm, setConfirm] = useState(false);
  const { busy, error, act } = useAction();
  const path = { params: { path: { tenant, id: endpoint.id } } };
  const effect = rotationEffect(endpoint.signing);
  const load = () =>
    act(async () => {
      setKeys(await unwrap(client.GET("/v1/tenants/{tenant}/endpoints/{id}/public-key", path)));
    });
  useEffect(() => {
    void load();
    // Reloaded when the endpoint changes (a new version may carry a new key pair).
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tenant, endpoint.id, endpoint.version]);
  const rotate = () =>
    act(async () => {
      const r = await unwrap(client.POST("/v1/tenants/{tenant}/endpoints/{id}/secret/rotate", { ...path, body: {} }));
      setRotated(r.detail);
      setConfirm(false);
      setKeys(await unwrap(client.GET("/v1/tenants/{tenant}/endpoints/{id}/public-key", path)));
    });

  return (
    <section className="card" aria-labelledby="secret-title">
      <h2 id="secret-title">Public key</h2>
      <p className="muted">
        This webhook is signed with an Ed25519 key pair (Standard Webhooks v1a). Give the receiver the public key: it verifies with it, and cannot sign with it.
        The private key never leaves the server.
      </p>
      {keys ? (
        <p className="secret">
          <code aria-label="Public key">{keys.publicKey}</code> <CopyButton text={keys.publicKey} label="Copy public key" />
        </p>
      ) : null}
      {rotated ? (
        <p className="notice" role="status">
          Rotated. {rotated}
        </p>
      ) : null}
      {keys?.previousPublicKey && keys.previousExpiresAt ? (
        <p className="muted small">
          The previous key <code aria-label="Previous public key">{keys.previousPublicKey}</code> keeps signing until {formatTime(keys.previousExpiresAt)}.
        </p>
      ) : null}
      <button type="button" onClick={() => setConfirm(true)} disabled={busy}>
        Rotate key pair
      </button>
      <ErrorNote error={error} />
      <ConfirmDialog
        open={confirm}
        title="Make a new key pair?"
        confirmLabel="Rotate"
        busy={busy}
        onConfirm={() => void rotate()}
        onCancel={() => setConfirm(false)}
      >
        <p>A new Ed25519 key pair is made for this webhook; the receiver needs its public key.</p>
        <p data-testid="rotation-effect">{effect.text}</p>
      </ConfirmDialog>
    </section>
  );
}
