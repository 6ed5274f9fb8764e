import type { ReactNode } from "react";
import type { Endpoint } from "@tocsin/client";
import { formatTime } from "./ui.tsx";
import { certExpiry, expirySentence } from "../lib/endpoint-tls.ts";
import { retrySummary } from "../lib/endpoint-form-retry.ts";
import { digestSummary } from "../lib/endpoint-form-digest.ts";

const certLine = (notAfter: string) => {
  const e = certExpiry(notAfter, Date.now());
  return `${e.state === "valid" ? "" : "⚠ "}${expirySentence(e)}`;
};

/** Every setting of a saved endpoint, read-only, in the form's groups. */
export function SettingsSummary({ e }: { e: Endpoint }) {
  const yes = (b: boolean) => (b ? "yes" : "no");
  const headers = Object.entries(e.headers);
  const groups: [string, [string, ReactNode][]][] = [
    [
      "Basics",
      [
        ["Name", e.name ?? "—"],
        ["URL", <span className="break">{e.url}</span>],
        ["Description", e.description ?? "—"],
        ["Event types", <code>{e.eventTypes.length ? e.eventTypes.join(", ") : "none"}</code>],
        ["Minimum severity", e.minSeverity ?? "any"],
        ["Filter", e.filter ? <code className="break">{JSON.stringify(e.filter)}</code> : "none"],
        ["Enabled", yes(e.enabled)],
      ],
    ],
    [
      "Request",
      [
        ["Method", e.method],
        ["Headers", headers.length ? <code>{headers.map(([k, v]) => `${k}: ${v}`).join(", ")}</code> : "none"],
        ["Connect timeout", `${e.timeouts.connectMs} ms`],
        ["Request timeout", `${e.timeouts.requestMs} ms`],
        ["Retries", retrySummary(e.retry)],
        ["Egress proxy", e.proxy ? <code>{e.proxy}</code> : "default"],
        ["Fallback webhook", e.fallbackEndpointId ? <code>{e.fallbackEndpointId}</code> : "none"],
        ["Trace context", e.tracing.propagate ? "traceparent sent while the server traces" : "not sent"],
      ],
    ],
    [
      "Auth",
      [
        ["Type", e.auth.type],
        ...(e.auth.type === "basic"
          ? ([
              ["Username", e.auth.username ?? ""],
              ["Password", e.auth.passwordSet ? "set" : "not set"],
            ] as [string, ReactNode][])
          : []),
        ...(e.auth.type === "bearer" ? ([["Token", e.auth.tokenSet ? "set" : "not set"]] as [string, ReactNode][]) : []),
      ],
    ],
    [
      "TLS",
      [
        [
          "Client certificate",
          e.tls.clientCertInfo ? (
            <span data-testid="summary-cert">
              {e.tls.clientCertInfo.subject}, issued by {e.tls.clientCertInfo.issuer}. {certLine(e.tls.clientCertInfo.notAfter)}
            </span>
          ) : e.tls.clientCert ? (
            "set"
          ) : (
            "none"
          ),
        ],
        ["Client key", e.tls.clientKeySet ? "set" : "none"],
        ["Extra CA", e.tls.ca ? "set" : "none"],
        ["Skip verification", yes(e.tls.skipVerify)],
      ],
    ],
    [
      "Payload",
      [
        ["Envelope", e.format.envelope],
        ["Transform", e.format.transform ? <code>{e.format.transform}</code> : "none"],
        ["Alert update interval", `${e.lifecycle.ongoingIntervalSec} s`],
        ["Send resolved", yes(e.lifecycle.sendResolved)],
        [
          "Flap damping",
          e.flapping
            ? `after more than ${e.flapping.transitions} restarts in ${e.flapping.windowMin} min, held until stable for ${e.flapping.stableSec} s`
            : "off",
        ],
        ["Batching", e.batch ? `up to ${e.batch.maxEvents} events or ${e.batch.maxWaitMs} ms` : "off"],
        ["Digest", digestSummary(e.digest)],
        ["Rate limit", e.rateLimit ? `${e.rateLimit.perSecond}/s, burst ${e.rateLimit.burst}` : "none"],
      ],
    ],
    [
      "Advanced",
      [
        ["Signing", e.signing.scheme],
        ...(e.signing.scheme === "hmac-sha256"
          ? ([
              ["Signature header", <code>{e.signing.header}</code>],
              ["Encoding", e.signing.encoding],
              ["Prefix", e.signing.prefix ? <code>{e.signing.prefix}</code> : "none"],
              ["Timestamp header", e.signing.timestampHeader ?? "none"],
            ] as [string, ReactNode][])
          : []),
        ["Validation", e.validation.mode === "token-path" ? `token-path (${e.validation.method})` : e.validation.mode],
        ["Version", `${e.version}, updated ${formatTime(e.updatedAt)}`],
        ["Id", <code>{e.id}</code>],
      ],
    ],
  ];
  return (
    <div className="summary">
      {groups.map(([title, rows]) => (
        <section key={title} className="card">
          <h2>{title}</h2>
          <dl className="kv-list">
            {rows.map(([k, v]) => (
              <div key={k}>
                <dt>{k}</dt>
                <dd>{v}</dd>
              </div>
            ))}
          </dl>
        </section>
      ))}
    </div>
  );
}
