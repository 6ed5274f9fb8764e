import { useEffect, useState } from "react";
import { type Delivery, type TocsinClient, unwrap } from "@tocsin/client";
import { useConsole } from "../context.ts";
import { useAction, useLoad, useSearchState } from "../hooks.ts";
import {
  DELIVERY_STATUSES,
  type DeliveryFilter,
  type DeliveryQuery,
  type DeliveryStatus,
  LOG_SINCE,
  deliveryQuery,
  logSearchChanges,
  logSearchOf,
  relativeTime,
  typeFilterError,
} from "../lib/deliveries.ts";
import { waitingText } from "../lib/health.ts";
import { can } from "../lib/session.ts";
import { ReasonLine } from "./ReasonLine.tsx";
import { RetryFailed } from "./RetryFailed.tsx";
import { Badge, Breakable, ConfirmDialog, ErrorNote, Link, Loading } from "./ui.tsx";

type Row = Omit<Delivery, "attempts">;
const PAGE = 50;

/** One page of the log, filtered by the server (status, event type, creation time). */
async function fetchPage(client: TocsinClient, tenant: string, endpointId: string | undefined, q: DeliveryQuery, cursor?: string) {
  return unwrap(
    client.GET("/v1/tenants/{tenant}/deliveries", {
      params: { path: { tenant }, query: { limit: PAGE, ...q, ...(endpointId ? { endpointId } : {}), ...(cursor ? { cursor } : {}) } },
    }),
  );
}

/**
 * The delivery log of a tenant, or of one endpoint: filterable (the filters live in the address),
 * live, with Retry for failed deliveries, Retry now for pending ones and Retry all failed.
 */
