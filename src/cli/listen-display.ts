import type { Signing, VerifyResult } from "@tocsin/verify";
import { describeSigning } from "./signing-flags.ts";

/** Body bytes shown per request; --save keeps whole bodies. */
const SHOWN_BODY_BYTES = 64 * 1024;

// How `tocsin listen` shows a request: its line, headers (credentials redacted), the body pretty
// printed and clipped, whether its signature verifies, and what was answered or relayed.

/** One request as shown. */
export interface Shown {
  n: number;
  at: string;
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  bodyBytes: number;
  validation: "challenge" | "token-path" | null;
  verification: VerifyResult | null;
  answer: { status: number; reason: string };
  forwarded: { url: string; status: number | null; ms: number; body: string; error: string | null } | null;
  saved: string | null;
}

export function render(s: Shown, signing: Signing): string {
  const lines: string[] = [];
  const time = s.at.slice(11, 23);
  lines.push(`── #${s.n}  ${time}  ${s.method} ${s.path}  (${s.bodyBytes} bytes)${s.validation ? `  [validation: ${s.validation}]` : ""}`);
  for (const [k, val] of Object.entries(s.headers)) {
    for (const one of Array.isArray(val) ? val : [val ?? ""])
      lines.push(`  ${k}: ${k === "authorization" || k === "proxy-authorization" ? redactAuth(one) : one}`);
  }
  if (s.bodyBytes > 0) {
    lines.push("");
    for (const l of prettyBody(s.body).split("\n")) lines.push(`  ${l}`);
  }
  lines.push("");
  lines.push(`  ${verdict(s.verification, signing)}`);
  if (s.forwarded) {
    const f = s.forwarded;
    lines.push(
      f.error ? `  → ${f.url}: failed after ${f.ms} ms: ${f.error}` : `  → ${f.url}: ${f.status} in ${f.ms} ms${f.body ? `: ${clip(f.body, 2048)}` : ""}`,
    );
  }
  lines.push(`  ← answered ${s.answer.status}${s.answer.reason ? ` (${s.answer.reason})` : ""}`);
  if (s.saved) lines.push(`  saved as ${s.saved}.headers.json and ${s.saved}.body`);
  return lines.join("\n");
}

function verdict(r: VerifyResult | null, signing: Signing): string {
  if (r === null) return "· signature not checked (no --secret)";
  if (signing.scheme === "none") return "· unsigned (--scheme none)";
  if (r.ok)
    return `✔ signature verified (${describeSigning(signing)}${r.timestamp !== null ? `, signed ${Math.round(Date.now() / 1000 - r.timestamp)} s ago` : ""})`;
  return `✘ signature NOT verified: ${r.reason}: ${r.message}`;
}

function redactAuth(value: string): string {
  const [kind = "", cred = ""] = value.split(" ", 2);
  if (kind.toLowerCase() === "basic") {
    const user = Buffer.from(cred, "base64").toString("utf8").split(":")[0];
    return `Basic ${user}:•••• (password hidden)`;
  }
  return `${kind} •••• (hidden)`;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length - max} more characters)` : text;
}

/** JSON (or NDJSON) indented with every token kept as sent; other text as it is. */
export function prettyBody(text: string): string {
  const shown = clip(text, SHOWN_BODY_BYTES);
  if (shown !== text) return shown;
  const trimmed = text.trim();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    if (isJson(trimmed)) return indentJson(trimmed);
    const lines = trimmed.split("\n").filter((l) => l.trim());
    if (lines.length > 1 && lines.every(isJson)) return lines.map((l) => indentJson(l.trim())).join("\n");
  }
  return text;
}

function isJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

/** Re-indents valid JSON text without parsing its values, so numbers like 9.50 stay as sent. */
function indentJson(s: string): string {
  let out = "";
  let depth = 0;
  let inString = false;
  const nl = () => `\n${"  ".repeat(depth)}`;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inString) {
      out += c;
      if (c === "\\") out += s[++i];
      else if (c === '"') inString = false;
      continue;
    }
    if (c === " " || c === "\t" || c === "\n" || c === "\r") continue;
    if (c === '"') {
      inString = true;
      out += c;
    } else if (c === "{" || c === "[") {
      const close = c === "{" ? "}" : "]";
      let j = i + 1;
      while (j < s.length && /\s/.test(s[j]!)) j++;
      if (s[j] === close) {
        out += c + close;
        i = j;
      } else {
        depth++;
        out += c + nl();
      }
    } else if (c === "}" || c === "]") {
      depth--;
      out += nl() + c;
    } else if (c === ",") out += `,${nl()}`;
    else if (c === ":") out += ": ";
    else out += c;
  }
  return out;
}

/**
 * The command the banner suggests to send a first webhook: pasted as is into another terminal of
 * the checkout, it runs the CLI through npm (no alias needed), with an event type the endpoint
 * subscribes to and the severity as the event's (a payload member would not be).
 */
export function sendHint(tenant: string, eventTypes: string[], url: string | undefined): string {
  const first = eventTypes[0] ?? "*";
  const type = first === "*" ? "alert.fired" : first.endsWith(".*") ? `${first.slice(0, -2)}.test` : first;
  const flags = [`--tenant ${shellWord(tenant)}`, `--type ${shellWord(type)}`, "--severity high", ...(url === undefined ? [] : [`--url ${shellWord(url)}`])];
  return `echo '{"host": "db-1", "score": 9.50}' | npm run -s tocsin -- send ${flags.join(" ")}`;
}

/** `s` as one shell word: as is when it holds no character the shell treats specially. */
function shellWord(s: string): string {
  return /^[\w./:@%+=,-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}
