import { type FormEvent, useEffect, useState } from "react";
import { type Endpoint, TocsinApiError, unwrap } from "@tocsin/client";
import { EndpointFields, GROUPS } from "../components/EndpointFields.tsx";
import { PreviewPanel } from "../components/PreviewPanel.tsx";
import { ErrorNote, Link, Loading, PageHeader } from "../components/ui.tsx";
import { rememberSaved } from "../lib/endpoint-saved.ts";
import { useConsole } from "../context.ts";
import { messageOf, useLoad } from "../hooks.ts";
import { problemToFieldErrors, withFormLabels } from "../lib/endpoint-errors.ts";
import { type EndpointForm, type FieldErrors, endpointToForm, formToCreate, formToPatch, newEndpointForm, originMove } from "../lib/endpoint-form.ts";

/** Add a webhook (no `id`) or edit one: every setting, inline errors from the API's problem documents. */
export function EndpointFormPage({ tenant, id }: { tenant: string; id?: string }) {
  const { client } = useConsole();
  const existing = useLoad(
    () => (id ? unwrap(client.GET("/v1/tenants/{tenant}/endpoints/{id}", { params: { path: { tenant, id } } })) : Promise.resolve(null)),
    [client, tenant, id],
  );
  const types = useLoad(() => unwrap(client.GET("/v1/event-types", { params: { query: { limit: 200 } } })), [client]);
  // The answer of the last save on this page: it replaces the loaded document and is confirmed with its warnings.
  const [saved, setSaved] = useState<{ endpoint: Endpoint; at: Date } | null>(null);

  if (id && existing.loading && !existing.data) return <Loading />;
  if (id && existing.error) return <ErrorNote error={existing.error} />;
  const endpoint = saved?.endpoint ?? existing.data ?? null;
  return (
    <EndpointEditor
      key={endpoint?.version ?? "new"}
      tenant={tenant}
      endpoint={endpoint}
      knownTypes={(types.data?.data ?? []).map((t) => t.name)}
      saved={saved}
      onSaved={(e) => setSaved({ endpoint: e, at: new Date() })}
    />
  );
}

interface EditorProps {
  tenant: string;
  endpoint: Endpoint | null;
  knownTypes: string[];
  saved: { endpoint: Endpoint; at: Date } | null;
  onSaved: (e: Endpoint) => void;
}

