// `node bench/signing.ts [N]`: the cost of signing one delivery under signing.scheme ed25519
// against standard (HMAC-SHA256), a measurement, not a test.
//
// It builds the signature headers the way the delivery worker does (signatureHeaders with the
// endpoint profile's keys) for a ~1 KiB body, N times per row, with one key and with two (a
// rotation's overlap), and prints the time per delivery and the ratio ed25519 / HMAC.

import { performance } from "node:perf_hooks";
import type { SigningSettings } from "../src/core/types.ts";
import { generateKeyPair } from "../src/signing/ed25519.ts";
import { keyForScheme, signatureHeaders } from "../src/signing/schemes.ts";
import { generateSecret } from "../src/signing/standard.ts";

const N = Number(process.argv[2] ?? 20_000);
const body = JSON.stringify({ host: "db-1", usage: 0.9, note: "x".repeat(1000) });
const ts = 1_767_225_600;

function usPerDelivery(signing: SigningSettings, secrets: string[]): number {
  const keys = secrets.map((s) => keyForScheme(signing, s)!);
  let sink = 0;
  for (let i = 0; i < Math.min(N, 2_000); i++) sink += signatureHeaders(signing, keys, `evt_${i}`, ts, body)[0]![1].length; // warm-up
  const start = performance.now();
  for (let i = 0; i < N; i++) sink += signatureHeaders(signing, keys, `evt_${i}`, ts, body)[0]![1].length;
  const us = ((performance.now() - start) * 1000) / N;
  if (sink === 0) throw new Error("nothing was signed");
  return us;
}

const hmac = [generateSecret(), generateSecret()];
const ed = [generateKeyPair().secretKey, generateKeyPair().secretKey];
console.log(`signing one delivery (${body.length}-byte body), ${N} per row, Node ${process.version}`);
console.log("| keys | standard (HMAC-SHA256) µs | ed25519 µs | ed25519 / HMAC |");
console.log("|---|---:|---:|---:|");
for (const n of [1, 2]) {
  const h = usPerDelivery({ scheme: "standard" }, hmac.slice(0, n));
  const e = usPerDelivery({ scheme: "ed25519" }, ed.slice(0, n));
  console.log(`| ${n === 1 ? "1" : "2 (rotation overlap)"} | ${h.toFixed(2)} | ${e.toFixed(2)} | ${(e / h).toFixed(1)} |`);
}
