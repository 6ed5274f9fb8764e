import { useState } from "react";
import { type Endpoint, unwrap } from "@tocsin/client";
import { DeliveryLog } from "../components/DeliveryLog.tsx";
import { EndpointCharts } from "../components/Charts.tsx";
import { PreviewPanel } from "../components/PreviewPanel.tsx";
import { ReplayPanel } from "../components/ReplayPanel.tsx";
import { SecretPanel } from "../components/SecretPanel.tsx";
import { SettingsSummary } from "../components/SettingsSummary.tsx";
import { TestPanel } from "../components/TestPanel.tsx";
import { HealthBadge } from "../components/HealthBadge.tsx";
import { MaintenanceWindows } from "../components/MaintenanceWindows.tsx";
import { Badge, Breakable, ConfirmDialog, ErrorNote, Link, Loading, PageHeader, formatTime, percent } from "../components/ui.tsx";
import { useConsole } from "../context.ts";
import { useAction, useLoad } from "../hooks.ts";
import type { EndpointTab } from "../lib/routes.ts";
import { withFormLabels } from "../lib/endpoint-errors.ts";
import { can } from "../lib/session.ts";

const TABS: { tab: EndpointTab; label: string }[] = [
  { tab: "overview", label: "Overview" },
  { tab: "test", label: "Test" },
  { tab: "deliveries", label: "Deliveries" },
  { tab: "settings", label: "Settings" },
];

/** One webhook: its health, the Test button, its delivery log, its settings and the actions on it. */
export function EndpointPage({ tenant, id, tab }: { tenant: string; id: string; tab: EndpointTab }) {
  const { client, session, navigate } = useConsole();
  const [deleting, setDeleting] = useState(false);
  // No refresh once a delete is under way: the document is about to be gone.
  const ep = useLoad(
    () => unwrap(client.GET("/v1/tenants/{tenant}/endpoints/{id}", { params: { path: { tenant, id } } })),
    [client, tenant, id],
    deleting ? undefined : 5000,
  );
  const types = useLoad(() => unwrap(client.GET("/v1/event-types", { params: { query: { limit: 200 } } })), [client]);
  const action = useAction();
  const [confirmDelete, setConfirmDelete] = useState(false);
  const writable = can(session, "endpoints:write");

  if (ep.loading && !ep.data) return <Loading />;
  if (!ep.data) return <ErrorNote error={ep.error} />;
  const e = ep.data;
  const knownTypes = (types.data?.data ?? []).map((t) => t.name);

  const setEnabled = (enabled: boolean) =>
    action.act(async () => {
      await unwrap(client.PATCH("/v1/tenants/{tenant}/endpoints/{id}", { params: { path: { tenant, id } }, body: { enabled } }));
      ep.reload();
    });
  const remove = () =>
    action.act(async () => {
      setDeleting(true);
      try {
        await unwrap(client.DELETE("/v1/tenants/{tenant}/endpoints/{id}", { params: { path: { tenant, id } } }));
      } catch (e) {
        setDeleting(false);
        setConfirmDelete(false);
        throw e;
      }
      setConfirmDelete(false);
      navigate({ page: "endpoints", tenant });
    });
  const validate = () =>
    action.act(async () => {
      await unwrap(client.POST("/v1/tenants/{tenant}/endpoints/{id}/validate", { params: { path: { tenant, id } } }));
      ep.reload();
    });

  return (
    <section aria-labelledby="endpoint-title">
      <p className="crumbs">
        <Link to={{ page: "endpoints", tenant }}>Integrations</Link> ›
      </p>
      <PageHeader
        title={
          <span id="endpoint-title">
            {e.name || "Webhook"} <HealthBadge endpoint={e} />
          </span>
        }
        subtitle={
          <span className="break">
            {e.method} <Breakable text={e.url} />
          </span>
        }
        actions={
          writable ? (
            <>
              <Link to={{ page: "endpoint-edit", tenant, id }} className="button">
                Edit
              </Link>
              {e.enabled ? (
                <button type="button" onClick={() => void setEnabled(false)} disabled={action.busy}>
                  Disable
                </button>
              ) : (
                <button type="button" onClick={() => void setEnabled(true)} disabled={action.busy}>
                  Enable
                </button>
              )}
              {e.validation.mode !== "none" ? (
                <button type="button" onClick={() => void validate()} disabled={action.busy}>
                  Validate now
                </button>
              ) : null}
              <button type="button" className="danger" onClick={() => setConfirmDelete(true)}>
                Delete
              </button>
            </>
          ) : null
        }
      />
      <ErrorNote error={action.error ?? ep.error} />
      {e.warnings.map((w) => (
        <p key={w} className="warning" role="note">
          <span aria-hidden="true">⚠</span> <strong>Warning:</strong> {withFormLabels(w)}
        </p>
      ))}
      {!e.enabled ? (
        <p className="notice">
          Disabled
          {e.disabledReason === "gone" ? " after the receiver answered 410 Gone" : e.disabledReason === "failing" ? " after failing for too long" : " by hand"}.
          Waiting deliveries are kept and sent when it is enabled again.
        </p>
      ) : null}
      <nav className="tabs" aria-label="Webhook sections">
        {TABS.map((t) => (
          <Link key={t.tab} to={{ page: "endpoint", tenant, id, tab: t.tab }} aria-current={t.tab === tab ? "page" : undefined}>
            {t.label}
          </Link>
        ))}
      </nav>
      {tab === "overview" ? <Overview tenant={tenant} e={e} writable={writable} /> : null}
      {tab === "test" ? <TestPanel tenant={tenant} endpoint={e} knownTypes={knownTypes} writable={writable} /> : null}
      {tab === "deliveries" ? (
        <>
          {writable ? <ReplayPanel tenant={tenant} endpointId={id} /> : null}
          <DeliveryLog tenant={tenant} endpointId={id} />
        </>
      ) : null}
      {tab === "settings" ? (
        <>
          <SettingsSummary e={e} />
          <PreviewPanel tenant={tenant} endpoint={e} knownTypes={knownTypes} />
        </>
      ) : null}
      <ConfirmDialog
        open={confirmDelete}
        title="Delete this webhook?"
        confirmLabel="Delete webhook"
        danger
        busy={action.busy}
        onConfirm={() => void remove()}
        onCancel={() => setConfirmDelete(false)}
      >
        <p>
          <strong className="break">{e.name || e.url}</strong> will stop receiving events. Its waiting deliveries are cancelled; its delivery history is kept
          for the retention period.
        </p>
      </ConfirmDialog>
    </section>
  );
}

