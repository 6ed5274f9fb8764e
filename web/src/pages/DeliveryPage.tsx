import { useState } from "react";
import { type Delivery, unwrap } from "@tocsin/client";
import { Badge, BodyView, ConfirmDialog, ErrorNote, HeaderTable, Link, Loading, PageHeader, formatTime } from "../components/ui.tsx";
import { useConsole } from "../context.ts";
import { useAction, useLoad } from "../hooks.ts";
import { formatMs } from "../lib/deliveries.ts";
import { ReasonLine } from "../components/ReasonLine.tsx";
import { SentRequest } from "../components/SentRequest.tsx";
import { pathOf } from "../lib/routes.ts";
import { prefillSearch } from "../lib/silence-form.ts";
import { waitingText } from "../lib/health.ts";
import { can } from "../lib/session.ts";

type Attempt = Delivery["attempts"][number];

/** One delivery and the inspector of its attempts; retry when it failed. */
export function DeliveryPage({ tenant, id }: { tenant: string; id: string }) {
  const { client, session } = useConsole();
  const [waiting, setWaiting] = useState(true);
  // Poll quickly while the delivery is on its way, slowly once it has settled.
  const d = useLoad(
    async () => {
      const r = await unwrap(client.GET("/v1/tenants/{tenant}/deliveries/{id}", { params: { path: { tenant, id } } }));
      setWaiting(r.status === "pending" || r.status === "delivering");
      return r;
    },
    [client, tenant, id],
    waiting ? 1000 : 5000,
  );
  const eventId = d.data?.eventId;
  const endpointId = d.data?.endpointId;
  const event = useLoad(
    () => (eventId ? unwrap(client.GET("/v1/tenants/{tenant}/events/{id}", { params: { path: { tenant, id: eventId } } })) : Promise.resolve(null)),
    [client, tenant, eventId],
  );
  const endpoint = useLoad(
    // Found in the list (a tenant has at most 100), not by id: a deleted endpoint's deliveries stay
    // in the log, and asking for its document would be a 404.
    async () => {
      if (!endpointId) return null;
      const list = await unwrap(client.GET("/v1/tenants/{tenant}/endpoints", { params: { path: { tenant }, query: { limit: 100 } } }));
      return list.data.find((e) => e.id === endpointId) ?? null;
    },
    [client, tenant, endpointId],
  );
  const retry = useAction();
  const [confirm, setConfirm] = useState(false);
  const [done, setDone] = useState<string | null>(null);

  if (d.loading && !d.data) return <Loading />;
  if (!d.data) return <ErrorNote error={d.error} />;
  const del = d.data;
  const ep = endpoint.data;

  const doRetry = () =>
    retry.act(async () => {
      await unwrap(client.POST("/v1/tenants/{tenant}/deliveries/{id}/retry", { params: { path: { tenant, id } } }));
      setConfirm(false);
      setDone(del.status === "failed" ? "Retried: it is pending again and goes now." : "Sent now: it is due at once.");
      setWaiting(true);
      d.reload();
    });
  const pending = del.status === "pending";

  // Silence events like this one: its type, its alert's fingerprint when it has one, on this webhook.
  const silenceLink = `${pathOf({ page: "silence-new", tenant })}?${prefillSearch({
    type: del.eventType,
    fingerprint: event.data?.fingerprint ?? null,
    endpointId: del.endpointId,
  })}`;
  const attempts = [...del.attempts].sort((a, b) => b.attemptNo - a.attemptNo);
  return (
    <section aria-labelledby="delivery-title">
      <p className="crumbs">
        <Link to={{ page: "deliveries", tenant }}>Deliveries</Link> ›
      </p>
      <PageHeader
        title={
          <span id="delivery-title">
            <code>{del.eventType}</code> <Badge status={del.status} />
          </span>
        }
        subtitle={<code>{del.id}</code>}
        actions={
          can(session, "endpoints:write") ? (
            <>
              {del.status === "failed" || pending ? (
                <button type="button" className="primary" onClick={() => setConfirm(true)} disabled={retry.busy}>
                  {pending ? "Retry now" : "Retry"}
                </button>
              ) : null}
              {/* Offered once the event is read, so its fingerprint is in the link. */}
              {event.data !== undefined || event.error ? (
                <Link to={silenceLink} className="button">
                  Silence…
                </Link>
              ) : null}
            </>
          ) : null
        }
      />
      <ReasonLine tenant={tenant} delivery={del} />
      <ErrorNote error={confirm ? d.error : (retry.error ?? d.error)} />
      {done ? (
        <p className="notice" role="status">
          {done} Status: {del.status}.
        </p>
      ) : null}
      <dl className="stats">
        <div>
          <dt>Webhook</dt>
          <dd>{ep ? <Link to={{ page: "endpoint", tenant, id: ep.id, tab: "deliveries" }}>{ep.name || ep.url}</Link> : <code>{del.endpointId}</code>}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{formatTime(del.createdAt)}</dd>
        </div>
        <div>
          <dt>Attempts</dt>
          <dd>{del.attemptCount}</dd>
          {del.waitingFor ? (
            <dd className="muted small" data-waiting={del.waitingFor.reason}>
              {waitingText(del.waitingFor, Date.now())}
            </dd>
          ) : null}
        </div>
        <div>
          <dt>Event</dt>
          <dd>
            <code>{del.eventId}</code>
          </dd>
          {del.batchId ? <dd className="muted small">in batch {del.batchId}</dd> : null}
        </div>
      </dl>

      <ConfirmDialog
        open={confirm}
        title={pending ? "Send this delivery now?" : "Retry this delivery?"}
        confirmLabel={pending ? "Send now" : "Retry"}
        busy={retry.busy}
        onConfirm={() => void doRetry()}
        onCancel={() => {
          setConfirm(false);
          retry.setError(null);
        }}
      >
        <p>
          {pending
            ? "It stops waiting and goes at once, unless the webhook's circuit is open or its rate limit holds."
            : `It gets one more attempt now (attempt ${del.attemptCount + 1}).`}
        </p>
        <ErrorNote error={retry.error} />
      </ConfirmDialog>

      <h2>Attempts</h2>
      {attempts.length === 0 ? (
        <p className="empty">
          {del.status === "suppressed" ? "No attempt: nothing was sent." : `No attempt yet${del.status === "pending" ? ": it is waiting to be sent" : ""}.`}
        </p>
      ) : null}
      {attempts.map((a, i) => (
        <AttemptView key={a.id} a={a} open={i === 0} />
      ))}

      <section className="card" aria-labelledby="event-title">
        <h2 id="event-title">Event</h2>
        <p className="muted small">
          The event's payload as the browser reads it (number text such as 9.50 may show as 9.5 here). Each attempt above shows the exact bytes it sent.
        </p>
        {event.data ? <BodyView body={JSON.stringify(event.data.payload)} label="Event payload" /> : <ErrorNote error={event.error} />}
      </section>
    </section>
  );
}

