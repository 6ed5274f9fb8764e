// The benchmark's webhook receiver, run as a child process by bench/run.ts (fork, with IPC).
// It answers every request 200 on a keep-alive connection, and for each one records the
// ingest-to-receive latency: its own wall clock on arrival minus the `t` that the producer put in
// the payload just before posting. Requests are grouped by the first path segment (/a/ep0 -> a).

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type FromReceiver, type GroupStats, type ToReceiver, summarize, wallNow } from "./protocol.ts";

interface Group {
  count: number;
  ids: Set<string>;
  paths: Map<string, number>;
  latencies: number[];
  firstAt: number;
  lastAt: number;
  unsigned: number;
  badBody: number;
  marks: number[];
}

const groups = new Map<string, Group>();

function groupFor(name: string): Group {
  let g = groups.get(name);
  if (!g) {
    g = { count: 0, ids: new Set(), paths: new Map(), latencies: [], firstAt: 0, lastAt: 0, unsigned: 0, badBody: 0, marks: [] };
    groups.set(name, g);
  }
  return g;
}

function send(m: FromReceiver): void {
  process.send?.(m);
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const at = wallNow();
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    const g = groupFor(path.split("/")[1] ?? "");
    g.count++;
    g.paths.set(path, (g.paths.get(path) ?? 0) + 1);
    if (g.firstAt === 0) g.firstAt = at;
    g.lastAt = at;
    if (g.count % 1000 === 0) g.marks.push(at);
    const id = req.headers["webhook-id"];
    if (typeof id === "string") g.ids.add(`${path} ${id}`);
    if (!req.headers["webhook-signature"]) g.unsigned++;
    try {
      const t = (JSON.parse(Buffer.concat(chunks).toString("utf8")) as { t?: unknown }).t;
      if (typeof t === "number") g.latencies.push(at - t);
      else g.badBody++;
    } catch {
      g.badBody++;
    }
    res.writeHead(200, { "content-type": "text/plain", "content-length": "2" });
    res.end("ok");
  });
});
server.keepAliveTimeout = 60_000;

function stats(name: string, latency: boolean): GroupStats | null {
  const g = groups.get(name);
  if (!g) return null;
  return {
    group: name,
    count: g.count,
    unique: g.ids.size,
    paths: Object.fromEntries(g.paths),
    firstAt: g.firstAt,
    lastAt: g.lastAt,
    unsigned: g.unsigned,
    badBody: g.badBody,
    marks: [...g.marks],
    latency: latency ? summarize([...g.latencies]) : null,
  };
}

process.on("message", (raw) => {
  const m = raw as ToReceiver;
  if (m.cmd === "stats") send({ type: "reply", id: m.id, stats: stats(m.group, m.latency) });
  else if (m.cmd === "exit") {
    send({ type: "reply", id: m.id, stats: null });
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
// The parent is gone (it crashed or was killed): do not linger.
process.on("disconnect", () => process.exit(0));

server.listen(0, "127.0.0.1", () => {
  send({ type: "ready", port: (server.address() as AddressInfo).port });
});
