import { type FormEvent, useState } from "react";
import { type Tenant, unwrap } from "@tocsin/client";
import { ErrorNote, Link, Loading, PageHeader, formatTime } from "../components/ui.tsx";
import { useConsole } from "../context.ts";
import { useAction, useLoad } from "../hooks.ts";

const PAGE = 100;

/** The operator's customers: list, create, choose one. */
export function TenantsPage() {
  const { client, navigate } = useConsole();
  const [pages, setPages] = useState<Tenant[][]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const first = useLoad(async () => {
    const page = await unwrap(client.GET("/v1/tenants", { params: { query: { limit: PAGE } } }));
    setPages([]);
    setCursor(page.nextCursor);
    return page.data;
  }, [client]);
  const more = useAction();
  const loadMore = () =>
    more.act(async () => {
      if (!cursor) return;
      const page = await unwrap(client.GET("/v1/tenants", { params: { query: { limit: PAGE, cursor } } }));
      setPages((p) => [...p, page.data]);
      setCursor(page.nextCursor);
    });

  const [id, setId] = useState("");
  const [name, setName] = useState("");
  const create = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void create.act(async () => {
      const t = await unwrap(client.POST("/v1/tenants", { body: { ...(id.trim() ? { id: id.trim() } : {}), ...(name.trim() ? { name: name.trim() } : {}) } }));
      navigate({ page: "endpoints", tenant: t.id });
    });
  };

  const tenants = [...(first.data ?? []), ...pages.flat()];
  return (
    <section aria-labelledby="tenants-title">
      <PageHeader title={<span id="tenants-title">Tenants</span>} subtitle="Your customers. Each has its own webhooks, events and deliveries." />
      <div className="two-col">
        <div>
          {first.loading && !first.data ? <Loading /> : null}
          <ErrorNote error={first.error} />
          {first.data && tenants.length === 0 ? <p className="empty">No tenants yet. Create the first one.</p> : null}
          {tenants.length > 0 ? (
            <table className="list" aria-label="Tenants">
              <thead>
                <tr>
                  <th scope="col">Tenant</th>
                  <th scope="col">Name</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {tenants.map((t) => (
                  <tr key={t.id}>
                    <td data-label="Tenant">
                      <Link to={{ page: "endpoints", tenant: t.id }}>{t.id}</Link>
                    </td>
                    <td data-label="Name">{t.name ?? <span className="muted">—</span>}</td>
                    <td data-label="Created">{formatTime(t.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
          {cursor ? (
            <button type="button" onClick={() => void loadMore()} disabled={more.busy}>
              Load more
            </button>
          ) : null}
          <ErrorNote error={more.error} />
        </div>
        <form className="card" onSubmit={submit} aria-labelledby="new-tenant-title">
          <h2 id="new-tenant-title">New tenant</h2>
          <div className="field">
            <label htmlFor="tenant-id">Tenant id</label>
            <input
              id="tenant-id"
              name="id"
              value={id}
              onChange={(e) => setId(e.target.value)}
              autoComplete="off"
              spellCheck={false}
              aria-describedby="tenant-id-hint"
            />
            <p className="hint" id="tenant-id-hint">
              Your own customer id (letters, digits, <code>. _ : -</code>), or leave blank for a generated one.
            </p>
          </div>
          <div className="field">
            <label htmlFor="tenant-name">Name</label>
            <input id="tenant-name" name="name" value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />
          </div>
          <ErrorNote error={create.error} />
          <button type="submit" className="primary" disabled={create.busy}>
            Create tenant
          </button>
        </form>
      </div>
    </section>
  );
}
