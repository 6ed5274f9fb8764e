import { unwrap } from "@tocsin/client";
import { Badge, ErrorNote, Link, Loading, PageHeader } from "../components/ui.tsx";
import { useConsole } from "../context.ts";
import { useLoad, useSearchState } from "../hooks.ts";
import { durationText, relativeTime } from "../lib/deliveries.ts";
import { pathOf } from "../lib/routes.ts";
import { prefillSearch } from "../lib/silence-form.ts";
import { reasonOf } from "../lib/silence-words.ts";
import { can } from "../lib/session.ts";

const STATUSES = [
  { value: "", label: "All" },
  { value: "open", label: "Open" },
  { value: "resolved", label: "Resolved" },
] as const;

/** The holds on an alert's sends (`Alert.holds`), read defensively: `[{endpointId, reason}]`. */
function holdsOf(a: object): { endpointId: string; message: string }[] {
  const holds = (a as { holds?: unknown }).holds;
  if (!Array.isArray(holds)) return [];
  return holds.flatMap((h: unknown) => {
    if (typeof h !== "object" || h === null) return [];
    const { endpointId } = h as { endpointId?: unknown };
    const reason = reasonOf(h);
    return typeof endpointId === "string" && reason ? [{ endpointId, message: reason.message }] : [];
  });
}

/** The tenant's alerts by fingerprint, open or resolved, with "Silence…" for each. */
export function AlertsPage({ tenant }: { tenant: string }) {
  const { client, session } = useConsole();
  const [search, setSearch] = useSearchState();
  const param = new URLSearchParams(search).get("status") ?? "";
  const status = param === "open" || param === "resolved" ? param : "";
  const alerts = useLoad(
    () => unwrap(client.GET("/v1/tenants/{tenant}/alerts", { params: { path: { tenant }, query: { limit: 100, ...(status ? { status } : {}) } } })),
    [client, tenant, status],
    5000,
  );
  const writable = can(session, "endpoints:write");
  const now = Date.now();
  const rows = alerts.data?.data ?? [];
  return (
    <section aria-labelledby="alerts-title">
      <PageHeader
        title={<span id="alerts-title">Alerts</span>}
        subtitle="Events with a fingerprint, followed from start to end. Silence one to stop its updates for a while."
      />
      <form className="filters" role="search" aria-label="Filter alerts" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="alert-status">Status</label>
          <select id="alert-status" value={status} onChange={(e) => setSearch({ status: e.target.value || null })}>
            {STATUSES.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
      </form>
      {alerts.loading && !alerts.data ? <Loading /> : null}
      <ErrorNote error={alerts.error} />
      {alerts.data && rows.length === 0 ? <p className="empty">No alerts{status ? ` ${status}` : " yet"}.</p> : null}
      {rows.length > 0 ? (
        <table className="list alerts" aria-label="Alerts">
          <thead>
            <tr>
              <th scope="col">Fingerprint</th>
              <th scope="col">Status</th>
              <th scope="col">Started</th>
              <th scope="col">Duration</th>
              <th scope="col">Updates</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((a) => (
              <tr key={a.fingerprint} data-alert={a.fingerprint} data-status={a.status}>
                <td data-label="Fingerprint" className="break">
                  <code>{a.fingerprint}</code>
                  {holdsOf(a).map((h) => (
                    <p key={h.endpointId} className="reason">
                      {h.message}
                    </p>
                  ))}
                </td>
                <td data-label="Status">
                  <Badge status={a.status} />
                </td>
                <td data-label="Started" title={a.startedAt}>
                  {relativeTime(a.startedAt, now)}
                </td>
                <td data-label="Duration">{durationText(a.durationMs)}</td>
                <td data-label="Updates">{a.updateCount}</td>
                <td>
                  <div className="row-actions">
                    <Link to={`${pathOf({ page: "deliveries", tenant })}?event=${encodeURIComponent(a.lastEventId)}`}>Last deliveries</Link>
                    {writable ? (
                      <Link to={`${pathOf({ page: "silence-new", tenant })}?${prefillSearch({ fingerprint: a.fingerprint })}`} className="button">
                        Silence…
                      </Link>
                    ) : null}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