function EndpointEditor({ tenant, endpoint, knownTypes, saved, onSaved }: EditorProps) {
  const { client, navigate, session } = useConsole();
  // Only admin keys may choose an egress proxy; the others see it as text.
  const proxies = useLoad(
    () => (session.kind === "admin" ? unwrap(client.GET("/v1/proxies")).then((r) => r.data.map((p) => p.name)) : Promise.resolve(null)),
    [client, session.kind],
  );
  // The tenant's other webhooks, for the fallback choice.
  const others = useLoad(() => unwrap(client.GET("/v1/tenants/{tenant}/endpoints", { params: { path: { tenant }, query: { limit: 100 } } })), [client, tenant]);
  const [form, setForm] = useState<EndpointForm>(() => (endpoint ? endpointToForm(endpoint) : newEndpointForm()));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const [focusFirst, setFocusFirst] = useState(0);

  const set = <K extends keyof EndpointForm>(name: K, value: EndpointForm[K]) => {
    setForm((f) => ({ ...f, [name]: value }));
    setErrors((e) => (e[name] || e.form ? { ...e, [name]: undefined, form: undefined } : e));
  };
  const setMany = (fields: Partial<EndpointForm>) => {
    setForm((f) => ({ ...f, ...fields }));
    setErrors((e) => {
      const next = { ...e, form: undefined };
      for (const k of Object.keys(fields)) delete next[k as keyof EndpointForm];
      return next;
    });
  };

  // After a failed save, move focus to the first field with an error, so keyboard and screen-reader users land on it.
  useEffect(() => {
    if (!focusFirst) return;
    const el = document.querySelector<HTMLElement>("form.endpoint-form [aria-invalid='true']");
    (el ?? document.getElementById("form-error"))?.focus();
  }, [focusFirst]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const mapped = endpoint ? formToPatch(endpoint, form) : formToCreate(form);
    if (mapped.errors) {
      setErrors(mapped.errors);
      setFocusFirst((n) => n + 1);
      return;
    }
    setBusy(true);
    try {
      const saved = endpoint
        ? await unwrap(client.PATCH("/v1/tenants/{tenant}/endpoints/{id}", { params: { path: { tenant, id: endpoint.id } }, body: mapped.body }))
        : await unwrap(client.POST("/v1/tenants/{tenant}/endpoints", { params: { path: { tenant } }, body: mapped.body as never }));
      if (endpoint) onSaved(saved);
      else {
        rememberSaved({ id: saved.id, warnings: saved.warnings, created: true });
        navigate({ page: "endpoint", tenant, id: saved.id, tab: "test" });
      }
    } catch (err) {
      setErrors(err instanceof TocsinApiError && err.problem ? problemToFieldErrors(err.problem) : { form: messageOf(err) });
      setFocusFirst((n) => n + 1);
    } finally {
      setBusy(false);
    }
  };

  const title = endpoint ? `Edit ${endpoint.name || "webhook"}` : "Add webhook";
  const count = Object.values(errors).filter(Boolean).length;
  return (
    <section aria-labelledby="form-title">
      <PageHeader
        title={<span id="form-title">{title}</span>}
        subtitle={endpoint ? <span className="break">{endpoint.url}</span> : "Only the URL and the event types are needed; everything else has a default."}
      />
      <nav className="jump" aria-label="Form sections">
        {GROUPS.map((g) => (
          <a key={g.id} href={`#${g.id}`}>
            {g.label}
          </a>
        ))}
      </nav>
      {saved && endpoint && count === 0 ? (
        <div className="saved" role="status" id="saved-note">
          <p className="notice">
            ✓ Saved at {saved.at.toLocaleTimeString()}. <Link to={{ page: "endpoint", tenant, id: endpoint.id, tab: "overview" }}>Back to the webhook</Link>
          </p>
          {saved.endpoint.warnings.map((w) => (
            <p key={w} className="warning">
              ⚠ Warning: {withFormLabels(w)}
            </p>
          ))}
        </div>
      ) : null}
      <form className="endpoint-form" onSubmit={(e) => void submit(e)} noValidate>
        {count > 0 ? (
          <p className="error-note" role="alert" id="form-error" tabIndex={-1}>
            {errors.form ?? `Please correct ${count === 1 ? "the field" : `${count} fields`} marked below.`}
          </p>
        ) : null}
        <EndpointFields
          form={form}
          set={set}
          setMany={setMany}
          errors={errors}
          editing={Boolean(endpoint)}
          stored={{ password: Boolean(endpoint?.auth.passwordSet), token: Boolean(endpoint?.auth.tokenSet), clientKey: Boolean(endpoint?.tls.clientKeySet) }}
          storedCert={endpoint?.tls.clientCert && endpoint.tls.clientCertInfo ? { pem: endpoint.tls.clientCert, info: endpoint.tls.clientCertInfo } : null}
          knownTypes={knownTypes}
          move={endpoint ? originMove(endpoint, form) : null}
          proxies={proxies.data ?? null}
          fallbacks={(others.data?.data ?? []).filter((e) => e.id !== endpoint?.id).map((e) => ({ id: e.id, label: e.name ? `${e.name} (${e.url})` : e.url }))}
        />
        <div className="form-actions">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? "Saving…" : endpoint ? "Save changes" : "Add webhook"}
          </button>
          <Link to={endpoint ? { page: "endpoint", tenant, id: endpoint.id, tab: "overview" } : { page: "endpoints", tenant }} className="button">
            Cancel
          </Link>
        </div>
      </form>
      {endpoint ? (
        <PreviewPanel tenant={tenant} endpoint={endpoint} knownTypes={knownTypes} note="The preview uses the saved settings: save first to see a change." />
      ) : (
        <p className="muted">A payload preview is available once the webhook is saved.</p>
      )}
    </section>
  );
}
