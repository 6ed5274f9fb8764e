import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createApiClient, resolveApiKey } from "./client.ts";
import { coerceError } from "../core/errors.ts";

/** What the commands share: the error for bad usage, option parsing, the API client, input and output. */

export type Env = Record<string, string | undefined>;
export type Out = { out: (s: string) => void; err: (s: string) => void };

/** A command runs with the arguments after its name; it returns the exit code. */
export type Command = (args: string[], env: Env, io: Out) => Promise<number>;

/** Bad usage: main() prints it with a pointer to --help and exits 2. */
export class UsageError extends Error {}

/** For the modules that take a function making the usage error (backup, examples, listen, verify). */
export const usage = (m: string) => new UsageError(m);

export function showHelp(io: Out, text: string): number {
  io.out(text);
  return 0;
}

export const clientOptions = {
  url: { type: "string" },
  "api-key": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

type OptionSpecs = Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }>;

export function parse<T extends OptionSpecs>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: false, strict: true }).values;
  } catch (e) {
    throw new UsageError(coerceError(e).message);
  }
}

export function parseWithPositionals<T extends OptionSpecs>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(coerceError(e).message);
  }
}

export function required(v: string | undefined, flag: string): string {
  if (!v) throw new UsageError(`missing --${flag}`);
  return v;
}

export function oneOf(v: string, flag: string, allowed: string[], caseInsensitive = false): string {
  const x = caseInsensitive ? v.toUpperCase() : v;
  if (!allowed.includes(x)) throw new UsageError(`--${flag} must be ${allowed.slice(0, -1).join(", ")} or ${allowed.at(-1)}, not ${JSON.stringify(v)}`);
  return x;
}

export function exclusive(v: Record<string, unknown>, flags: string[]): void {
  const given = flags.filter((f) => v[f] !== undefined && v[f] !== false);
  if (given.length > 1) throw new UsageError(`${given.map((f) => `--${f}`).join(" and ")} cannot be combined`);
}

export const SEVERITIES = ["info", "low", "medium", "high", "critical"];

export function client(values: { url?: string; "api-key"?: string }, env: Env) {
  const url = values.url ?? env.TOCSIN_URL ?? `http://127.0.0.1:${env.TOCSIN_PORT || 3000}`;
  const key = resolveApiKey(values["api-key"], env);
  if (!key) throw new UsageError("no API key: pass --api-key or set TOCSIN_API_KEY");
  return createApiClient(url, key);
}

/** Prints `data` as JSON with --json, else the human text. */
export function printer(io: Out) {
  return (json: boolean | undefined, data: unknown, human: () => string) => io.out(json ? JSON.stringify(data, null, 2) : human());
}

export function table(rows: Record<string, unknown>[], cols: string[]): string {
  if (rows.length === 0) return "(none)";
  const cells = rows.map((r) => cols.map((c) => (r[c] === null || r[c] === undefined ? "-" : String(r[c]))));
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => (row[i] ?? "").length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(cols), ...cells.map(line)].join("\n");
}

export async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function readInput(file: string | undefined): Promise<string> {
  if (file && file !== "-") return readFileSync(file, "utf8");
  return (await readStdin()).toString("utf8");
}
