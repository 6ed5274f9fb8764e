import { useEffect, useState } from "react";
import { type Delivery, type TocsinClient, unwrap } from "@tocsin/client";
import { useConsole } from "../context.ts";
import { useAction, useLoad } from "../hooks.ts";
import {
  DELIVERY_STATUSES,
  type DeliveryFilter,
  type DeliveryQuery,
  type DeliveryStatus,
  deliveryQuery,
  relativeTime,
  typeFilterError,
} from "../lib/deliveries.ts";
import { can } from "../lib/session.ts";
import { Badge, ErrorNote, Link, Loading } from "./ui.tsx";

type Row = Omit<Delivery, "attempts">;
const PAGE = 50;

const SINCE: { value: string; label: string; ms: number | null }[] = [
  { value: "", label: "Any time", ms: null },
  { value: "15m", label: "Last 15 minutes", ms: 15 * 60_000 },
  { value: "1h", label: "Last hour", ms: 3_600_000 },
  { value: "24h", label: "Last 24 hours", ms: 86_400_000 },
  { value: "7d", label: "Last 7 days", ms: 7 * 86_400_000 },
];

/** One page of the log, filtered by the server (status, event type, creation time). */
async function fetchPage(client: TocsinClient, tenant: string, endpointId: string | undefined, q: DeliveryQuery, cursor?: string) {
  return unwrap(
    client.GET("/v1/tenants/{tenant}/deliveries", {
      params: { path: { tenant }, query: { limit: PAGE, ...q, ...(endpointId ? { endpointId } : {}), ...(cursor ? { cursor } : {}) } },
    }),
  );
}

