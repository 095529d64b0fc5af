// Ids are made 256 at a time: one getRandomValues call, one hex pass, one string; each id
// is then a slice of that string, which costs no copy until the message is joined.
const IDS_PER_POOL = 256;
const random = new Uint8Array(16 * IDS_PER_POOL);
const hex = new Uint8Array(32 * IDS_PER_POOL);
const DIGITS = new TextEncoder().encode('0123456789abcdef');
const decoder = new TextDecoder();
let pool = '';
let next = 0;

function refill(): void {
  crypto.getRandomValues(random);
  for (let id = 0; id < random.length; id += 16) {
    // RFC 4122 version 4 and variant bits, where uuid4 puts them (hex digits 13 and 17).
    random[id + 6] = (random[id + 6]! & 0x0f) | 0x40;
    random[id + 8] = (random[id + 8]! & 0x3f) | 0x80;
  }
  for (let i = 0; i < random.length; i++) {
    hex[2 * i] = DIGITS[random[i]! >> 4]!;
    hex[2 * i + 1] = DIGITS[random[i]! & 0x0f]!;
  }
  pool = decoder.decode(hex);
  next = 0;
}

/**
 * A uuid4 as 32 lowercase hex characters without dashes, like Python's `uuid.uuid4().hex`.
 * The server deduplicates events by it, so retried batches are never counted twice.
 */
export function newInsertId(): string {
  if (next === pool.length) refill();
  const id = pool.slice(next, next + 32);
  next += 32;
  return id;
}
