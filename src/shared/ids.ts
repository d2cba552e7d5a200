// ULIDs: sortable by creation time, made by whoever creates the record (client or engine).
import { z } from 'zod';

export const ULID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;
/** Names that could be read as an id (26 letters and digits, any case): refused for things found by id or name. */
export const looksLikeId = (name: string): boolean => /^[0-9A-Za-z]{26}$/.test(name.trim());
export const Ulid = z.string().regex(ULID_PATTERN, 'must be a ULID (26 characters, Crockford base32)');
export type Ulid = z.infer<typeof Ulid>;

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

let lastTime = -1;
let lastRandom: number[] = [];

function randomDigits(): number[] {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b & 31);
}

/** A ULID; monotonic within one millisecond in this process so ids made together keep their order. */
export function newUlid(now: number = Date.now()): string {
  let random: number[];
  if (now === lastTime) {
    random = [...lastRandom];
    // Increment the 80-bit random part as a base-32 number.
    let i = random.length - 1;
    while (i >= 0 && random[i] === 31) {
      random[i] = 0;
      i--;
    }
    if (i < 0) throw new Error('ULID random part overflowed within one millisecond');
    random[i]! += 1;
  } else {
    random = randomDigits();
    lastTime = now;
  }
  lastRandom = random;
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  return time + random.map((d) => ALPHABET[d]).join('');
}

/** The creation time a ULID carries, in ms since the epoch. */
export function ulidTime(id: string): number {
  let t = 0;
  for (const ch of id.slice(0, 10)) t = t * 32 + ALPHABET.indexOf(ch);
  return t;
}
