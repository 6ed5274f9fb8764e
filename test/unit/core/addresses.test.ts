import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkLiteralHost, createDestinationPolicy, isGlobalAddress, parseCidrList } from "../../../src/core/addresses.ts";

function assertNotGlobal(addresses: string[]): void {
  for (const ip of addresses) {
    assert.equal(isGlobalAddress(ip), false, `${ip} must not be global`);
    assert.equal(checkLiteralHost(ip), `${ip} is not a global address`);
  }
}

describe("isGlobalAddress and checkLiteralHost", () => {
  it("refuse IPv4 loopback", () => {
    assertNotGlobal(["127.0.0.1", "127.0.0.53", "127.255.255.254"]);
  });

  it("refuse the RFC 1918 private ranges, including their edges", () => {
    assertNotGlobal(["10.0.0.0", "10.1.2.3", "10.255.255.255", "172.16.0.1", "172.31.255.255", "192.168.0.1", "192.168.255.255"]);
  });

  it("refuse IPv4 link-local, including the cloud metadata address 169.254.169.254", () => {
    assertNotGlobal(["169.254.0.1", "169.254.169.254", "169.254.255.255"]);
  });

  it("refuse carrier-grade NAT 100.64.0.0/10", () => {
    assertNotGlobal(["100.64.0.0", "100.64.0.1", "100.100.100.200", "100.127.255.255"]);
  });

  it("refuse multicast, reserved, broadcast and 0.0.0.0", () => {
    assertNotGlobal(["224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255", "0.0.0.0", "0.1.2.3"]);
  });

  it("refuse IPv4 documentation and benchmarking ranges", () => {
    assertNotGlobal(["192.0.2.1", "198.51.100.1", "203.0.113.1", "198.18.0.1", "198.19.255.255"]);
  });

  it("accept addresses just outside the private and shared ranges", () => {
    for (const ip of ["172.15.255.255", "172.32.0.1", "100.63.255.255", "100.128.0.1", "11.0.0.1", "192.169.0.1", "169.253.255.255"]) {
      assert.equal(isGlobalAddress(ip), true, ip);
      assert.equal(checkLiteralHost(ip), null, ip);
    }
  });

  it("accept public IPv4 such as 8.8.8.8 and 1.1.1.1", () => {
    for (const ip of ["8.8.8.8", "1.1.1.1"]) {
      assert.equal(isGlobalAddress(ip), true, ip);
      assert.equal(checkLiteralHost(ip), null, ip);
    }
  });

  it("refuse IPv6 loopback ::1 and the unspecified address ::", () => {
    assertNotGlobal(["::1", "::", "0:0:0:0:0:0:0:1"]);
  });

  it("refuse unique local fc00::/7 and link-local fe80::/10", () => {
    assertNotGlobal(["fc00::1", "fd12:3456:789a::1", "fdff:ffff::1", "fe80::1", "febf:ffff::1", "FE80::1"]);
  });

  it("refuse IPv6 multicast, documentation and site-local addresses", () => {
    assertNotGlobal(["ff02::1", "ff05::2", "2001:db8::1", "fec0::1"]);
  });

  it("refuse IPv4-mapped IPv6 that embeds a non-global IPv4, dotted or hex", () => {
    assertNotGlobal(["::ffff:127.0.0.1", "::ffff:7f00:1", "::FFFF:7F00:1", "::ffff:169.254.169.254", "::ffff:a9fe:a9fe", "::ffff:10.0.0.1", "::ffff:c0a8:101"]);
  });

  it("refuse NAT64 64:ff9b::/96 addresses that embed a non-global IPv4", () => {
    assertNotGlobal(["64:ff9b::7f00:1", "64:ff9b::127.0.0.1", "64:ff9b::a9fe:a9fe"]);
  });

  it("refuse the fully written-out form of an IPv4-mapped loopback", () => {
    assertNotGlobal(["0:0:0:0:0:ffff:7f00:1", "0000:0000:0000:0000:0000:ffff:127.0.0.1"]);
  });

  it("accept public IPv6 such as 2606:4700:4700::1111 and 2001:4860:4860::8888", () => {
    for (const ip of ["2606:4700:4700::1111", "2001:4860:4860::8888", "2a00:1450:4001::200e"]) {
      assert.equal(isGlobalAddress(ip), true, ip);
      assert.equal(checkLiteralHost(ip), null, ip);
    }
  });

  it("accept IPv4-mapped and NAT64 addresses that embed a public IPv4", () => {
    for (const ip of ["::ffff:8.8.8.8", "::ffff:808:808", "64:ff9b::808:808"]) {
      assert.equal(isGlobalAddress(ip), true, ip);
    }
  });

  it("treat anything that is not an IP address as not global", () => {
    for (const s of ["", "localhost", "example.com", "127.0.0.1.nip.io", "[::1]", "999.1.1.1"]) {
      assert.equal(isGlobalAddress(s), false, s);
    }
  });
});

