// TOCSIN_* values read as whole numbers, durations and booleans, with errors that name the variable.
import { parseDuration } from "./core/retry-policy.ts";
import { coerceError } from "./core/errors.ts";
import { ConfigError } from "./config-error.ts";

export function int(env: Record<string, string | undefined>, name: string, min: number, max: number): number | undefined {
  const v = env[name];
  if (v === undefined || v === "") return undefined;
  if (!/^\d+$/.test(v.trim())) throw new ConfigError(`${name} must be a whole number, got "${v}"`);
  const n = Number(v);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

export function duration(env: Record<string, string | undefined>, name: string, min: number, max = 365 * 86_400_000): number | undefined {
  const v = env[name];
  if (v === undefined || v === "") return undefined;
  let ms: number;
  try {
    ms = /^\d+$/.test(v.trim()) ? Number(v) : parseDuration(v);
  } catch (e) {
    throw new ConfigError(`${name}: ${coerceError(e).message}`);
  }
  if (ms < min) throw new ConfigError(`${name} must be at least ${min} ms, got "${v}"`);
  if (ms > max) throw new ConfigError(`${name} must be at most ${max} ms, got "${v}"`);
  return ms;
}

export function bool(env: Record<string, string | undefined>, name: string): boolean | undefined {
  const v = env[name]?.trim().toLowerCase();
  if (v === undefined || v === "") return undefined;
  if (["1", "true", "yes", "on"].includes(v)) return true;
  if (["0", "false", "no", "off"].includes(v)) return false;
  throw new ConfigError(`${name} must be true or false, got "${env[name]}"`);
}
