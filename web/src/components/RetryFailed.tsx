import { useState } from "react";
import { type ReplayJob, unwrap } from "@tocsin/client";
import { useConsole } from "../context.ts";
import { useAction } from "../hooks.ts";
import { retryFailedBody } from "../lib/deliveries.ts";
import { JobProgress, useFollowJob } from "./ReplayPanel.tsx";
import { ConfirmDialog, ErrorNote } from "./ui.tsx";

/**
 * "Retry all failed" for the delivery log's current filter (webhook, event type, time): counts
 * them first (dryRun), asks, then follows the job with a progress bar. Only for keys that may
 * write endpoints; the caller decides.
 */
export function RetryFailed(props: { tenant: string; endpointId?: string; type: string; withinMs: number | null; onDone(): void }) {
  const { client } = useConsole();
  const { tenant } = props;
  const [ask, setAsk] = useState<{ matched: number; body: ReturnType<typeof retryFailedBody> } | null>(null);
  const [job, setJob] = useState<ReplayJob | null>(null);
  const { busy, error, setError, act } = useAction();
  useFollowJob(tenant, job, setJob, setError);

  const count = () =>
    act(async () => {
      // The body is fixed when counting, so what is confirmed is what is retried.
      const body = retryFailedBody({ endpointId: props.endpointId, type: props.type, withinMs: props.withinMs }, Date.now());
      const r = await unwrap(client.POST("/v1/tenants/{tenant}/deliveries/retry-failed", { params: { path: { tenant } }, body: { ...body, dryRun: true } }));
      setAsk({ matched: "matched" in r ? r.matched : 0, body });
    });
  const start = () =>
    act(async () => {
      if (!ask) return;
      const r = await unwrap(client.POST("/v1/tenants/{tenant}/deliveries/retry-failed", { params: { path: { tenant } }, body: ask.body }));
      setAsk(null);
      if ("id" in r) setJob(r);
      props.onDone();
    });

  const n = ask?.matched ?? 0;
  return (
    <div className="retry-failed">
      <button type="button" onClick={() => void count()} disabled={busy || job?.state === "running"}>
        Retry all failed
      </button>
      <ErrorNote error={error} />
      {job ? <JobProgress id="retry-failed-bar" what="Retry of failed deliveries" job={job} /> : null}
      <ConfirmDialog
        open={ask !== null}
        title={n === 0 ? "No failed deliveries" : `Retry ${n} failed ${n === 1 ? "delivery" : "deliveries"}?`}
        confirmLabel={n === 0 ? "Close" : "Retry"}
        busy={busy}
        onConfirm={() => (n === 0 ? setAsk(null) : void start())}
        onCancel={() => setAsk(null)}
      >
        {n === 0 ? (
          <p>No failed delivery matches the log's filter.</p>
        ) : (
          <p>
            Each gets one more attempt now, in the background; the bar below shows the progress. The log's filter applies: {describe(props)}. A batch is retried
            whole.
          </p>
        )}
      </ConfirmDialog>
    </div>
  );
}

function describe(p: { endpointId?: string; type: string; withinMs: number | null }): string {
  const parts = [p.endpointId ? "this webhook" : "every webhook", p.type.trim() && p.type.trim() !== "*" ? `type ${p.type.trim()}` : "any type"];
  parts.push(
    p.withinMs === null ? "any time" : `created in the last ${p.withinMs >= 86_400_000 ? `${p.withinMs / 86_400_000} d` : `${p.withinMs / 60_000} min`}`,
  );
  return parts.join(", ");
}