export function DeliveryLog({ tenant, endpointId: fixedEndpoint }: { tenant: string; endpointId?: string }) {
  const { client, session } = useConsole();
  const [search, setSearch] = useSearchState();
  const applied = logSearchOf(search);
  const { status, type } = applied;
  const endpointId = fixedEndpoint ?? (applied.endpoint || undefined);
  const [typeInput, setTypeInput] = useState(type);
  // Back and shared links change the address: the field follows.
  useEffect(() => setTypeInput(type), [type]);
  // The type filter applies once typing pauses, not at every keystroke.
  useEffect(() => {
    if (typeInput === type) return;
    const t = window.setTimeout(() => setSearch(logSearchChanges({ type: typeInput.trim() === "" ? "" : typeInput }), { replace: true }), 400);
    return () => window.clearTimeout(t);
    // Only typing schedules a change; `type` following the address must not.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [typeInput]);
  const typeError = typeFilterError(typeInput);
  const [live, setLive] = useState(true);
  const [extra, setExtra] = useState<{ items: Row[]; cursor: string | null } | null>(null);
  const withinMs = LOG_SINCE.find((s) => s.value === applied.since)?.ms ?? null;
  const filter: DeliveryFilter = { status, type, withinMs };
  // Deliveries retried here stay in view with their new state, whatever the filter.
  const [retried, setRetried] = useState<string[]>([]);

  const first = useLoad(
    async () => {
      // The query (its time window included) is kept with the page, so "Load older" continues it.
      const query = { ...deliveryQuery(filter, Date.now()), ...(applied.event ? { eventId: applied.event } : {}) };
      const [page, kept] = await Promise.all([
        fetchPage(client, tenant, endpointId, query),
        Promise.all(retried.map((id) => unwrap(client.GET("/v1/tenants/{tenant}/deliveries/{id}", { params: { path: { tenant, id } } })).catch(() => null))),
      ]);
      return { items: page.data, cursor: page.nextCursor, query, kept: kept.filter((d): d is Delivery => d !== null) };
    },
    [client, tenant, endpointId, status, type, withinMs, applied.event, retried],
    live ? 2000 : undefined,
  );
  useEffect(() => {
    setExtra(null);
    setRetried([]);
  }, [status, type, withinMs, endpointId, applied.event]);
  const endpoints = useLoad(
    () =>
      fixedEndpoint ? Promise.resolve(null) : unwrap(client.GET("/v1/tenants/{tenant}/endpoints", { params: { path: { tenant }, query: { limit: 100 } } })),
    [client, tenant, fixedEndpoint],
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
  const [confirm, setConfirm] = useState<Row | null>(null);
  const [done, setDone] = useState<{ id: string; text: string } | null>(null);
  const retryOne = (d: Row) =>
    retry.act(async () => {
      const r = await unwrap(client.POST("/v1/tenants/{tenant}/deliveries/{id}/retry", { params: { path: { tenant, id: d.id } } }));
      setConfirm(null);
      setRetried((ids) => (ids.includes(d.id) ? ids : [...ids, d.id]));
      setDone({ id: d.id, text: d.status === "failed" ? "Retried: it is pending again and goes now." : "Sent now: it is due at once." });
      setFresh((m) => new Map(m).set(d.id, r));
      first.reload();
    });
  // The retry's own answer, shown until the next load brings the row.
  const [fresh, setFresh] = useState<Map<string, Row>>(new Map());
  useEffect(() => setFresh(new Map()), [first.data]);

  const seen = new Set<string>();
  const loaded = [...(first.data?.items ?? []), ...(extra?.items ?? [])];
  const rows = [...loaded, ...(first.data?.kept ?? []).filter((k) => !loaded.some((d) => d.id === k.id))]
    .map((d) => fresh.get(d.id) ?? (first.data?.kept.find((k) => k.id === d.id) as Row | undefined) ?? d)
    .filter((d) => {
      if (seen.has(d.id)) return false;
      seen.add(d.id);
      return true;
    });
  // Whether the page shown was filtered: by what was sent, not by what is being typed.
  const filtered = Object.keys(first.data?.query ?? {}).length > 0 || endpointId !== fixedEndpoint;
  const now = Date.now();
  const writable = can(session, "endpoints:write");

  return (
    <section className="delivery-log" aria-labelledby="log-title">
      <h2 id="log-title">Delivery log</h2>
      <form className="filters" role="search" aria-label="Filter deliveries" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="log-status">Status</label>
          <select id="log-status" value={status} onChange={(e) => setSearch(logSearchChanges({ status: e.target.value as "" | DeliveryStatus }))}>
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
          <select id="log-since" value={applied.since} onChange={(e) => setSearch(logSearchChanges({ since: e.target.value }))}>
            {LOG_SINCE.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
        {fixedEndpoint ? null : (
          <div className="field">
            <label htmlFor="log-endpoint">Webhook</label>
            <select id="log-endpoint" value={applied.endpoint} onChange={(e) => setSearch(logSearchChanges({ endpoint: e.target.value }))}>
              <option value="">All webhooks</option>
              {(endpoints.data?.data ?? []).map((e) => (
                <option key={e.id} value={e.id}>
                  {e.name || e.url}
                </option>
              ))}
              {applied.endpoint && !names.has(applied.endpoint) ? <option value={applied.endpoint}>{applied.endpoint}</option> : null}
            </select>
          </div>
        )}
        <div className="field check">
          <input id="log-live" type="checkbox" checked={live} onChange={(e) => setLive(e.target.checked)} />
          <label htmlFor="log-live">Live (refresh every 2 s)</label>
        </div>
      </form>
      {applied.event ? (
        <p className="notice">
          The deliveries of event <code>{applied.event}</code>.{" "}
          <button type="button" className="link-button" onClick={() => setSearch({ event: null })}>
            Show every event's
          </button>
        </p>
      ) : null}
      {/* Retry all failed works on the filters the route takes: webhook, type and time, not one event. */}
      {writable && !applied.event ? (
        <RetryFailed tenant={tenant} endpointId={endpointId} type={typeError === null ? type : ""} withinMs={withinMs} onDone={first.reload} />
      ) : null}
      {first.loading && !first.data ? <Loading /> : null}
      <ErrorNote error={first.error ?? (confirm ? null : retry.error)} />
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
              {fixedEndpoint ? null : <th scope="col">Webhook</th>}
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
                  {d.waitingFor ? (
                    <div className="muted small" data-waiting={d.waitingFor.reason}>
                      {waitingText(d.waitingFor, now)}
                    </div>
                  ) : null}
                  <ReasonLine tenant={tenant} delivery={d} />
                  {done?.id === d.id ? (
                    <div className="ok-text small" role="status">
                      {done.text}
                    </div>
                  ) : null}
                </td>
                {fixedEndpoint ? null : (
                  <td data-label="Webhook" className="break">
                    {names.has(d.endpointId) ? <Breakable text={names.get(d.endpointId)!} /> : <code className="small">{d.endpointId}</code>}
                  </td>
                )}
                <td>
                  <div className="row-actions">
                    <Link to={{ page: "delivery", tenant, id: d.id }}>Inspect</Link>
                    {writable && d.status === "failed" ? (
                      <button type="button" onClick={() => setConfirm(d)} disabled={retry.busy}>
                        Retry
                      </button>
                    ) : null}
                    {writable && d.status === "pending" ? (
                      <button type="button" onClick={() => setConfirm(d)} disabled={retry.busy}>
                        Retry now
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
      <ConfirmDialog
        open={confirm !== null}
        title={confirm?.status === "pending" ? "Send this delivery now?" : "Retry this delivery?"}
        confirmLabel={confirm?.status === "pending" ? "Send now" : "Retry"}
        busy={retry.busy}
        onConfirm={() => confirm && void retryOne(confirm)}
        onCancel={() => {
          setConfirm(null);
          retry.setError(null);
        }}
      >
        <p>
          {confirm?.status === "pending"
            ? "It stops waiting for its retry time and goes at once, unless the webhook's circuit is open or its rate limit holds."
            : `It gets one more attempt now (attempt ${(confirm?.attemptCount ?? 0) + 1}).`}{" "}
          <code className="small">{confirm?.eventType}</code>
        </p>
        <ErrorNote error={retry.error} />
      </ConfirmDialog>
    </section>
  );
}
