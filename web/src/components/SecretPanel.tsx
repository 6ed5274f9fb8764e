import { useState } from "react";
import { type Endpoint, unwrap } from "@tocsin/client";
import { useConsole } from "../context.ts";
import { useAction } from "../hooks.ts";
import { ConfirmDialog, CopyButton, ErrorNote, formatTime } from "./ui.tsx";
import { rotationEffect } from "../lib/endpoint-signing.ts";

/** The signing secret: fetched only when the user asks to see it; rotation asks for confirmation. */
export function SecretPanel({ tenant, endpoint }: { tenant: string; endpoint: Endpoint }) {
  const { client } = useConsole();
  const [secret, setSecret] = useState<string | null>(null);
  const [rotated, setRotated] = useState<string | null>(null);
  const [confirm, setConfirm] = useState(false);
  const { busy, error, act } = useAction();
  const path = { params: { path: { tenant, id: endpoint.id } } };
  const effect = rotationEffect(endpoint.signing);

  const reveal = () =>
    act(async () => {
      setSecret((await unwrap(client.GET("/v1/tenants/{tenant}/endpoints/{id}/secret", path))).secret);
    });
  const rotate = () =>
    act(async () => {
      const r = await unwrap(client.POST("/v1/tenants/{tenant}/endpoints/{id}/secret/rotate", { ...path, body: {} }));
      setSecret(r.secret);
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
