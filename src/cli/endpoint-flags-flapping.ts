// The --flap-* flags of `endpoint add` and `endpoint update` (flap damping, `flapping`), and its summary line.
import { coerceError } from "../core/errors.ts";
import { formatDuration, parseDuration } from "../core/retry-policy.ts";
import { UsageError, exclusive } from "./shared.ts";

export const FLAPPING_HELP = `  --flap-transitions N        Flap damping: an alert that starts again more than N times within
                              the window is held from this endpoint (default 5 once damping is on)
  --flap-window DURATION      The window, in whole minutes, e.g. 30m or 1h (default 30m)
  --flap-stable DURATION      How long the alert must go without a start or an end before its
                              current state is sent, e.g. 10m or 90s (default 10m)
                              Any of the three turns damping on; the others keep their values
  --no-flap-damping           No flap damping (the default)`;

export const flappingOptions = {
  "flap-transitions": { type: "string" },
  "flap-window": { type: "string" },
  "flap-stable": { type: "string" },
  "no-flap-damping": { type: "boolean" },
} as const;

export interface FlappingFlags {
  "flap-transitions"?: string;
  "flap-window"?: string;
  "flap-stable"?: string;
  "no-flap-damping"?: boolean;
}

/** `flapping` from the flags: null for --no-flap-damping, a merge patch of the members given, or undefined. */
export function flappingFlags(v: FlappingFlags): Record<string, number> | null | undefined {
  for (const f of ["flap-transitions", "flap-window", "flap-stable"]) exclusive(v as Record<string, unknown>, ["no-flap-damping", f]);
  if (v["no-flap-damping"]) return null;
  const out: Record<string, number> = {};
  const t = v["flap-transitions"];
  if (t !== undefined) {
    if (!/^\d{1,4}$/.test(t.trim())) throw new UsageError(`--flap-transitions must be a whole number, not ${JSON.stringify(t)}`);
    out.transitions = Number(t.trim());
  }
  const duration = (flag: "flap-window" | "flap-stable", unit: number, what: string): number | undefined => {
    const text = v[flag];
    if (text === undefined) return undefined;
    let ms: number;
    try {
      ms = parseDuration(text);
    } catch (e) {
      throw new UsageError(`--${flag}: ${coerceError(e).message}`);
    }
    if (ms % unit !== 0) throw new UsageError(`--${flag}: must be whole ${what}, not ${JSON.stringify(text)}`);
    return ms / unit;
  };
  const w = duration("flap-window", 60_000, "minutes");
  if (w !== undefined) out.windowMin = w;
  const s = duration("flap-stable", 1000, "seconds");
  if (s !== undefined) out.stableSec = s;
  return Object.keys(out).length ? out : undefined;
}

/** The setting in a line: "held after more than 5 restarts within 30m, until stable for 10m". */
export function flappingSummary(f: { transitions: number; windowMin: number; stableSec: number }): string {
  return `held after more than ${f.transitions} restarts within ${formatDuration(f.windowMin * 60_000)}, until stable for ${formatDuration(f.stableSec * 1000)}`;
}
