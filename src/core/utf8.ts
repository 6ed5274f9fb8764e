import { isUtf8 } from "node:buffer";

/** Where a byte sequence stops being UTF-8, and why. */
export interface Utf8Error {
  /** Offset of the first byte of the bad sequence, counted from 0. */
  offset: number;
  /** That byte. */
  byte: number;
  reason: string;
}

/**
 * Null when `bytes` are well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
 * above U+10FFFF); otherwise the first bad sequence. The check itself is Node's; the walk that
 * finds the offset runs only for bytes that fail it.
 */
export function findInvalidUtf8(bytes: Uint8Array): Utf8Error | null {
  if (isUtf8(bytes)) return null;
  const at = (offset: number, reason: string): Utf8Error => ({ offset, byte: bytes[offset] ?? 0, reason });
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let length: number;
    // The range the second byte must fall in (RFC 3629 §4), which rules out overlong forms,
    // surrogates and code points above U+10FFFF.
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) length = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      length = 3;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      length = 4;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else if (b >= 0x80 && b <= 0xbf) return at(i, "a continuation byte with no character to continue");
    else return at(i, "a byte that never occurs in UTF-8");
    for (let k = 1; k < length; k++) {
      const c = bytes[i + k];
      if (c === undefined) return at(i, "a character cut short by the end of the body");
      const [min, max] = k === 1 ? [lo, hi] : [0x80, 0xbf];
      if (c < min || c > max) return at(i, "a character whose bytes are not a valid UTF-8 sequence");
    }
    i += length;
  }
  // isUtf8 and this walk follow the same rules; should they ever disagree, say so plainly.
  return at(0, "bytes that are not UTF-8");
}
