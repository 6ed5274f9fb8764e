// Output helpers: numbers as the tables print them, and the two kinds of line.

export const f = (n: number | undefined | null, digits = 1) => (n === undefined || n === null || Number.isNaN(n) ? "-" : n.toFixed(digits));
export const pad = (s: string, w: number) => (s.length >= w ? s : s + " ".repeat(w - s.length));
export const padL = (s: string, w: number) => (s.length >= w ? s : " ".repeat(w - s.length) + s);
export const verdict = (ok: boolean) => (ok ? "PASS" : "FAIL");

export function log(line = ""): void {
  process.stdout.write(`${line}\n`);
}

export function step(line: string): void {
  process.stdout.write(`  .. ${line}\n`);
}
