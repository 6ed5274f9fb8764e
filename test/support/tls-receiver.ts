import { type Server, type ServerOptions, createServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import type { ReceivedRequest, Receiver, Reply } from "./receiver.ts";

export type TlsReceivedRequest = ReceivedRequest & {
  /** CN of the client certificate the request came with, if any. */
  clientCertSubject?: string;
};

export interface TlsReceiver extends Receiver {
  requests: TlsReceivedRequest[];
  waitFor(n: number, timeoutMs?: number, filter?: (r: TlsReceivedRequest) => boolean): Promise<TlsReceivedRequest[]>;
  /** TLS connections that failed on the server side before a request (e.g. a client without an acceptable certificate). */
  tlsClientErrors: TlsClientError[];
  /** Resolves when `n` TLS client errors have been seen; rejects after `timeoutMs`. */
  waitForTlsClientErrors(n: number, timeoutMs?: number): Promise<TlsClientError[]>;
}

export interface TlsClientError {
  error: Error;
  /** `error.code`, e.g. ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE (no client cert) or ECONNRESET. */
  code?: string;
  /**
   * Why the client cert was refused when OpenSSL accepted the handshake and Node then dropped the
   * connection (cert from an untrusted CA): e.g. UNABLE_TO_VERIFY_LEAF_SIGNATURE; `code` is then ECONNRESET.
   */
  authorizationError?: string;
  at: number;
}

export interface TlsReceiverOptions {
  cert: string;
  key: string;
  /** CA(s) the receiver trusts for client certificates (required when `requestCert` is true). */
  ca?: string;
  /** Ask for a client certificate and fail the handshake unless it verifies against `ca`. */
  requestCert?: boolean;
  /** How to answer; gets the request and its 1-based arrival number. Default 200 "ok". */
  script?: (req: TlsReceivedRequest, n: number) => Reply;
  port?: number;
  /** Extra `https.createServer` options (e.g. `maxVersion: "TLSv1.2"`), applied last. */
  serverOptions?: ServerOptions;
}

/**
 * The HTTPS twin of `startReceiver` (test/support/receiver.ts): a real server on 127.0.0.1 that
 * records every request and answers as `script` says. `url` is https://127.0.0.1:PORT.
 */
export async function startTlsReceiver(opts: TlsReceiverOptions): Promise<TlsReceiver> {
  const { cert, key, ca, requestCert = false, port = 0, serverOptions = {} } = opts;
  const script: (req: TlsReceivedRequest, n: number) => Reply = opts.script ?? (() => ({}));
  if (requestCert && !ca) throw new Error("startTlsReceiver: requestCert needs `ca` (the client CA)");
  const requests: TlsReceivedRequest[] = [];
  const tlsClientErrors: TlsClientError[] = [];
  const waiters = new Set<() => void>();
  const server: Server = createServer({ cert, key, ca, requestCert, rejectUnauthorized: requestCert, ...serverOptions }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const r: TlsReceivedRequest = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        at: Date.now(),
      };
      const subject = clientCertCn(req.socket as TLSSocket);
      if (subject !== undefined) r.clientCertSubject = subject;
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
  server.on("tlsClientError", (error, socket) => {
    const e: TlsClientError = { error, at: Date.now() };
    const code = (error as NodeJS.ErrnoException).code;
    if (code) e.code = code;
    const authorizationError = (socket as TLSSocket | undefined)?.authorizationError;
    if (authorizationError) e.authorizationError = String(authorizationError);
    tlsClientErrors.push(e);
    for (const w of waiters) w();
  });
  // Raw TCP sockets, including ones still in (or stuck before) the handshake, which
  // closeAllConnections() does not know about yet.
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  const actualPort = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${actualPort}`,
    port: actualPort,
    requests,
    tlsClientErrors,
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
          reject(new Error(`TLS receiver got ${requests.filter(filter).length} of ${n} expected requests within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    waitForTlsClientErrors(n, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (tlsClientErrors.length >= n) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(tlsClientErrors.slice());
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`TLS receiver saw ${tlsClientErrors.length} of ${n} expected TLS client errors within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async close() {
      server.closeAllConnections();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function clientCertCn(socket: TLSSocket): string | undefined {
  const peer = socket.getPeerCertificate?.();
  if (!peer || !peer.subject) return undefined;
  const cn: unknown = peer.subject.CN;
  if (typeof cn === "string") return cn;
  if (Array.isArray(cn)) return cn.join(",");
  return undefined;
}
