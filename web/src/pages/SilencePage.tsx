import { unwrap } from "@tocsin/client";
import { ExpireButton, authorOf } from "../components/SilenceTable.tsx";
import { Badge, ErrorNote, Link, Loading, PageHeader, formatTime } from "../components/ui.tsx";
import { useConsole } from "../context.ts";
import { useLoad } from "../hooks.ts";
import { endpointsInWords, matchersInWords, whenInWords, windowInWords } from "../lib/silence-words.ts";
import { can } from "../lib/session.ts";

/** One silence: what it matches, where and when, who made it and why, what it suppressed; Expire early. */
export function SilencePage({ tenant, id }: { tenant: string; id: string }) {
  const { client, session } = useConsole();
  const s = useLoad(() => unwrap(client.GET("/v1/tenants/{tenant}/silences/{id}", { params: { path: { tenant, id } } })), [client, tenant, id], 10_000);
  const endpoints = useLoad(
    () => unwrap(client.GET("/v1/tenants/{tenant}/endpoints", { params: { path: { tenant }, query: { limit: 100 } } })),
    [client, tenant],
  );
  if (s.loading && !s.data) return <Loading />;
  if (!s.data) return <ErrorNote error={s.error} />;
  const sil = s.data;
  const names = new Map((endpoints.data?.data ?? []).map((e) => [e.id, e.name || e.url]));
  const window = windowInWords(sil, formatTime);
  return (
    <section aria-labelledby="silence-title">
      <p className="crumbs">
        <Link to={{ page: "silences", tenant }}>Silences</Link> ›
      </p>
      <PageHeader
        title={
          <span id="silence-title">
            {sil.schedule ? "Maintenance window" : "Silence"} <Badge status={sil.state} />
          </span>
        }
        subtitle={<code>{sil.id}</code>}
        actions={can(session, "endpoints:write") && sil.state !== "expired" ? <ExpireButton tenant={tenant} silence={sil} onDone={s.reload} /> : null}
      />
      <ErrorNote error={s.error} />
      <dl className="kv-list">
        <div>
          <dt>Matches</dt>
          <dd data-part="matchers">{matchersInWords(sil.matchers)}</dd>
        </div>
        <div>
          <dt>Webhooks</dt>
          <dd>
            {sil.endpointIds === null
              ? endpointsInWords(null)
              : sil.endpointIds.map((e, i) => (
                  <span key={e}>
                    {i > 0 ? ", " : null}
                    <Link to={{ page: "endpoint", tenant, id: e, tab: "overview" }}>{names.get(e) ?? e}</Link>
                  </span>
                ))}
          </dd>
        </div>
        <div>
          <dt>When</dt>
          <dd data-part="when">{whenInWords(sil, formatTime)}</dd>
          {window ? <dd className="muted small">{window}</dd> : null}
        </div>
        <div>
          <dt>Comment</dt>
          <dd>{sil.comment}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>
            {formatTime(sil.createdAt)} by {authorOf(sil)}
          </dd>
        </div>
        <div>
          <dt>Suppressed</dt>
          <dd data-part="suppressed">{sil.suppressed === 1 ? "1 delivery" : `${sil.suppressed} deliveries`}</dd>
        </div>
        {sil.matchers ? (
          <div>
            <dt>Matchers as JSON</dt>
            <dd>
              <code>{JSON.stringify(sil.matchers)}</code>
            </dd>
          </div>
        ) : null}
      </dl>
      <p>
        <Link to={`/tenants/${encodeURIComponent(tenant)}/deliveries?status=suppressed`}>Suppressed deliveries</Link>
      </p>
    </section>
  );
}
