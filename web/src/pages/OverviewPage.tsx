import { unwrap } from "@tocsin/client";
import { EndpointCharts } from "../components/Charts.tsx";
import { Badge, ErrorNote, PageHeader } from "../components/ui.tsx";
import { useConsole } from "../context.ts";
import { useLoad, useSearchState } from "../hooks.ts";
import { countByHealth } from "../lib/health.ts";

/** The tenant at a glance: its webhooks' states, and deliveries and latency over time. */
export function OverviewPage({ tenant }: { tenant: string }) {
  const { client } = useConsole();
  const endpoints = useLoad(
    () => unwrap(client.GET("/v1/tenants/{tenant}/endpoints", { params: { path: { tenant }, query: { limit: 100 } } })),
    [client, tenant],
    15_000,
  );
  const [search, setSearch] = useSearchState();
  const endpointId = new URLSearchParams(search).get("endpoint") ?? "";
  // Counted by what each webhook's badge says: one whose attempts all fail is not active.
  const counts = countByHealth(endpoints.data?.data ?? [], Date.now());
  return (
    <section>
      <PageHeader title="Overview" subtitle={`Tenant ${tenant}`} />
      <ErrorNote error={endpoints.error} />
      <dl className="stats">
        <div>
          <dt>Webhooks</dt>
          <dd>{endpoints.data?.data.length ?? "…"}</dd>
        </div>
        {counts.map(([status, n]) => (
          <div key={status} data-count={status}>
            <dt>
              <Badge status={status} />
            </dt>
            <dd>{n}</dd>
          </div>
        ))}
      </dl>
      <div className="field narrow">
        <label htmlFor="overview-endpoint">Webhook</label>
        <select id="overview-endpoint" value={endpointId} onChange={(e) => setSearch({ endpoint: e.target.value || null })}>
          <option value="">All webhooks</option>
          {(endpoints.data?.data ?? []).map((e) => (
            <option key={e.id} value={e.id}>
              {e.name || e.url}
            </option>
          ))}
        </select>
      </div>
      <EndpointCharts tenant={tenant} endpointId={endpointId || undefined} />
    </section>
  );
}
