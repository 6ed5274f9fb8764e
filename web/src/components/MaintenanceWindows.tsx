import { unwrap } from "@tocsin/client";
import { useConsole } from "../context.ts";
import { useLoad } from "../hooks.ts";
import { pathOf } from "../lib/routes.ts";
import { prefillSearch } from "../lib/silence-form.ts";
import { appliesTo } from "../lib/silence-words.ts";
import { SilenceTable } from "./SilenceTable.tsx";
import { ErrorNote, Link } from "./ui.tsx";

/**
 * The weekly silences that apply to one webhook (naming it, or the whole tenant), with their
 * schedules and next windows, and "Add maintenance window" for writers.
 */
export function MaintenanceWindows({
  tenant,
  endpointId,
  endpointName,
  writable,
}: {
  tenant: string;
  endpointId: string;
  endpointName: string;
  writable: boolean;
}) {
  const { client } = useConsole();
  const windows = useLoad(
    async () => {
      const page = await unwrap(
        client.GET("/v1/tenants/{tenant}/silences", { params: { path: { tenant }, query: { recurring: true, endpointId, limit: 100 } } }),
      );
      return page.data.filter((s) => s.schedule !== null && s.state !== "expired" && appliesTo(s, endpointId));
    },
    [client, tenant, endpointId],
    30_000,
  );
  const rows = windows.data ?? [];
  return (
    <section className="card maintenance" aria-labelledby="maintenance-title">
      <h2 id="maintenance-title">Maintenance windows</h2>
      <p className="muted small">
        Weekly silences for this webhook or the whole tenant: nothing is sent during a window; its deliveries are recorded as suppressed.
      </p>
      <ErrorNote error={windows.error} />
      {windows.data && rows.length === 0 ? <p className="empty">No maintenance windows.</p> : null}
      {rows.length > 0 ? (
        <SilenceTable
          tenant={tenant}
          silences={rows}
          names={new Map([[endpointId, endpointName]])}
          writable={writable}
          onChanged={windows.reload}
          label="Maintenance windows"
        />
      ) : null}
      {writable ? (
        <Link to={`${pathOf({ page: "silence-new", tenant })}?${prefillSearch({ endpointId, recurring: true })}`} className="button">
          Add maintenance window
        </Link>
      ) : null}
    </section>
  );
}
