import { useState } from "react";
import { unwrap } from "@tocsin/client";
import { ErrorNote, Loading, PageHeader } from "../components/ui.tsx";
import { useConsole } from "../context.ts";
import { useLoad } from "../hooks.ts";

/** The event-type catalog shared by every tenant: what each type means, its payload's schema and an example. */
export function EventTypesPage() {
  const { client } = useConsole();
  const list = useLoad(() => unwrap(client.GET("/v1/event-types", { params: { query: { limit: 1000 } } })), [client]);
  const [query, setQuery] = useState("");
  const types = (list.data?.data ?? []).filter(
    (t) => !query.trim() || t.name.includes(query.trim()) || (t.description ?? "").toLowerCase().includes(query.trim().toLowerCase()),
  );
  return (
    <section aria-labelledby="types-title">
      <PageHeader title={<span id="types-title">Event types</span>} subtitle="What webhooks can receive. The Test button sends a type's example." />
      <div className="field narrow">
        <label htmlFor="types-filter">Filter</label>
        <input id="types-filter" type="search" value={query} onChange={(e) => setQuery(e.target.value)} autoComplete="off" />
      </div>
      {list.loading && !list.data ? <Loading /> : null}
      <ErrorNote error={list.error} />
      {list.data && list.data.data.length === 0 ? (
        <p className="empty">
          The catalog is empty. Operators add types with POST /v1/event-types or <code>tocsin examples load</code>.
        </p>
      ) : null}
      <ul className="catalog plain">
        {types.map((t) => (
          <li key={t.name} className="card">
            <h2>
              <code>{t.name}</code>
            </h2>
            {t.description ? <p>{t.description}</p> : <p className="muted">No description.</p>}
            <details>
              <summary>Schema</summary>
              {t.schema === null || t.schema === undefined ? <p className="muted">No schema.</p> : <pre tabIndex={0}>{JSON.stringify(t.schema, null, 2)}</pre>}
            </details>
            <details>
              <summary>Example</summary>
              {t.example === null || t.example === undefined ? (
                <p className="muted">No example: the Test button sends a built-in payload.</p>
              ) : (
                <pre tabIndex={0}>{JSON.stringify(t.example, null, 2)}</pre>
              )}
            </details>
          </li>
        ))}
      </ul>
    </section>
  );
}
