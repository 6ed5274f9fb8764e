import { type FormEvent, useState } from "react";
import { type components, TocsinApiError, unwrap } from "@tocsin/client";
import { EventTypeTest } from "../components/EventTypeTest.tsx";
import { TextArea, TextField } from "../components/fields.tsx";
import { ErrorNote, Loading, PageHeader } from "../components/ui.tsx";
import { useConsole } from "../context.ts";
import { messageOf, useLoad } from "../hooks.ts";
import {
  type EventTypeErrors,
  type EventTypeForm,
  emptyEventTypeForm,
  eventTypeProblemErrors,
  eventTypeToForm,
  formToEventTypeCreate,
  formToEventTypePatch,
} from "../lib/event-type-form.ts";

type EventType = components["schemas"]["EventTypeOut"];

/**
 * The event-type catalog shared by every tenant: what each type means, its payload's schema and an
 * example. Operators (admin keys) add and edit types here, and send a type's example to a webhook.
 */
export function EventTypesPage() {
  const { client, session } = useConsole();
  const admin = session.kind === "admin";
  const list = useLoad(() => unwrap(client.GET("/v1/event-types", { params: { query: { limit: 1000 } } })), [client]);
  const [query, setQuery] = useState("");
  // null: no form open; "new": adding; a name: editing that type.
  const [editing, setEditing] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const types = (list.data?.data ?? []).filter(
    (t) => !query.trim() || t.name.includes(query.trim()) || (t.description ?? "").toLowerCase().includes(query.trim().toLowerCase()),
  );
  const done = (message: string) => {
    setEditing(null);
    setSaved(message);
    list.reload();
  };
  return (
    <section aria-labelledby="types-title">
      <PageHeader
        title={<span id="types-title">Event types</span>}
        subtitle="What webhooks can receive. The Test button sends a type's example."
        actions={
          admin && editing !== "new" ? (
            <button
              type="button"
              className="primary"
              onClick={() => {
                setEditing("new");
                setSaved(null);
              }}
            >
              Add event type
            </button>
          ) : null
        }
      />
      {saved ? (
        <p className="notice" role="status">
          ✓ {saved}
        </p>
      ) : null}
      {editing === "new" ? <EventTypeEditor type={null} onDone={done} onCancel={() => setEditing(null)} /> : null}
      <div className="field narrow">
        <label htmlFor="types-filter">Filter</label>
        <input id="types-filter" type="search" value={query} onChange={(e) => setQuery(e.target.value)} autoComplete="off" />
      </div>
      {list.loading && !list.data ? <Loading /> : null}
      <ErrorNote error={list.error} />
      {list.data && list.data.data.length === 0 ? (
        <p className="empty">
          The catalog is empty.{" "}
          {admin ? (
            <>
              Add a type above, or load the examples with <code>tocsin examples load</code>.
            </>
          ) : (
            <>Operators add types.</>
          )}
        </p>
      ) : null}
      <ul className="catalog plain">
        {types.map((t) =>
          editing === t.name ? (
            <li key={t.name}>
              <EventTypeEditor type={t} onDone={done} onCancel={() => setEditing(null)} />
            </li>
          ) : (
            <li key={t.name} className="card" data-type={t.name}>
              <h2>
                <code>{t.name}</code>
              </h2>
              {t.description ? <p>{t.description}</p> : <p className="muted">No description.</p>}
              <details>
                <summary>Schema</summary>
                {t.schema === null || t.schema === undefined ? (
                  <p className="muted">No schema.</p>
                ) : (
                  <pre tabIndex={0}>{JSON.stringify(t.schema, null, 2)}</pre>
                )}
              </details>
              <details>
                <summary>Example</summary>
                {t.example === null || t.example === undefined ? (
                  <p className="muted">No example: the Test button sends a built-in payload.</p>
                ) : (
                  <pre tabIndex={0}>{JSON.stringify(t.example, null, 2)}</pre>
                )}
              </details>
              {admin ? (
                <div className="form-actions">
                  <button
                    type="button"
                    onClick={() => {
                      setEditing(t.name);
                      setSaved(null);
                    }}
                    aria-label={`Edit ${t.name}`}
                  >
                    Edit
                  </button>
                  <EventTypeTest type={t} />
                </div>
              ) : null}
            </li>
          ),
        )}
      </ul>
    </section>
  );
}

/** Add (type null) or edit an event type; JSON mistakes are shown at their line and column, the API's refusals under their field. */
function EventTypeEditor({ type, onDone, onCancel }: { type: EventType | null; onDone: (message: string) => void; onCancel: () => void }) {
  const { client } = useConsole();
  const [form, setForm] = useState<EventTypeForm>(() => (type ? eventTypeToForm(type) : emptyEventTypeForm()));
  const [errors, setErrors] = useState<EventTypeErrors>({});
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof EventTypeForm>(name: K, value: EventTypeForm[K]) => {
    setForm((f) => ({ ...f, [name]: value }));
    setErrors((e) => (e[name] || e.form ? { ...e, [name]: undefined, form: undefined } : e));
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const mapped = type ? formToEventTypePatch(type, form) : formToEventTypeCreate(form);
    if (mapped.errors) return setErrors(mapped.errors);
    setBusy(true);
    try {
      if (type) await unwrap(client.PATCH("/v1/event-types/{name}", { params: { path: { name: type.name } }, body: mapped.body }));
      else await unwrap(client.POST("/v1/event-types", { body: mapped.body as never }));
      onDone(type ? `Saved ${type.name}.` : `Added ${form.name.trim()}.`);
    } catch (err) {
      setErrors(err instanceof TocsinApiError && err.problem ? eventTypeProblemErrors(err.problem) : { form: messageOf(err) });
    } finally {
      setBusy(false);
    }
  };
  const b = { form, set, errors, idPrefix: "et" } as const;
  const count = Object.values(errors).filter(Boolean).length;
  const title = type ? `Edit ${type.name}` : "Add an event type";
  return (
    <form className="card event-type-form" onSubmit={(e) => void submit(e)} noValidate aria-label={title}>
      <h2>{title}</h2>
      {count > 0 ? (
        <p className="error-note" role="alert">
          {errors.form ?? `Please correct ${count === 1 ? "the field" : `${count} fields`} marked below.`}
        </p>
      ) : null}
      {type ? null : (
        <TextField
          {...b}
          name="name"
          label="Name"
          required
          placeholder="e.g. alert.fired"
          hint="Dot-separated words; webhooks subscribe to it or to prefix.*."
        />
      )}
      <TextArea {...b} name="description" label="Description" rows={2} />
      <TextArea
        {...b}
        name="schema"
        label="JSON Schema"
        rows={6}
        mono
        placeholder='e.g. {"type": "object", "required": ["host"]}'
        hint="Optional (draft 2020-12): describes the payload for the people who write receivers; the example must match it."
      />
      <TextArea {...b} name="example" label="Example payload" rows={6} mono hint="Optional; must match the schema. Test and Preview send it." />
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Saving…" : type ? "Save event type" : "Add event type"}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
