// The field checks endpoint settings share: objects, strings, methods and integers; each error names its path.
import { invalid } from "../core/errors.ts";

export const obj = (v: unknown, path: string): Record<string, unknown> => {
  if (v === null || v === undefined) return {};
  if (typeof v !== "object" || Array.isArray(v)) throw invalid(path, "must be an object");
  return v as Record<string, unknown>;
};

export function str(v: unknown, path: string, opts: { min?: number; max: number; pattern?: RegExp; what?: string }): string {
  if (typeof v !== "string") throw invalid(path, "must be a string");
  if (v.length < (opts.min ?? 0)) throw invalid(path, opts.min === 1 ? "must not be empty" : `must be at least ${opts.min} characters`);
  if (v.length > opts.max) throw invalid(path, `must be at most ${opts.max} characters`);
  if (opts.pattern && !opts.pattern.test(v)) throw invalid(path, opts.what ?? "has characters that are not allowed");
  return v;
}

export function checkMethod(v: unknown, path: string, allowed: string[]): string {
  if (typeof v !== "string" || !allowed.includes(v)) throw invalid(path, `must be ${allowed.join(" or ")}`);
  return v;
}

export function intIn(v: unknown, path: string, min: number, max: number, dflt: number): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) throw invalid(path, `must be an integer from ${min} to ${max}`);
  return v;
}
