import { type IncomingHttpHeaders, type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Never answer (the client's timeout must fire). */
  hang?: boolean;
}

export interface Receiver {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  /** Resolves when `n` requests (optionally matching `filter`) have arrived; rejects after `timeoutMs`. */
  waitFor(n: number, timeoutMs?: number, filter?: (r: ReceivedRequest) => boolean): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

/**
 * A real HTTP receiver on loopback that records every request's headers and raw body and answers
 * as `script` says (default 200). `script` gets the request and its 1-based arrival number.
 */
export async function startReceiver(script: (req: ReceivedRequest, n: number) => Reply = () => ({}), port = 0, host = "127.0.0.1"): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const waiters = new Set<() => void>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const r: ReceivedRequest = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        at: Date.now(),
      };
      requests.push(r);
      const reply = script(r, requests.length);
      for (const w of waiters) w();
      if (reply.hang) return;
      const answer = () => {
        res.writeHead(reply.status ?? 200, { "content-type": "text/plain", ...reply.headers });
        res.end(reply.body ?? "ok");
      };
      if (reply.delayMs) setTimeout(answer, reply.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const actualPort = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${actualPort}`,
    port: actualPort,
    requests,
    waitFor(n, timeoutMs = 10_000, filter = () => true) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const got = requests.filter(filter);
          if (got.length >= n) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(got);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`receiver got ${requests.filter(filter).length} of ${n} expected requests within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port that was free a moment ago (for "connection refused" tests). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Runs `fn` with a receiver answering as `script` says, and always closes it. */
export async function withReceiver(script: (req: ReceivedRequest, n: number) => Reply, fn: (rx: Receiver) => Promise<void>): Promise<void> {
  const rx = await startReceiver(script);
  try {
    await fn(rx);
  } finally {
    await rx.close();
  }
}
