import type { Endpoint } from "@tocsin/client";
import { healthBadge } from "../lib/health.ts";
import { Badge } from "./ui.tsx";

/** An endpoint's state as one badge: disabled or validation first, then the circuit, failing, degraded, else active. */
export function HealthBadge({ endpoint, now = Date.now() }: { endpoint: Endpoint; now?: number }) {
  const b = healthBadge(endpoint, now);
  return (
    <span className="health-badge" data-health={b.tone} title={b.detail ?? undefined}>
      <Badge status={b.tone} label={b.label} />
    </span>
  );
}

/** The endpoint's warnings behind a ⚠ that says what it is: "⚠ 2 warnings", each listed on hover and for screen readers. */
export function WarningMark({ warnings }: { warnings: string[] }) {
  if (warnings.length === 0) return null;
  const n = warnings.length;
  return (
    <span className="warn-mark" title={warnings.join("\n")}>
      <span aria-hidden="true">⚠</span> {n === 1 ? "1 warning" : `${n} warnings`}
      <span className="visually-hidden">: {warnings.join("; ")}</span>
    </span>
  );
}
