import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createDestinationPolicy } from "../../../src/core/addresses.ts";
import { type OutgoingRequest, createSender } from "../../../src/delivery/sender.ts";
import { startConnectProxy } from "../../support/connect-proxy.ts";
import { startReceiver } from "../../support/receiver.ts";

// The sender's connection pools, against a real loopback receiver: one set per endpoint, so an
// endpoint that hangs holds its own connections only, and pools do not pile up.

const policy = createDestinationPolicy(true);

const request = (url: string, endpointId: string, requestTimeoutMs = 5_000): OutgoingRequest => ({
  url,
  method: "POST",
  headers: { "content-type": "application/json" },
  body: "{}",
  transport: { endpointId, poolKey: "20000", connectTimeoutMs: 2_000, requestTimeoutMs, cert: null, key: null, ca: null, skipVerify: false },
});

describe("sender pools", () => {
  for (const via of ["direct", "egress proxy"] as const) {
    it(`gives each endpoint its own connections, so one that hangs never delays another on the same host (${via})`, async () => {
      const rx = await startReceiver((r) => (r.path === "/hang" ? { hang: true } : {}));
      const proxy = via === "direct" ? null : await startConnectProxy();
      const sender = createSender({ policy, egressProxy: proxy?.url ?? null, connectionsPerEndpoint: 2, maxResponseBytes: 1024, now: Date.now });
      try {
        // Four requests for the hanging endpoint: two hold its two connections, two wait for them.
        const hanging = Array.from({ length: 4 }, () => sender.send(request(`${rx.url}/hang`, "ep_slow", 3_000)));
        await rx.waitFor(2, 5_000, (r) => r.path === "/hang");
        const t0 = performance.now();
        const res = await sender.send(request(`${rx.url}/ok`, "ep_other"));
        const ms = performance.now() - t0;
        assert.equal(res.statusCode, 200);
        assert.ok(ms < 1_000, `another endpoint on the same origin answered in ${Math.round(ms)} ms`);
        assert.equal(rx.requests.filter((r) => r.path === "/hang").length, 2, "the hanging endpoint holds no more than its own two connections");
        assert.equal(sender.openPools(), 2);
        await rx.close();
        for (const r of await Promise.all(hanging)) assert.notEqual(r.errorClass, null);
      } finally {
        await rx.close();
        await sender.close();
        await proxy?.close();
      }
    });
  }

  it("closes idle pools when more than maxPools endpoints are in use", async () => {
    const rx = await startReceiver();
    const sender = createSender({ policy, connectionsPerEndpoint: 1, maxResponseBytes: 1024, maxPools: 3, now: Date.now });
    try {
      for (let i = 0; i < 10; i++) {
        assert.equal((await sender.send(request(`${rx.url}/e${i}`, `ep_${i}`))).statusCode, 200);
        assert.ok(sender.openPools() <= 3, `${sender.openPools()} pools open after ${i + 1} endpoints`);
      }
      assert.equal(rx.requests.length, 10);
    } finally {
      await sender.close();
      await rx.close();
    }
  });
});
