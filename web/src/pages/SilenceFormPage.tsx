import { type FormEvent, useEffect, useState } from "react";
import { TocsinApiError, unwrap } from "@tocsin/client";
import { SilenceFields } from "../components/SilenceFields.tsx";
import { Link, PageHeader } from "../components/ui.tsx";
import { useConsole } from "../context.ts";
import { messageOf, useLoad } from "../hooks.ts";
import { pathOf } from "../lib/routes.ts";
import { type SilenceErrors, type SilenceField, type SilenceForm, formFromSearch, formToSilenceBody, problemToSilenceErrors } from "../lib/silence-form.ts";
import { matchersInWords } from "../lib/silence-words.ts";
import { can } from "../lib/session.ts";

/**
 * Create a silence. The address fills it in (`?type=…&fingerprint=…&endpoint=ep_…`, from a
 * delivery or an alert; `&recurring=1` from a webhook's "Add maintenance window"); the API's
 * refusals are shown at the fields they name.
 */
export function SilenceFormPage({ tenant }: { tenant: string }) {
  const { client, session, search, navigate } = useConsole();
  const [form, setForm] = useState<SilenceForm>(() => formFromSearch(search));
  const [errors, setErrors] = useState<SilenceErrors>({});
  const [busy, setBusy] = useState(false);
  const [focusFirst, setFocusFirst] = useState(0);
  const endpoints = useLoad(
    () => unwrap(client.GET("/v1/tenants/{tenant}/endpoints", { params: { path: { tenant }, query: { limit: 100 } } })),
    [client, tenant],
  );
  const fromEndpoint = new URLSearchParams(search).get("endpoint");
  const windowFor = form.kind === "recurring" && fromEndpoint ? fromEndpoint : null;

  useEffect(() => {
    if (!focusFirst) return;
    const el = document.querySelector<HTMLElement>(
      "form.silence-form [aria-invalid='true'] input, form.silence-form input[aria-invalid='true'], form.silence-form textarea[aria-invalid='true']",
    );
    (el ?? document.getElementById("form-error"))?.focus();
  }, [focusFirst]);

  if (!can(session, "endpoints:write"))
    return (
      <section>
        <h1>New silence</h1>
        <p className="notice">Creating a silence needs a key with the endpoints:write scope; this one can only read.</p>
      </section>
    );

  const set = <K extends SilenceField>(name: K, value: SilenceForm[K]) => {
    setForm((f) => {
      const next = { ...f, [name]: value };
      // Each kind offers its own ends: a duration for one-off silences, "never" for weekly ones.
      if (name === "kind")
        next.endMode = value === "recurring" ? (f.endMode === "duration" ? "never" : f.endMode) : f.endMode === "never" ? "duration" : f.endMode;
      return next;
    });
    setErrors((e) => (e[name] || e.form ? { ...e, [name]: undefined, form: undefined } : e));
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const mapped = formToSilenceBody(form);
    if (mapped.errors) {
      setErrors(mapped.errors);
      setFocusFirst((n) => n + 1);
      return;
    }
    setBusy(true);
    try {
      const s = await unwrap(client.POST("/v1/tenants/{tenant}/silences", { params: { path: { tenant } }, body: mapped.body }));
      if (windowFor) navigate({ page: "endpoint", tenant, id: windowFor, tab: "overview" });
      else navigate(`${pathOf({ page: "silences", tenant })}?created=${encodeURIComponent(s.id)}`);
    } catch (err) {
      setErrors(err instanceof TocsinApiError && err.problem ? problemToSilenceErrors(err.problem, form) : { form: messageOf(err) });
      setFocusFirst((n) => n + 1);
    } finally {
      setBusy(false);
    }
  };

  const count = Object.values(errors).filter(Boolean).length;
  const list = (endpoints.data?.data ?? []).map((e) => ({ id: e.id, name: e.name || e.url }));
  // A chosen webhook the list does not hold (deleted since, or beyond the first 100) is still shown.
  for (const id of form.endpointIds) if (!list.some((e) => e.id === id)) list.push({ id, name: id });
  const preview = formToSilenceBody({ ...form, comment: form.comment || "-" });
  return (
    <section aria-labelledby="silence-form-title">
      <p className="crumbs">
        <Link to={{ page: "silences", tenant }}>Silences</Link> ›
      </p>
      <PageHeader
        title={<span id="silence-form-title">{windowFor ? "Add maintenance window" : "New silence"}</span>}
        subtitle="Nothing is sent for an event it matches while it holds; each delivery is recorded as suppressed, with this silence as the reason."
      />
      <form className="silence-form" onSubmit={(e) => void submit(e)} noValidate>
        {count > 0 ? (
          <p className="error-note" role="alert" id="form-error" tabIndex={-1}>
            {errors.form ?? `Please correct ${count === 1 ? "the field" : `${count} fields`} marked below.`}
          </p>
        ) : null}
        <SilenceFields form={form} set={set} errors={errors} endpoints={list} />
        <p className="muted" data-part="summary">
          Silences: {preview.body ? matchersInWords(preview.body.matchers ?? null) : "…"}
        </p>
        <div className="form-actions">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? "Creating…" : windowFor ? "Add maintenance window" : "Create silence"}
          </button>
          <Link to={windowFor ? { page: "endpoint", tenant, id: windowFor, tab: "overview" } : { page: "silences", tenant }} className="button">
            Cancel
          </Link>
        </div>
      </form>
    </section>
  );
}
