import { type IncomingMessage, createServer } from "node:http";
import { type AddressInfo, type Socket, connect } from "node:net";

export interface ConnectProxy {
  url: string;
  /** Every CONNECT target asked for (`host:port`), allowed or not. */
  tunnels: string[];
  /** The Proxy-Authorization header of each CONNECT, in the same order ("" when there was none). */
  authorizations: string[];
  close(): Promise<void>;
}

/**
 * An egress proxy on loopback speaking CONNECT, as Smokescreen does: it tunnels to targets
 * `allow` accepts (by default any loopback port) and answers 403 to the rest. With `credentials`
 * (`user:password`), a CONNECT without them in Proxy-Authorization (Basic) is answered 407.
 */
export async function startConnectProxy(
  allow: (host: string, port: number) => boolean = (host) => host === "127.0.0.1",
  credentials?: string,
): Promise<ConnectProxy> {
  const tunnels: string[] = [];
  const authorizations: string[] = [];
  const proxy = createServer((_req, res) => res.writeHead(405).end());
  proxy.on("connect", (req: IncomingMessage, client: Socket, head: Buffer) => {
    tunnels.push(String(req.url));
    const authorization = req.headers["proxy-authorization"] ?? "";
    authorizations.push(authorization);
    if (credentials !== undefined && authorization !== `Basic ${Buffer.from(credentials).toString("base64")}`) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="egress"\r\n\r\n');
      return;
    }
    const [host, port] = String(req.url).split(":");
    if (!allow(host, Number(port))) {
      client.end("HTTP/1.1 403 Forbidden\r\n\r\n");
      return;
    }
    const upstream = connect(Number(port), host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    tunnels,
    authorizations,
    close: async () => {
      proxy.closeAllConnections();
      await new Promise<void>((r) => proxy.close(() => r()));
    },
  };
}
