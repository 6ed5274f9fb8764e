import { createInterface } from "node:readline/promises";
import type { ReplayJob } from "@tocsin/client";
import { type ApiClient, unwrap } from "./client.ts";
import { type Out, UsageError } from "./shared.ts";

// What the commands that start a replay job share: the time flags, asking before a send that cannot
// be taken back, following the job with a progress bar, and its window.

/** A time flag as given: an ISO date-time, or a duration ago ("2h", "3d") that the server resolves. */
export function timeFlag(v: string, flag: string): string {
  if (/^\d+(ms|s|m|h|d)$/.test(v) || Number.isFinite(Date.parse(v))) return v;
  throw new UsageError(`--${flag} takes an ISO date-time (2026-11-23T08:00:00Z) or a duration ago (2h, 3d), not ${JSON.stringify(v)}`);
}

/**
 * Goes ahead with --yes; otherwise asks on a terminal (true only for "yes"). Without a terminal to
 * ask on, it refuses: `what` says what would happen, and the error says to add --yes.
 */
export async function confirm(what: string, yes: boolean | undefined, io: Out): Promise<boolean> {
  if (yes) return true;
  if (process.stdin.isTTY !== true || process.stderr.isTTY !== true) throw new UsageError(`${what}: add --yes to go ahead`);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${what}. Type yes to go ahead: `);
    if (answer.trim().toLowerCase() === "yes") return true;
    io.err("Nothing done.");
    return false;
  } finally {
    rl.close();
  }
}

/** A time as people read it: to the second (the JSON has the milliseconds). */
const isoSeconds = (t: string) => t.replace(/\.\d+Z$/, "Z");

/** The job's range as the server resolved it. */
export function windowLine(job: ReplayJob): string {
  // A retry of every failed delivery starts at the beginning of time, which says nothing as a date.
  return `window: ${Date.parse(job.since) === 0 ? "the start" : isoSeconds(job.since)} → ${isoSeconds(job.until)}`;
}

/** What a job did, or is doing, in a line. */
export function jobLine(kind: string, tenant: string, job: ReplayJob): string {
  return job.state === "running"
    ? `${kind} ${job.id} started: ${job.total} to look at (follow it with: GET /v1/tenants/${tenant}/replays/${job.id})`
    : `${kind} ${job.id} ${job.state}: ${job.queued} deliveries queued, ${job.skipped} skipped, of ${job.processed} looked at`;
}

/** The line that says a request found the job it already made. */
export function sameJobLine(kind: string, job: ReplayJob): string {
  return `same as ${kind} ${job.id} started at ${isoSeconds(job.createdAt)}; nothing new queued`;
}

/** Polls the job with a progress bar (on stderr) until it is no longer running; returns it as it ended. */
export async function followJob(api: ApiClient, tenant: string, job: ReplayJob, io: Out): Promise<ReplayJob> {
  const bar = progressBar(io);
  // Bounded: a day of polling at most; the job goes on in the server if the CLI stops.
  for (let i = 0; job.state === "running" && i < 172_800; i++) {
    bar(job);
    await new Promise((r) => setTimeout(r, 500));
    job = await unwrap(api.GET("/v1/tenants/{tenant}/replays/{id}", { params: { path: { tenant, id: job.id } } }));
  }
  bar(job, true);
  return job;
}

/** Draws a job's progress on stderr: redrawn in place on a terminal, a line per tenth otherwise. */
function progressBar(io: Out): (job: ReplayJob, last?: boolean) => void {
  const tty = process.stderr.isTTY === true;
  let shown = -1;
  return (job, last = false) => {
    const pct = Math.floor(job.progress * 100);
    const filled = Math.round(job.progress * 30);
    const line = `[${"#".repeat(filled)}${"-".repeat(30 - filled)}] ${String(pct).padStart(3)}%  ${job.processed}/${job.total} looked at, ${job.queued} queued`;
    if (tty) {
      process.stderr.write(`\r${line}${last ? "\n" : ""}`);
    } else if (last || Math.floor(pct / 10) > shown) {
      shown = Math.floor(pct / 10);
      io.err(line);
    }
  };
}
