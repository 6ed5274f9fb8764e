// The load: the alert payload every scenario posts, pacing, waiting, and the ceiling (this process
// posting signed bodies straight to the receiver).

import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Pool } from "undici";
import { sign } from "../src/signing/standard.ts";
import type { ReceiverHandle } from "./processes.ts";
import { wallNow } from "./protocol.ts";
import { CEILING_CONNECTIONS, WAIT_TIMEOUT_MS } from "./settings.ts";

// ---------------------------------------------------------------------------------------------
// Producer helpers

export function alertPayload(t: number, seq: number) {
  return {
    t,
    seq,
    alert: {
      id: `al_${seq}`,
      severity: "critical",
      service: "db-01",
      message: "disk usage above 90% on /var/lib/postgresql",
      runbook: "https://runbooks.example.com/disk-full",
    },
  };
}

/**
 * Offers `rate` items per second for `durationMs`: every `tickMs` it hands `send` the number of
 * items now due (anchored to the start, so late timers do not lower the rate).
 */
export async function paced(rate: number, durationMs: number, tickMs: number, send: (n: number, first: number) => void): Promise<number> {
  const total = Math.round((rate * durationMs) / 1000);
  const start = performance.now();
  let sent = 0;
  while (sent < total) {
    const elapsed = performance.now() - start;
    const due = Math.min(total, Math.floor((elapsed * rate) / 1000));
    if (due > sent) {
      send(due - sent, sent);
      sent = due;
    }
    if (sent >= total) break;
    const next = start + (Math.floor(elapsed / tickMs) + 1) * tickMs;
    await sleep(Math.max(0, next - performance.now()));
  }
  return performance.now() - start;
}

export async function waitFor(what: string, check: () => Promise<string | null>, timeoutMs = WAIT_TIMEOUT_MS, intervalMs = 50): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const progress = await check();
    if (progress === null) return;
    if (performance.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what} (${progress})`);
    await sleep(intervalMs);
  }
}

export async function waitForReceiver(rx: ReceiverHandle, group: string, expected: number): Promise<void> {
  await waitFor(`the receiver to get ${expected} requests under /${group}/`, async () => {
    const n = (await rx.stats(group))?.count ?? 0;
    return n >= expected ? null : `${n} so far`;
  });
}

// ---------------------------------------------------------------------------------------------
// Ceiling: the producer posting straight to the receiver

export interface CeilingMax {
  posts: number;
  seconds: number;
  perSecond: number;
}

export async function ceilingMax(pool: Pool, path: string, posts: number): Promise<CeilingMax> {
  const key = randomBytes(32);
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CEILING_CONNECTIONS }, async () => {
      while (next < posts) {
        await signedPost(pool, path, key, next++);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  return { posts, seconds, perSecond: posts / seconds };
}

export async function signedPost(pool: Pool, path: string, key: Buffer, seq: number): Promise<void> {
  const t = wallNow();
  const body = JSON.stringify(alertPayload(t, seq));
  const id = `msg_${seq}`;
  const ts = Math.floor(Date.now() / 1000);
  const res = await pool.request({
    path,
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "tocsin-bench",
      "webhook-id": id,
      "webhook-timestamp": String(ts),
      "webhook-signature": sign(key, id, ts, body),
    },
    body,
  });
  await res.body.dump();
  if (res.statusCode !== 200) throw new Error(`the receiver answered ${res.statusCode}`);
}
