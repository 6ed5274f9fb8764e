import { randomFillSync } from "node:crypto";

// Crockford base32: sortable as plain strings, no ambiguous letters.
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

let lastMs = -1;
const lastRandom = new Uint8Array(10);

/**
 * A ULID-shaped id: 48 bits of milliseconds then 80 random bits, 26 base32 characters, so ids sort
 * by creation time. Within one millisecond the random part is incremented, keeping a process's ids
 * strictly increasing.
 */
export function newUlid(now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    randomFillSync(lastRandom);
  } else if (lastMs - now <= 1000) {
    // Same millisecond, or the clock stepped back a little: stay strictly increasing.
    incrementRandom();
    now = lastMs;
  } else {
    // An explicit earlier time (an injected clock): an id for that moment, outside the sequence.
    return encode(now, randomFillSync(new Uint8Array(10)));
  }
  return encode(now, lastRandom);
}

function encode(now: number, random: Uint8Array): string {
  let out = "";
  let t = now;
  const time = new Array<string>(10);
  for (let i = 9; i >= 0; i--) {
    time[i] = ALPHABET.charAt(t % 32);
    t = Math.floor(t / 32);
  }
  out = time.join("");
  // 80 bits -> 16 characters of 5 bits.
  let bits = 0;
  let acc = 0;
  for (const byte of random) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET.charAt((acc >> bits) & 31);
    }
    acc &= (1 << bits) - 1;
  }
  return out;
}

function incrementRandom(): void {
  for (let i = 9; i >= 0; i--) {
    if (lastRandom[i] === 255) {
      lastRandom[i] = 0;
    } else {
      lastRandom[i]!++;
      return;
    }
  }
}

export type IdPrefix = "evt" | "ep" | "dlv" | "att" | "key" | "ten" | "msg" | "bat" | "dig" | "rpl" | "sil";

export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  return `${prefix}_${newUlid(now)}`;
}

/** The smallest id with `prefix` created at `ms`: ids below it were created earlier. */
export function idFloor(prefix: IdPrefix, ms: number): string {
  let t = Math.max(0, Math.floor(ms));
  let time = "";
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  return `${prefix}_${time}0000000000000000`;
}
