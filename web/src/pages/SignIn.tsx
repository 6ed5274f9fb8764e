import { type FormEvent, useEffect, useRef, useState } from "react";
import { messageOf } from "../hooks.ts";
import { type Session, detectSession } from "../lib/session.ts";

interface Props {
  /** A portal link's token (already removed from the address bar). */
  portal: { token: string; tenant: string | null } | null;
  notice: string | null;
  onSignedIn(s: Session): void;
}

const detect = (key: string, tenant: string | null) => detectSession((url, init) => window.fetch(url, init), window.location.origin, key, tenant);

export function SignIn({ portal, notice, onSignedIn }: Props) {
  const [key, setKey] = useState("");
  const [tenant, setTenant] = useState("");
  const [needTenant, setNeedTenant] = useState<null | "tenant" | "portal">(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(Boolean(portal));
  const started = useRef(false);

  const attempt = async (k: string, t: string | null) => {
    setBusy(true);
    setError(null);
    try {
      const r = await detect(k, t);
      if ("session" in r) return onSignedIn(r.session);
      if ("needTenant" in r) setNeedTenant(r.kind);
      else setError(r.error);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  // The effect below runs once per portal link; it calls the latest `attempt` through this ref.
  const attemptRef = useRef(attempt);
  attemptRef.current = attempt;
  useEffect(() => {
    // A portal link signs in by itself (once, even under StrictMode's double effects).
    if (!portal || started.current) return;
    started.current = true;
    setKey(portal.token);
    void attemptRef.current(portal.token, portal.tenant);
  }, [portal]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const k = key.trim();
    if (!k) return setError("Paste an API key first.");
    void attempt(k, needTenant ? tenant.trim() || null : null);
  };

  const portalMode = Boolean(portal);
  return (
    <main className="signin" id="main">
      <div className="signin-card">
        <h1>
          <span className="logo" aria-hidden="true">
            ◉
          </span>{" "}
          Tocsin
        </h1>
        <p className="muted">{portalMode ? "Webhook settings" : "Webhook delivery console"}</p>
        {notice ? (
          <p className="notice" role="status">
            {notice}
          </p>
        ) : null}
        <form onSubmit={submit} noValidate>
          {!portalMode ? (
            <div className="field">
              <label htmlFor="signin-key">API key</label>
              <input
                id="signin-key"
                name="key"
                type="password"
                autoComplete="off"
                spellCheck={false}
                value={key}
                onChange={(e) => setKey(e.target.value)}
                aria-describedby="signin-key-hint"
                autoFocus
              />
              <p className="hint" id="signin-key-hint">
                An admin key, or a tenant key (<code>tsk_…</code>). It is kept in this tab only and is never put in the address.
              </p>
              <p className="hint" id="signin-admin-hint">
                Where is the admin key? On the server, in the file <code>admin-key</code> in the data folder (<code>./data/admin-key</code> unless{" "}
                <code>TOCSIN_DATA_DIR</code> names another folder): <code>cat data/admin-key</code>. When the server was started with{" "}
                <code>TOCSIN_API_KEY</code>, that value is the admin key and no file is written.
              </p>
            </div>
          ) : null}
          {needTenant ? (
            <div className="field">
              <label htmlFor="signin-tenant">Tenant id</label>
              <input
                id="signin-tenant"
                name="tenant"
                value={tenant}
                onChange={(e) => setTenant(e.target.value)}
                autoComplete="off"
                spellCheck={false}
                aria-describedby="signin-tenant-hint"
                autoFocus
              />
              <p className="hint" id="signin-tenant-hint">
                {needTenant === "portal" ? "This link does not say which account it belongs to." : "This key belongs to one tenant."} Enter its id.
              </p>
            </div>
          ) : null}
          {error ? (
            <p className="error-note" role="alert">
              {error}
            </p>
          ) : null}
          {busy ? (
            <p className="muted" role="status">
              Signing in…
            </p>
          ) : null}
          {!portalMode || needTenant ? (
            <button type="submit" className="primary" disabled={busy}>
              Sign in
            </button>
          ) : null}
        </form>
        {portalMode && error ? <p className="hint">Ask for a new link: portal links expire after at most 24 hours.</p> : null}
      </div>
    </main>
  );
}
