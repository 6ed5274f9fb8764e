import { type Endpoint, unwrap } from "@tocsin/client";
import { HealthBadge, WarningMark } from "../components/HealthBadge.tsx";
import { Breakable, ErrorNote, Link, Loading, PageHeader, percent } from "../components/ui.tsx";
import { useConsole } from "../context.ts";
import { useLoad } from "../hooks.ts";
import { relativeTime } from "../lib/deliveries.ts";
import { can } from "../lib/session.ts";

/** The latest attempt's time and whether it succeeded, from the endpoint's health. */
export function lastAttempt(ep: Endpoint): { at: string | null; ok: boolean | null } {
  const s = ep.health.lastSuccessAt;
  const f = ep.health.lastFailureAt;
  if (!s && !f) return { at: null, ok: null };
  if (s && (!f || Date.parse(s) >= Date.parse(f))) return { at: s, ok: true };
  return { at: f, ok: false };
}

/** "Settings → Integrations → Webhook": the tenant's endpoints with their health at a glance. */
export function EndpointsPage({ tenant }: { tenant: string }) {
  const { client, session } = useConsole();
  const list = useLoad(
    () => unwrap(client.GET("/v1/tenants/{tenant}/endpoints", { params: { path: { tenant }, query: { limit: 100 } } })),
    [client, tenant],
    5000,
  );
  const writable = can(session, "endpoints:write");
  const now = Date.now();
  const endpoints = list.data?.data ?? [];
  return (
    <section aria-labelledby="endpoints-title">
      <PageHeader
        title={<span id="endpoints-title">Integrations</span>}
        subtitle="Webhooks that receive this tenant's events."
        actions={
          writable ? (
            <Link to={{ page: "endpoint-new", tenant }} className="button primary">
              Add webhook
            </Link>
          ) : null
        }
      />
      {list.loading && !list.data ? <Loading /> : null}
      <ErrorNote error={list.error} />
      {list.data && endpoints.length === 0 ? (
        <div className="empty">
          <p>No webhooks yet.</p>
          {writable ? <p>Add one: give its URL and the event types it wants, then press Test.</p> : null}
        </div>
      ) : null}
      {endpoints.length > 0 ? (
        <table className="list endpoints" aria-label="Webhooks">
          <thead>
            <tr>
              <th scope="col">Webhook</th>
              <th scope="col">Status</th>
              <th scope="col">Success rate</th>
              <th scope="col">Last attempt</th>
              <th scope="col">Event types</th>
            </tr>
          </thead>
          <tbody>
            {endpoints.map((ep) => {
              const last = lastAttempt(ep);
              return (
                <tr key={ep.id} data-endpoint={ep.id}>
                  <td data-label="Webhook">
                    <Link to={{ page: "endpoint", tenant, id: ep.id, tab: "overview" }}>
                      <span className="break">{ep.name || <Breakable text={ep.url} />}</span>
                    </Link>
                    {ep.name ? (
                      <div className="muted small break">
                        <Breakable text={ep.url} />
                      </div>
                    ) : null}
                  </td>
                  <td data-label="Status">
                    <HealthBadge endpoint={ep} now={now} />
                    {ep.warnings.length > 0 ? (
                      <div className="small">
                        <WarningMark warnings={ep.warnings} />
                      </div>
                    ) : null}
                  </td>
                  <td data-label="Success rate">
                    {percent(ep.health.successRate)}
                    {ep.health.windowAttempts > 0 ? <span className="muted small"> of {ep.health.windowAttempts}</span> : null}
                  </td>
                  <td data-label="Last attempt">
                    {last.ok === null ? (
                      <span className="muted">never</span>
                    ) : (
                      <span className={last.ok ? "ok-text" : "bad-text"}>
                        {last.ok ? "✓" : "✗"} {relativeTime(last.at, now)}
                      </span>
                    )}
                    {last.ok === false && ep.health.lastFailureReason ? <div className="muted small">{ep.health.lastFailureReason}</div> : null}
                  </td>
                  <td data-label="Event types">
                    <code className="small">{ep.eventTypes.length ? ep.eventTypes.join(", ") : "none"}</code>
                    {ep.minSeverity ? <span className="muted small"> ≥ {ep.minSeverity}</span> : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
