import { type Socket, createSocket } from "node:dgram";

export interface DnsQuery {
  name: string;
  type: "A" | "AAAA" | string;
  at: number;
}

export interface DnsServer {
  /** `127.0.0.1:PORT`, for TOCSIN_DNS_SERVERS. */
  address: string;
  queries: DnsQuery[];
  close(): Promise<void>;
}

const TYPES: Record<number, string> = { 1: "A", 28: "AAAA" };

/**
 * A tiny authoritative DNS server on loopback UDP for tests: `answer(name, n)` gives the IPv4
 * addresses for the n-th A query (1-based) of `name`; AAAA queries get an empty answer. TTL 0, so
 * resolvers do not cache. Enough of RFC 1035 for one question per message.
 */
export async function startDnsServer(answer: (name: string, n: number) => string[]): Promise<DnsServer> {
  const queries: DnsQuery[] = [];
  const counts = new Map<string, number>();
  const socket: Socket = createSocket("udp4");
  socket.on("message", (msg, rinfo) => {
    if (msg.length < 17) return;
    let off = 12;
    const labels: string[] = [];
    for (let i = 0; i < 64 && off < msg.length; i++) {
      const len = msg[off];
      if (len === 0) break;
      labels.push(msg.subarray(off + 1, off + 1 + len).toString("ascii"));
      off += len + 1;
    }
    const qEnd = off + 5;
    if (qEnd > msg.length) return;
    const qtype = msg.readUInt16BE(off + 1);
    const name = labels.join(".").toLowerCase();
    const type = TYPES[qtype] ?? String(qtype);
    queries.push({ name, type, at: Date.now() });
    let ips: string[] = [];
    if (type === "A") {
      const n = (counts.get(name) ?? 0) + 1;
      counts.set(name, n);
      ips = answer(name, n);
    }
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2); // id
    header.writeUInt16BE(0x8580, 2); // response, authoritative, recursion desired + available, NOERROR
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(ips.length, 6);
    const question = msg.subarray(12, qEnd);
    const answers = ips.map((ip) => {
      const rr = Buffer.alloc(16);
      rr.writeUInt16BE(0xc00c, 0); // pointer to the question's name
      rr.writeUInt16BE(1, 2); // A
      rr.writeUInt16BE(1, 4); // IN
      rr.writeUInt32BE(0, 6); // TTL 0
      rr.writeUInt16BE(4, 10);
      ip.split(".").forEach((b, i) => rr.writeUInt8(Number(b), 12 + i));
      return rr;
    });
    socket.send(Buffer.concat([header, question, ...answers]), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, "127.0.0.1", () => resolve());
  });
  return {
    address: `127.0.0.1:${socket.address().port}`,
    queries,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
