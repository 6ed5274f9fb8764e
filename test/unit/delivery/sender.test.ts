import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createDestinationPolicy } from "../../../src/core/addresses.ts";
import { type OutgoingRequest, createSender } from "../../../src/delivery/sender.ts";
import { hideProxySecrets, proxyTargets } from "../../../src/delivery/proxies.ts";
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
  for (const via of ["direct", "egress proxy", "named proxy"] as const) {
    it(`gives each endpoint its own connections, so one that hangs never delays another on the same host (${via})`, async () => {
      const rx = await startReceiver((r) => (r.path === "/hang" ? { hang: true } : {}));
      const proxy = via === "direct" ? null : await startConnectProxy();
      const sender = createSender({
        policy,
        egressProxy: via === "egress proxy" ? proxy!.url : null,
        proxies: via === "named proxy" ? [{ name: "egress", url: proxy!.url }] : [],
        connectionsPerEndpoint: 2,
        maxResponseBytes: 1024,
        now: Date.now,
      });
      const named = (r: OutgoingRequest): OutgoingRequest => (via === "named proxy" ? { ...r, transport: { ...r.transport, proxy: "egress" } } : r);
      try {
        // Four requests for the hanging endpoint: two hold its two connections, two wait for them.
        const hanging = Array.from({ length: 4 }, () => sender.send(named(request(`${rx.url}/hang`, "ep_slow", 3_000))));
        await rx.waitFor(2, 5_000, (r) => r.path === "/hang");
        const t0 = performance.now();
        const res = await sender.send(named(request(`${rx.url}/ok`, "ep_other")));
        const ms = performance.now() - t0;
        assert.equal(res.statusCode, 200);
        assert.ok(ms < 1_000, `another endpoint on the same origin answered in ${Math.round(ms)} ms`);
        assert.equal(rx.requests.filter((r) => r.path === "/hang").length, 2, "the hanging endpoint holds no more than its own two connections");
        assert.equal(sender.openPools(), 2);
        await rx.close();
        for (const r of await Promise.all(hanging)) assert.notEqual(r.errorClass, null);
        if (proxy) assert.ok(proxy.tunnels.length >= 3, `the requests went through the proxy: ${JSON.stringify(proxy.tunnels)}`);
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

describe("sender: named proxies", () => {
  it("fails an endpoint whose proxy is no longer configured instead of sending it another way", async () => {
    const rx = await startReceiver();
    const sender = createSender({
      policy,
      proxies: [{ name: "eu-static", url: "http://127.0.0.1:9" }],
      connectionsPerEndpoint: 1,
      maxResponseBytes: 1024,
      now: Date.now,
    });
    try {
      const r = await sender.send({ ...request(`${rx.url}/x`, "ep_1"), transport: { ...request(rx.url, "ep_1").transport, proxy: "us-static" } });
      assert.equal(r.errorClass, "connect");
      assert.equal(r.errorMessage, 'proxy "us-static" is not configured (TOCSIN_PROXIES)');
      assert.equal(rx.requests.length, 0);
    } finally {
      await sender.close();
      await rx.close();
    }
  });

  it("keeps the proxy's credentials out of error messages", () => {
    const [target] = proxyTargets([{ name: "p", url: "http://us%3Aer:pa%2Css@10.0.0.5:3128/" }]).values();
    assert.equal(
      hideProxySecrets("could not reach http://us%3Aer:pa%2Css@10.0.0.5 as us:er with pa,ss", target),
      "could not reach http://[redacted]:[redacted]@10.0.0.5 as [redacted] with [redacted]",
    );
    assert.equal(hideProxySecrets("nothing here", undefined), "nothing here");
  });
});
