import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Throwaway X.509 material for TLS tests, as PEM strings. Keys are EC P-256 in PKCS#8
 * ("-----BEGIN PRIVATE KEY-----"). Everything is valid for two days from generation.
 */
export interface Certs {
  /** CA that signed `serverCert`. */
  ca: string;
  /** Server cert for `IP:127.0.0.1, DNS:localhost`, signed by `ca`. */
  serverCert: string;
  serverKey: string;
  /** Self-signed server cert for `IP:127.0.0.1, DNS:localhost` (no CA); usable as its own `ca` to pin it. */
  selfSignedCert: string;
  selfSignedKey: string;
  /** A second CA, the one a receiver asking for client certs trusts. */
  clientCa: string;
  /** Client cert (extendedKeyUsage clientAuth, CN `tocsin-test-client`) signed by `clientCa`. */
  clientCert: string;
  clientKey: string;
  /** Client cert (CN `tocsin-test-wrong-client`) signed by a third CA that nothing trusts. */
  wrongClientCert: string;
  wrongClientKey: string;
  /** An EC private key that matches none of the certs above. */
  otherKey: string;
  /** Temp dir the files were written to; gone after `cleanup()` (the PEM strings stay valid). */
  dir: string;
  /** Removes `dir` (idempotent; also done at process exit). */
  cleanup(): void;
}

export const CLIENT_CN = "tocsin-test-client";
export const WRONG_CLIENT_CN = "tocsin-test-wrong-client";

const OPENSSL_CONFIG = `
[req]
distinguished_name = dn
prompt = no

[dn]
CN = placeholder

[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash

[server_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

# Self-signed leaf: no keyUsage (OpenSSL would not treat it as self-issued without keyCertSign).
[self_ext]
basicConstraints = critical,CA:FALSE
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
subjectKeyIdentifier = hash

[client_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

const DAYS = "2";

let cached: Promise<Certs> | undefined;

/** Generates the material once per process (later calls get the same result). */
export function makeCerts(): Promise<Certs> {
  if (!cached) {
    cached = new Promise<Certs>((resolve) => resolve(generate()));
    // A failed generation is not cached: the next call tries again.
    cached.catch(() => {
      cached = undefined;
    });
  }
  return cached;
}

function generate(): Certs {
  const dir = mkdtempSync(join(tmpdir(), "tocsin-certs-"));
  let removed = false;
  const cleanup = () => {
    if (removed) return;
    removed = true;
    process.removeListener("exit", cleanup);
    rmSync(dir, { recursive: true, force: true });
  };
  process.on("exit", cleanup);
  try {
    const cnf = join(dir, "openssl.cnf");
    writeFileSync(cnf, OPENSSL_CONFIG);
    const f = (name: string) => join(dir, name);
    const openssl = (...args: string[]) => {
      execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"], timeout: 10_000 });
    };
    const serial = () => "0x" + randomBytes(8).toString("hex");
    const newKey = (name: string) => openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", f(name));
    const selfSigned = (name: string, cn: string, ext: string) => {
      newKey(`${name}.key`);
      openssl(
        "req",
        "-config",
        cnf,
        "-new",
        "-x509",
        "-key",
        f(`${name}.key`),
        "-subj",
        `/CN=${cn}`,
        "-days",
        DAYS,
        "-set_serial",
        serial(),
        "-extensions",
        ext,
        "-out",
        f(`${name}.pem`),
      );
    };
    const signed = (name: string, cn: string, ext: string, caName: string) => {
      newKey(`${name}.key`);
      openssl("req", "-config", cnf, "-new", "-key", f(`${name}.key`), "-subj", `/CN=${cn}`, "-out", f(`${name}.csr`));
      openssl(
        "x509",
        "-req",
        "-in",
        f(`${name}.csr`),
        "-CA",
        f(`${caName}.pem`),
        "-CAkey",
        f(`${caName}.key`),
        "-set_serial",
        serial(),
        "-days",
        DAYS,
        "-extfile",
        cnf,
        "-extensions",
        ext,
        "-out",
        f(`${name}.pem`),
      );
    };

    selfSigned("ca", "tocsin test server CA", "ca_ext");
    signed("server", "localhost", "server_ext", "ca");
    selfSigned("self", "localhost", "self_ext");
    selfSigned("client-ca", "tocsin test client CA", "ca_ext");
    signed("client", CLIENT_CN, "client_ext", "client-ca");
    selfSigned("wrong-ca", "tocsin test unrelated CA", "ca_ext");
    signed("wrong-client", WRONG_CLIENT_CN, "client_ext", "wrong-ca");
    newKey("other.key");

    const read = (name: string) => readFileSync(f(name), "utf8");
    return {
      ca: read("ca.pem"),
      serverCert: read("server.pem"),
      serverKey: read("server.key"),
      selfSignedCert: read("self.pem"),
      selfSignedKey: read("self.key"),
      clientCa: read("client-ca.pem"),
      clientCert: read("client.pem"),
      clientKey: read("client.key"),
      wrongClientCert: read("wrong-client.pem"),
      wrongClientKey: read("wrong-client.key"),
      otherKey: read("other.key"),
      dir,
      cleanup,
    };
  } catch (err) {
    cleanup();
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`generating test certificates with openssl failed${stderr ? `: ${stderr}` : ""}`, { cause: err });
  }
}
