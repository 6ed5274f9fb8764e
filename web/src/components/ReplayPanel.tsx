import { type FormEvent, useEffect, useState } from "react";
import { type ReplayJob, unwrap } from "@tocsin/client";
import { useConsole } from "../context.ts";
import { useAction, useLoad } from "../hooks.ts";
import { ErrorNote, formatTime } from "./ui.tsx";

/** `datetime-local` wants local time without a zone: `2025-01-31T13:45`. */
function toLocalInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

/** Follows a running replay job (a replay, or a retry of all failed) until it completes, updating it with each poll. */
export function useFollowJob(tenant: string, job: ReplayJob | null, setJob: (j: ReplayJob) => void, setError: (e: string) => void): void {
  const { client } = useConsole();
  const running = job?.state === "running";
  const jobId = job?.id;
  useEffect(() => {
    if (!running || !jobId) return;
    let stop = false;
    const poll = async () => {
      while (!stop) {
        await new Promise((r) => setTimeout(r, 400));
        if (stop) return;
        try {
          const j = await unwrap(client.GET("/v1/tenants/{tenant}/replays/{id}", { params: { path: { tenant, id: jobId } } }));
          if (stop) return;
          setJob(j);
          if (j.state !== "running") return;
        } catch (e) {
          setError(e instanceof Error ? e.message : String(e));
          return;
        }
      }
    };
    void poll();
    return () => {
      stop = true;
    };
  }, [running, jobId, client, tenant, setJob, setError]);
}

/** A job's progress bar with what it has done so far. */
export function JobProgress({ id, what, job }: { id: string; what: string; job: ReplayJob }) {
  return (
    <div className="replay-progress" aria-live="polite">
      <label htmlFor={id}>
        {what} {job.state}: {job.processed} of {job.total} processed, {job.queued} queued, {job.skipped} skipped
      </label>
      <progress id={id} max={1} value={job.progress} data-state={job.state}>
        {Math.round(job.progress * 100)}%
      </progress>
    </div>
  );
}

/** Replays what an endpoint missed since a time: a background job whose progress is shown as it runs. */
export function ReplayPanel({ tenant, endpointId }: { tenant: string; endpointId: string }) {
  const { client } = useConsole();
  const [since, setSince] = useState(() => toLocalInput(Date.now() - 86_400_000));
  const [what, setWhat] = useState<"failed" | "all">("failed");
  const [job, setJob] = useState<ReplayJob | null>(null);
  const { busy, error, setError, act } = useAction();
  const history = useLoad(
    () => unwrap(client.GET("/v1/tenants/{tenant}/endpoints/{id}/replays", { params: { path: { tenant, id: endpointId }, query: { limit: 5 } } })),
    [client, tenant, endpointId, job?.state],
  );

  useFollowJob(tenant, job, setJob, setError);
  const running = job?.state === "running";

  const start = (e: FormEvent) => {
    e.preventDefault();
    void act(async () => {
      const sinceMs = Date.parse(since);
      if (Number.isNaN(sinceMs)) throw new Error("Choose a start time.");
      setJob(
        await unwrap(
          client.POST("/v1/tenants/{tenant}/endpoints/{id}/replay", {
            params: { path: { tenant, id: endpointId } },
            body: { since: new Date(sinceMs).toISOString(), status: what },
          }),
        ),
      );
    });
  };

  return (
    <section className="card" aria-labelledby="replay-title">
      <h2 id="replay-title">Replay</h2>
      <p className="muted">After an outage, send again what this webhook missed.</p>
      <form className="row align-end" onSubmit={start}>
        <div className="field">
          <label htmlFor="replay-since">Since</label>
          <input id="replay-since" type="datetime-local" value={since} onChange={(e) => setSince(e.target.value)} required />
        </div>
        <div className="field">
          <label htmlFor="replay-what">What</label>
          <select id="replay-what" value={what} onChange={(e) => setWhat(e.target.value as "failed" | "all")}>
            <option value="failed">Failed deliveries</option>
            <option value="all">Every matching event</option>
          </select>
        </div>
        <button type="submit" disabled={busy || running}>
          Replay
        </button>
      </form>
      <ErrorNote error={error} />
      {job ? <JobProgress id="replay-bar" what="Replay" job={job} /> : null}
      {history.data && history.data.data.length > 0 ? (
        <details>
          <summary>Recent replays</summary>
          <ul className="plain">
            {history.data.data.map((r) => (
              <li key={r.id}>
                {formatTime(r.createdAt)}: {r.status} since {formatTime(r.since)}, {r.state}, {r.queued} queued of {r.total}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </section>
  );
}