describe("checkLiteralHost", () => {
  it("leaves DNS names to the resolver", () => {
    for (const host of ["example.com", "localhost", "hooks.example.org"]) {
      assert.equal(checkLiteralHost(host), null, host);
    }
  });

  it("refuses bracketed IPv6 hostnames exactly as WHATWG URL gives them", () => {
    const cases: [string, string][] = [
      ["http://[::1]/", "::1"],
      ["http://[::]/", "::"],
      ["http://[fe80::1]/", "fe80::1"],
      ["http://[fd00::1]:8080/", "fd00::1"],
      ["http://[::ffff:127.0.0.1]/", "::ffff:7f00:1"],
      ["http://[0:0:0:0:0:ffff:7f00:1]/", "::ffff:7f00:1"],
      ["http://[64:ff9b::127.0.0.1]/", "64:ff9b::7f00:1"],
    ];
    for (const [url, inner] of cases) {
      const hostname = new URL(url).hostname;
      assert.equal(hostname, `[${inner}]`, url);
      assert.equal(checkLiteralHost(hostname), `${inner} is not a global address`, url);
    }
  });

  it("accepts a bracketed public IPv6 hostname", () => {
    const hostname = new URL("https://[2606:4700:4700::1111]/hook").hostname;
    assert.equal(hostname, "[2606:4700:4700::1111]");
    assert.equal(checkLiteralHost(hostname), null);
  });

  it("refuses loopback written as a decimal, hex, short or octal IPv4 once URL has normalised it", () => {
    for (const url of ["http://2130706433/", "http://0x7f000001/", "http://127.1/", "http://0177.0.0.1/", "http://0x7f.0.0.1/"]) {
      const hostname = new URL(url).hostname;
      assert.equal(hostname, "127.0.0.1", url);
      assert.equal(checkLiteralHost(hostname), "127.0.0.1 is not a global address", url);
    }
  });

  it("refuses the metadata address written as a single decimal number", () => {
    const hostname = new URL("http://2852039166/latest/meta-data/").hostname;
    assert.equal(hostname, "169.254.169.254");
    assert.notEqual(checkLiteralHost(hostname), null);
  });
});

describe("parseCidrList and the destination policy", () => {
  it("parses CIDR blocks and bare addresses, and names a bad entry", () => {
    assert.deepEqual(parseCidrList(" 10.0.0.0/8, fd00::/8,192.168.1.5 "), [
      { address: "10.0.0.0", prefix: 8, family: "ipv4" },
      { address: "fd00::", prefix: 8, family: "ipv6" },
      { address: "192.168.1.5", prefix: 32, family: "ipv4" },
    ]);
    assert.throws(() => parseCidrList("10.0.0.0/33"), /10\.0\.0\.0\/33/);
    assert.throws(() => parseCidrList("example.com/24"), /example\.com/);
    assert.throws(() => parseCidrList("10.0.0.0/8/1"), /not an IP address/);
    assert.throws(() => parseCidrList("10.0.0.0/x"), /prefix/);
  });

  it("permits global addresses always, allow-listed blocks (also IPv4-mapped), and everything when open", () => {
    const p = createDestinationPolicy(false, parseCidrList("10.1.0.0/16"));
    assert.equal(p.permits("8.8.8.8"), true);
    assert.equal(p.permits("10.1.2.3"), true);
    assert.equal(p.permits("::ffff:10.1.2.3"), true);
    assert.equal(p.permits("10.2.0.1"), false);
    assert.equal(p.permits("127.0.0.1"), false);
    assert.equal(p.refuseLiteral("[::ffff:10.1.0.9]"), null);
    assert.match(p.refuseLiteral("10.2.0.1") ?? "", /not a global address/);
    assert.equal(p.refuseLiteral("hooks.example.com"), null, "names are checked when resolved");
    assert.equal(createDestinationPolicy(false).permits("10.1.2.3"), false);
    const open = createDestinationPolicy(true);
    assert.equal(open.open, true);
    assert.equal(open.permits("127.0.0.1"), true);
  });
});