function Overview({ tenant, e, writable }: { tenant: string; e: Endpoint; writable: boolean }) {
  const h = e.health;
  return (
    <>
      <dl className="stats">
        <div>
          <dt>Success rate</dt>
          <dd>
            {percent(h.successRate)} <Badge status={h.status === "healthy" ? "active" : h.status === "unknown" ? "disabled" : h.status} label={h.status} />
          </dd>
          <dd className="muted small">{h.windowAttempts} recent attempts</dd>
        </div>
        <div>
          <dt>Last success</dt>
          <dd>{formatTime(h.lastSuccessAt)}</dd>
        </div>
        <div>
          <dt>Last failure</dt>
          <dd>{formatTime(h.lastFailureAt)}</dd>
          {h.lastFailureReason ? <dd className="muted small">{h.lastFailureReason}</dd> : null}
        </div>
        <div>
          <dt>Circuit</dt>
          <dd>{h.circuit.replace("_", " ")}</dd>
          {h.circuitUntil ? <dd className="muted small">next probe at {formatTime(h.circuitUntil)}</dd> : null}
          {h.consecutiveFailures > 0 ? <dd className="muted small">{h.consecutiveFailures} failures in a row</dd> : null}
        </div>
        {e.validation.mode !== "none" ? (
          <div>
            <dt>Validation</dt>
            <dd>
              <Badge status={e.validation.status} />
            </dd>
            {e.validation.error ? <dd className="muted small">{e.validation.error}</dd> : null}
          </div>
        ) : null}
      </dl>
      {h.disableAt ? (
        <p className="warning" role="note">
          <span aria-hidden="true">⚠</span> <strong>Warning:</strong> it will be disabled on {formatTime(h.disableAt)} if it keeps failing.
        </p>
      ) : null}
      {writable ? <SecretPanel tenant={tenant} endpoint={e} /> : null}
      <MaintenanceWindows tenant={tenant} endpointId={e.id} endpointName={e.name || e.url} writable={writable} />
      <EndpointCharts tenant={tenant} endpointId={e.id} />
    </>
  );
}
