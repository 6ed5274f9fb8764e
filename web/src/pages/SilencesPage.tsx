import { useEffect, useState } from "react";
import { type TocsinClient, unwrap } from "@tocsin/client";
import { type Silence, SilenceTable } from "../components/SilenceTable.tsx";
import { ErrorNote, Link, Loading, PageHeader } from "../components/ui.tsx";
import { useConsole } from "../context.ts";
import { useAction, useLoad, useSearchState } from "../hooks.ts";
import { can } from "../lib/session.ts";

const STATES = [
  { value: "", label: "All" },
  { value: "active", label: "Active" },
  { value: "pending", label: "Pending" },
  { value: "expired", label: "Expired" },
] as const;
type State = "active" | "pending" | "expired";
const PAGE = 50;

async function fetchSilences(client: TocsinClient, tenant: string, state: State | undefined, cursor?: string) {
  return unwrap(
    client.GET("/v1/tenants/{tenant}/silences", {
      params: { path: { tenant }, query: { limit: PAGE, ...(state ? { state } : {}), ...(cursor ? { cursor } : {}) } },
    }),
  );
}

/** The tenant's silences, filtered by state (in the address: `?state=expired`); expired ones stay listed. */
export function SilencesPage({ tenant }: { tenant: string }) {
  const { client, session } = useConsole();
  const [search, setSearch] = useSearchState();
  const q = new URLSearchParams(search);
  const stateParam = q.get("state") ?? "";
  const state = STATES.some((s) => s.value === stateParam) ? (stateParam as State | "") : "";
  const created = q.get("created");
  const writable = can(session, "endpoints:write");
  const [extra, setExtra] = useState<{ items: Silence[]; cursor: string | null } | null>(null);
  const list = useLoad(() => fetchSilences(client, tenant, state || undefined), [client, tenant, state], 10_000);
  useEffect(() => setExtra(null), [tenant, state]);
  const endpoints = useLoad(
    () => unwrap(client.GET("/v1/tenants/{tenant}/endpoints", { params: { path: { tenant }, query: { limit: 100 } } })),
    [client, tenant],
  );
  const names = new Map((endpoints.data?.data ?? []).map((e) => [e.id, e.name || e.url]));
  const more = useAction();
  const cursor = extra ? extra.cursor : list.data?.nextCursor;
  const loadMore = () =>
    more.act(async () => {
      if (!cursor) return;
      const page = await fetchSilences(client, tenant, state || undefined, cursor);
      setExtra((x) => ({ items: [...(x?.items ?? []), ...page.data], cursor: page.nextCursor }));
    });
  const rows = [...(list.data?.data ?? []), ...(extra?.items ?? [])];

  return (
    <section aria-labelledby="silences-title">
      <PageHeader
        title={<span id="silences-title">Silences</span>}
        subtitle="Events a silence matches are not sent: their deliveries are recorded as suppressed, with the silence as the reason. Weekly silences are maintenance windows."
        actions={
          writable ? (
            <Link to={{ page: "silence-new", tenant }} className="button primary">
              New silence
            </Link>
          ) : null
        }
      />
      {created ? (
        <p className="notice" role="status">
          Silence <Link to={{ page: "silence", tenant, id: created }}>{created}</Link> created.
        </p>
      ) : null}
      <form className="filters" role="search" aria-label="Filter silences" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="silence-state">State</label>
          <select id="silence-state" value={state} onChange={(e) => setSearch({ state: e.target.value || null, created: null })}>
            {STATES.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
      </form>
      {list.loading && !list.data ? <Loading /> : null}
      <ErrorNote error={list.error} />
      {list.data && rows.length === 0 ? <p className="empty">No silences{state ? ` ${state}` : " yet"}.</p> : null}
      {rows.length > 0 ? <SilenceTable tenant={tenant} silences={rows} names={names} writable={writable} onChanged={list.reload} /> : null}
      {cursor ? (
        <button type="button" onClick={() => void loadMore()} disabled={more.busy}>
          Load more silences
        </button>
      ) : null}
      <ErrorNote error={more.error} />
    </section>
  );
}