/** The delivery log of a tenant, or of one endpoint: filterable, live, with retry for failed deliveries. */
export function DeliveryLog({ tenant, endpointId }: { tenant: string; endpointId?: string }) {
  const { client, session } = useConsole();
  const [status, setStatus] = useState<"" | DeliveryStatus>("");
  const [typeInput, setTypeInput] = useState("");
  // The type filter applies once typing pauses, not at every keystroke.
  const [type, setType] = useState("");
  useEffect(() => {
    const t = window.setTimeout(() => setType(typeInput), 400);
    return () => window.clearTimeout(t);
  }, [typeInput]);
  const typeError = typeFilterError(typeInput);
  const [sinceChoice, setSinceChoice] = useState("");
  const [live, setLive] = useState(true);
  const [extra, setExtra] = useState<{ items: Row[]; cursor: string | null } | null>(null);
  const withinMs = SINCE.find((s) => s.value === sinceChoice)?.ms ?? null;
  const filter: DeliveryFilter = { status, type, withinMs };

  const first = useLoad(
    async () => {
      // The query (its time window included) is kept with the page, so "Load older" continues it.
      const query = deliveryQuery(filter, Date.now());
      const page = await fetchPage(client, tenant, endpointId, query);
      return { items: page.data, cursor: page.nextCursor, query };
    },
    [client, tenant, endpointId, status, type, withinMs],
    live ? 2000 : undefined,
  );
  useEffect(() => setExtra(null), [status, type, withinMs]);
  const endpoints = useLoad(
    () => (endpointId ? Promise.resolve(null) : unwrap(client.GET("/v1/tenants/{tenant}/endpoints", { params: { path: { tenant }, query: { limit: 100 } } }))),
    [client, tenant, endpointId],
  );
  const names = new Map((endpoints.data?.data ?? []).map((e) => [e.id, e.name || e.url]));

  const more = useAction();
  const cursor = extra ? extra.cursor : first.data?.cursor;
  const loadMore = () =>
    more.act(async () => {
      if (!cursor || !first.data) return;
      const page = await fetchPage(client, tenant, endpointId, first.data.query, cursor);
      setExtra((x) => ({ items: [...(x?.items ?? []), ...page.data], cursor: page.nextCursor }));
    });

  const retry = useAction();
  const retryOne = (id: string) =>
    retry.act(async () => {
      await unwrap(client.POST("/v1/tenants/{tenant}/deliveries/{id}/retry", { params: { path: { tenant, id } } }));
      first.reload();
    });

  const seen = new Set<string>();
  const all = [...(first.data?.items ?? []), ...(extra?.items ?? [])].filter((d) => {
    if (seen.has(d.id)) return false;
    seen.add(d.id);
    return true;
  });
  const rows = all;
  // Whether the page shown was filtered: by what was sent, not by what is being typed.
  const filtered = Object.keys(first.data?.query ?? {}).length > 0;
  const now = Date.now();
  const writable = can(session, "endpoints:write");

  return (
    <section className="delivery-log" aria-labelledby="log-title">
      <h2 id="log-title">Delivery log</h2>
      <form className="filters" role="search" aria-label="Filter deliveries" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="log-status">Status</label>
          <select id="log-status" value={status} onChange={(e) => setStatus(e.target.value as "" | DeliveryStatus)}>
            <option value="">All</option>
            {DELIVERY_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="log-type">Event type</label>
          <input
            id="log-type"
            value={typeInput}
            placeholder="alert.* or alert.fired"
            onChange={(e) => setTypeInput(e.target.value)}
            autoComplete="off"
            spellCheck={false}
            aria-invalid={typeError !== null}
            aria-describedby={typeError ? "log-type-error" : undefined}
          />
          {typeError ? (
            <p className="field-error" id="log-type-error">
              {typeError}
            </p>
          ) : null}
        </div>
        <div className="field">
          <label htmlFor="log-since">Time</label>
          <select id="log-since" value={sinceChoice} onChange={(e) => setSinceChoice(e.target.value)}>
            {SINCE.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field check">
          <input id="log-live" type="checkbox" checked={live} onChange={(e) => setLive(e.target.checked)} />
          <label htmlFor="log-live">Live (refresh every 2 s)</label>
        </div>
      </form>
      {first.loading && !first.data ? <Loading /> : null}
      <ErrorNote error={first.error ?? retry.error} />
      {first.data && rows.length === 0 ? <p className="empty">No deliveries{filtered ? " match these filters" : " yet"}.</p> : null}
      {rows.length > 0 ? (
        <table className="list deliveries" aria-label="Deliveries">
          <thead>
            <tr>
              <th scope="col">Created</th>
              <th scope="col">Event type</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last result</th>
              {endpointId ? null : <th scope="col">Webhook</th>}
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((d) => (
              <tr key={d.id} data-delivery={d.id} data-status={d.status}>
                <td data-label="Created" title={d.createdAt}>
                  {relativeTime(d.createdAt, now)}
                </td>
                <td data-label="Event type">
                  <code>{d.eventType}</code>
                </td>
                <td data-label="Status">
                  <Badge status={d.status} />
                </td>
                <td data-label="Attempts">{d.attemptCount}</td>
                <td data-label="Last result">
                  {d.lastStatusCode !== null ? `HTTP ${d.lastStatusCode}` : null}
                  {d.lastError && d.status !== "succeeded" ? <div className="muted small">{d.lastError}</div> : null}
                  {d.status === "pending" && d.nextAttemptAt ? <div className="muted small">next {relativeTime(d.nextAttemptAt, now)}</div> : null}
                </td>
                {endpointId ? null : <td data-label="Webhook">{names.get(d.endpointId) ?? <code className="small">{d.endpointId}</code>}</td>}
                <td>
                  <div className="row-actions">
                    <Link to={{ page: "delivery", tenant, id: d.id }}>Inspect</Link>
                    {writable && d.status === "failed" ? (
                      <button type="button" onClick={() => void retryOne(d.id)} disabled={retry.busy}>
                        Retry
                      </button>
                    ) : null}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {cursor ? (
        <button type="button" onClick={() => void loadMore()} disabled={more.busy}>
          Load older deliveries
        </button>
      ) : null}
      <ErrorNote error={more.error} />
    </section>
  );
}