function AttemptView({ a, open }: { a: Attempt; open: boolean }) {
  const ok = a.statusCode !== null && a.statusCode >= 200 && a.statusCode < 300;
  return (
    <details className="attempt card" open={open} data-attempt={a.attemptNo}>
      <summary>
        <span className={ok ? "ok-text" : "bad-text"}>
          #{a.attemptNo} · {a.statusCode !== null ? `HTTP ${a.statusCode}` : (a.errorClass ?? "error")}
        </span>{" "}
        <span className="muted">
          {formatTime(a.startedAt)} · {formatMs(a.durationMs)}
        </span>
      </summary>
      <dl className="kv-list">
        <div>
          <dt>Duration</dt>
          <dd>{a.durationMs} ms</dd>
        </div>
        <div>
          <dt>Error class</dt>
          <dd>{a.errorClass ?? "none"}</dd>
        </div>
        {a.errorMessage ? (
          <div>
            <dt>Error</dt>
            <dd>{a.errorMessage}</dd>
          </div>
        ) : null}
        <div>
          <dt>Retry</dt>
          <dd>{a.willRetry ? `yes, at ${formatTime(a.nextAttemptAt)}` : "no"}</dd>
        </div>
      </dl>
      <div className="split exchange">
        <section aria-label={`Request of attempt ${a.attemptNo}`} data-part="request">
          <h3>Request</h3>
          {a.request ? (
            <SentRequest request={a.request} />
          ) : (
            <p className="muted">
              {a.errorClass === "transform"
                ? "Nothing was sent: the payload transform failed (see the error above)."
                : "This attempt was recorded without its request."}
            </p>
          )}
        </section>
        <section aria-label={`Response of attempt ${a.attemptNo}`} data-part="response">
          <h3>Response</h3>
          {a.statusCode !== null ? <p>HTTP {a.statusCode}</p> : <p className="muted">No response{a.errorClass ? ` (${a.errorClass})` : ""}.</p>}
          <HeaderTable headers={a.responseHeaders} caption="Response headers" />
          <BodyView body={a.responseBody} label="Response body (first 16 KiB)" />
        </section>
      </div>
    </details>
  );
}
