import { type FormEvent, useState } from "react";
import { unwrap } from "@tocsin/client";
import { ErrorNote, Link, Loading, PageHeader } from "../components/ui.tsx";
import { useConsole } from "../context.ts";
import { useAction, useLoad } from "../hooks.ts";
import { SEVERITIES } from "../lib/endpoint-form.ts";
import { relativeTime } from "../lib/deliveries.ts";
import { pathOf } from "../lib/routes.ts";

/** The delivery log filtered to one event's deliveries. */
const deliveriesOf = (tenant: string, eventId: string) => `${pathOf({ page: "deliveries", tenant })}?event=${encodeURIComponent(eventId)}`;

/** Operators only: post an event for this tenant by hand, and see the latest ones. */
export function EventsPage({ tenant }: { tenant: string }) {
  const { client } = useConsole();
  const catalog = useLoad(() => unwrap(client.GET("/v1/event-types", { params: { query: { limit: 1000 } } })), [client]);
  const recent = useLoad(
    () => unwrap(client.GET("/v1/tenants/{tenant}/events", { params: { path: { tenant }, query: { limit: 20 } } })),
    [client, tenant],
    5000,
  );
  const [type, setType] = useState("");
  const [severity, setSeverity] = useState("");
  const [payload, setPayload] = useState('{\n  "message": "Hello from Tocsin"\n}');
  const [fingerprint, setFingerprint] = useState("");
  const [state, setState] = useState("");
  const [posted, setPosted] = useState<{ text: string; id: string | null } | null>(null);
  const post = useAction();

  const chooseType = (name: string) => {
    setType(name);
    const example = catalog.data?.data.find((t) => t.name === name)?.example;
    if (example !== undefined && example !== null) setPayload(JSON.stringify(example, null, 2));
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void post.act(async () => {
      setPosted(null);
      try {
        JSON.parse(payload);
      } catch (err) {
        throw new Error(`The payload is not valid JSON: ${(err as Error).message}`);
      }
      const head: Record<string, string> = { type: type.trim() };
      if (severity) head.severity = severity;
      if (fingerprint.trim()) head.fingerprint = fingerprint.trim();
      if (state) head.state = state;
      // The payload's text goes as typed, so its numbers keep their exact digits.
      const text = `${JSON.stringify(head).slice(0, -1)},"payload":${payload.trim()}}`;
      const r = await unwrap(
        client.POST("/v1/tenants/{tenant}/events", { params: { path: { tenant } }, body: JSON.parse(text) as never, bodySerializer: () => text }),
      );
      setPosted(
        "id" in r
          ? { text: `Event ${r.id} posted: ${r.deliveries} ${r.deliveries === 1 ? "delivery" : "deliveries"} created.`, id: r.id }
          : { text: "Events posted.", id: null },
      );
      recent.reload();
    });
  };

  return (
    <section aria-labelledby="events-title">
      <PageHeader title={<span id="events-title">Events</span>} subtitle="Post an event by hand, as your product would, and see the latest ones." />
      <div className="two-col">
        <form className="card" onSubmit={submit} aria-labelledby="post-title">
          <h2 id="post-title">Post an event</h2>
          <div className="field">
            <label htmlFor="event-type">Type</label>
            <input
              id="event-type"
              list="event-type-names"
              value={type}
              onChange={(e) => chooseType(e.target.value)}
              required
              autoComplete="off"
              spellCheck={false}
              placeholder="e.g. alert.fired"
            />
            <datalist id="event-type-names">
              {(catalog.data?.data ?? []).map((t) => (
                <option key={t.name} value={t.name} />
              ))}
            </datalist>
          </div>
          <div className="row">
            <div className="field">
              <label htmlFor="event-severity">Severity</label>
              <select id="event-severity" value={severity} onChange={(e) => setSeverity(e.target.value)}>
                <option value="">none</option>
                {SEVERITIES.map((s) => (
                  <option key={s} value={s}>
                    {s}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor="event-fingerprint">Fingerprint</label>
              <input
                id="event-fingerprint"
                value={fingerprint}
                onChange={(e) => setFingerprint(e.target.value)}
                autoComplete="off"
                placeholder="optional, e.g. an alert id"
              />
            </div>
            <div className="field">
              <label htmlFor="event-state">State</label>
              <select id="event-state" value={state} onChange={(e) => setState(e.target.value)} disabled={!fingerprint.trim()}>
                <option value="">default</option>
                <option value="start">start</option>
                <option value="ongoing">ongoing</option>
                <option value="end">end</option>
              </select>
            </div>
          </div>
          <div className="field">
            <label htmlFor="event-payload">Payload (JSON)</label>
            <textarea id="event-payload" className="mono" rows={8} value={payload} onChange={(e) => setPayload(e.target.value)} spellCheck={false} />
          </div>
          <ErrorNote error={post.error} />
          {posted ? (
            <p className="notice" role="status">
              {posted.text} {posted.id ? <Link to={deliveriesOf(tenant, posted.id)}>See its deliveries</Link> : null}
            </p>
          ) : null}
          <button type="submit" className="primary" disabled={post.busy || !type.trim()}>
            Post event
          </button>
        </form>
        <div>
          <h2>Latest events</h2>
          {recent.loading && !recent.data ? <Loading /> : null}
          <ErrorNote error={recent.error} />
          {recent.data && recent.data.data.length === 0 ? <p className="empty">No events yet.</p> : null}
          <ul className="plain events">
            {(recent.data?.data ?? []).map((ev) => (
              <li key={ev.id}>
                <code>{ev.type}</code> {ev.severity ? <span className="muted">{ev.severity}</span> : null}{" "}
                <span className="muted small">{relativeTime(ev.createdAt, Date.now())}</span>
                <div className="muted small">
                  <code>{ev.id}</code> · <Link to={deliveriesOf(tenant, ev.id)}>Deliveries</Link>
                </div>
              </li>
            ))}
          </ul>
        </div>
      </div>
    </section>
  );
}
